//! The public listener's limits against hostile clients on real sockets: hundreds of
//! slowloris connections do not delay a normal request and are cut off after the header
//! read timeout; idle connections are closed; oversized URLs and heads get 414 and 431
//! with short fixed bodies; past the connection limit, clients wait for a free slot.

mod common;

use common::fixtures;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

/// A request line cut short: the client never finishes its head.
const PARTIAL: &[u8] = b"GET /iiif/3/grid.png/info.json HTTP/1.1\r\nHost: x\r\nX-Slow: ";

/// Opens `n` connections that each send a partial head and stall.
async fn slow_clients(base: &str, n: usize) -> Vec<TcpStream> {
    let addr = base.trim_start_matches("http://");
    let mut clients = Vec::with_capacity(n);
    for _ in 0..n {
        let mut tcp = TcpStream::connect(addr).await.unwrap();
        tcp.write_all(PARTIAL).await.unwrap();
        clients.push(tcp);
    }
    clients
}

/// Waits until the server closes `tcp` (EOF or reset), failing at `deadline`.
async fn closed_by(tcp: &mut TcpStream, deadline: Instant) {
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout_at(deadline, tcp.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => return,
            Ok(Ok(_)) => continue,
            Err(_) => panic!("the connection was still open at the deadline"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_do_not_delay_others_and_are_cut_off() {
    let timeout = Duration::from_secs(1);
    let s = common::start_with(fixtures::write_all, |s| {
        s.http_limits.header_read_timeout = timeout;
    })
    .await;
    let opened = Instant::now();
    let mut slow = slow_clients(&s.base, 300).await;
    let started = Instant::now();
    let resp = s.get("/iiif/3/grid.png/info.json").await;
    assert_eq!(resp.status(), 200);
    let waited = started.elapsed();
    assert!(waited < timeout / 2, "a normal request waited {waited:?}");
    let deadline = Instant::now() + Duration::from_secs(10);
    for tcp in &mut slow {
        closed_by(tcp, deadline).await;
    }
    assert!(opened.elapsed() >= timeout, "closed before the timeout");
    // The server still answers, and stops cleanly. On a new connection: the first one,
    // kept alive, was bound by the same 1 s to send its next request head, so the server
    // has closed it, and reusing it would race that close.
    let fresh = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let resp = fresh
        .get(format!("{}/iiif/3/grid.png/info.json", s.base))
        .send()
        .await
        .expect("request sent");
    assert_eq!(resp.status(), 200);
    s.stop().await;
}

#[tokio::test]
async fn idle_connections_are_closed() {
    let s = common::start_with(fixtures::write_all, |s| {
        s.http_limits.idle_timeout = Duration::from_millis(1000);
    })
    .await;
    let started = Instant::now();
    let mut tcp = TcpStream::connect(s.base.trim_start_matches("http://"))
        .await
        .unwrap();
    closed_by(&mut tcp, Instant::now() + Duration::from_secs(10)).await;
    assert!(started.elapsed() >= Duration::from_millis(900));
    s.stop().await;
}

#[tokio::test]
async fn long_urls_and_large_heads_are_refused_with_fixed_bodies() {
    let s = common::start_with(fixtures::write_all, |_| {}).await;
    let long = format!("/iiif/3/{}/info.json", "a".repeat(9000));
    let resp = s.get(&long).await;
    assert_eq!(resp.status(), 414);
    assert_eq!(resp.text().await.unwrap(), "URL too long\n");

    let mut many = reqwest::header::HeaderMap::new();
    for i in 0..120 {
        many.insert(
            reqwest::header::HeaderName::try_from(format!("x-h{i}")).unwrap(),
            "1".parse().unwrap(),
        );
    }
    let big = "b".repeat(17 << 10);
    for (what, headers) in [
        ("count", many),
        (
            "bytes",
            [(reqwest::header::COOKIE, big.parse().unwrap())]
                .into_iter()
                .collect(),
        ),
    ] {
        let resp = s
            .client
            .get(format!("{}/iiif/3/grid.png/info.json", s.base))
            .headers(headers)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 431, "{what}");
        assert_eq!(resp.text().await.unwrap(), "request headers too large\n");
    }
    // Far above the limit, hyper refuses before the head is parsed (no body then).
    let huge = "c".repeat(64 << 10);
    let resp = reqwest::Client::new()
        .get(format!("{}/iiif/3/grid.png/info.json", s.base))
        .header(reqwest::header::COOKIE, huge)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 431);
    // Within the limits, served.
    assert_eq!(s.get("/iiif/3/grid.png/info.json").await.status(), 200);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_connection_limit_clients_wait_for_a_slot() {
    let timeout = Duration::from_secs(1);
    let s = common::start_with(fixtures::write_all, |s| {
        s.http_limits.max_connections = 4;
        s.http_limits.header_read_timeout = timeout;
    })
    .await;
    let _slow = slow_clients(&s.base, 4).await;
    let started = Instant::now();
    // Accepted only once the header timeout frees a slot.
    let resp = s.get("/iiif/3/grid.png/info.json").await;
    assert_eq!(resp.status(), 200);
    assert!(
        started.elapsed() >= timeout * 9 / 10,
        "{:?}",
        started.elapsed()
    );
    s.stop().await;
}
