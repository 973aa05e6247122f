//! The settings of several instances on one slot cache: this instance's number, how
//! many share the cache, and how often they exchange their indexes.

use super::{Check, Cli, ConfigError};
use crate::cache::Share;
use std::num::NonZeroU32;
use std::time::Duration;

impl Cli {
    /// This instance's [`Share`] of a cache of `slots` slots, and the peer sync period.
    pub(super) fn cache_share(&self, slots: NonZeroU32) -> Result<(Share, Duration), ConfigError> {
        let instances = check!(
            self,
            cache_instances,
            "--cache-instances",
            "VIGNETTE_CACHE_INSTANCES"
        );
        let count = instances.int(1, u64::from(slots.get()).min(1000))? as u32;
        let instance = check!(
            self,
            cache_instance,
            "--cache-instance",
            "VIGNETTE_CACHE_INSTANCE"
        );
        let n = instance.int(0, 999)? as u32;
        let share = Share::new(n, count).ok_or_else(|| {
            instance.fail(format!("must be below VIGNETTE_CACHE_INSTANCES ({count})"))
        })?;
        let sync = check!(
            self,
            cache_peer_sync_ms,
            "--cache-peer-sync-ms",
            "VIGNETTE_CACHE_PEER_SYNC_MS"
        )
        .int(100, 600_000)?;
        Ok((share, Duration::from_millis(sync)))
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Cli;
    use clap::Parser;

    fn parse(args: &[&str]) -> Result<crate::config::Settings, crate::config::ConfigError> {
        let mut all = vec!["vignette"];
        all.extend_from_slice(args);
        Cli::try_parse_from(all).expect("clap accepts").validate()
    }

    #[test]
    fn alone_by_default_and_checked_when_shared() {
        let s = parse(&[]).unwrap();
        assert!(!s.cache.settings.share.is_shared());
        assert_eq!(s.cache.settings.peer_sync.as_millis(), 2000);
        let s = parse(&[
            "--cache-instance",
            "1",
            "--cache-instances",
            "2",
            "--cache-peer-sync-ms",
            "500",
        ])
        .unwrap();
        let share = s.cache.settings.share;
        assert_eq!((share.instance(), share.instances()), (1, 2));
        assert_eq!(s.cache.settings.peer_sync.as_millis(), 500);
        let err = parse(&["--cache-instance", "2", "--cache-instances", "2"]).unwrap_err();
        assert_eq!(err.env, "VIGNETTE_CACHE_INSTANCE");
        let err = parse(&["--cache-instances", "0"]).unwrap_err();
        assert_eq!(err.env, "VIGNETTE_CACHE_INSTANCES");
        let err = parse(&["--cache-slots", "4", "--cache-instances", "5"]).unwrap_err();
        assert_eq!(err.env, "VIGNETTE_CACHE_INSTANCES");
        let err = parse(&["--cache-peer-sync-ms", "10"]).unwrap_err();
        assert_eq!(err.env, "VIGNETTE_CACHE_PEER_SYNC_MS");
    }
}
