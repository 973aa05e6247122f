//! Integration tests of storage: the slot stores and the slot cache against a local
//! directory and a real Garage, and the S3 source against Garage. The Garage tests share
//! one node, except the outage test which stops its own (`tests/common/garage.rs`); they
//! fail if Garage is missing.

#[path = "../common/garage.rs"]
#[allow(dead_code, unreachable_pub)]
mod garage;

mod outage;
mod s3_source;
mod suite;
