//! Several instances on one slot cache (same store, same prefix): which slots this
//! instance may write, and where each instance keeps its index. Pure: numbers in,
//! decisions out.
//!
//! Slot `n` is written only by instance `n % instances`, so two instances never pick the
//! same slot (Garage 2.5 has no conditional `PUT` that could arbitrate a claim, see
//! `docs/cache.md`); every instance reads every slot through the others' indexes. The
//! slots stay `slot-0` … `slot-{slots-1}` whoever writes them, so the bound (slots ×
//! max object bytes) holds for the whole shared cache.

use std::num::NonZeroU32;

/// This instance's place among the instances sharing the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Share {
    /// `VIGNETTE_CACHE_INSTANCE`: this instance's number, below `instances`.
    instance: u32,
    /// `VIGNETTE_CACHE_INSTANCES`: how many instances share the cache.
    instances: NonZeroU32,
}

impl Default for Share {
    fn default() -> Self {
        Share::ALONE
    }
}

impl Share {
    /// One instance alone on its cache: it owns every slot, its index is `index`.
    pub const ALONE: Share = Share {
        instance: 0,
        instances: NonZeroU32::MIN,
    };

    /// Instance `instance` of `instances`; `None` unless `instance < instances`.
    pub fn new(instance: u32, instances: u32) -> Option<Share> {
        let instances = NonZeroU32::new(instances)?;
        (instance < instances.get()).then_some(Share {
            instance,
            instances,
        })
    }

    /// This instance's number.
    pub fn instance(&self) -> u32 {
        self.instance
    }

    /// How many instances share the cache.
    pub fn instances(&self) -> u32 {
        self.instances.get()
    }

    /// Whether other instances share the cache.
    pub fn is_shared(&self) -> bool {
        self.instances.get() > 1
    }

    /// The instance that writes slot `slot`.
    pub(crate) fn owner(&self, slot: u32) -> u32 {
        slot % self.instances.get()
    }

    /// Whether this instance writes slot `slot`.
    pub(crate) fn owns(&self, slot: u32) -> bool {
        self.owner(slot) == self.instance
    }

    /// The name of this instance's index object.
    pub(crate) fn index_name(&self) -> String {
        index_name(*self, self.instance)
    }

    /// The other instances' numbers.
    pub(crate) fn peers(&self) -> impl Iterator<Item = u32> + use<> {
        let me = self.instance;
        (0..self.instances.get()).filter(move |&i| i != me)
    }
}

/// The index object of instance `instance`: `index` for an instance alone (the name it
/// always had, so a single instance is unchanged), `index-{instance}` when shared.
pub(crate) fn index_name(share: Share, instance: u32) -> String {
    if share.is_shared() {
        format!("{}-{instance}", super::store::INDEX_NAME)
    } else {
        super::store::INDEX_NAME.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_partitioned_and_every_slot_has_one_owner() {
        let shares: Vec<Share> = (0..3).map(|i| Share::new(i, 3).unwrap()).collect();
        for slot in 0..30 {
            let owners = shares.iter().filter(|s| s.owns(slot)).count();
            assert_eq!(owners, 1, "slot {slot}");
        }
        assert!(shares[1].owns(4) && !shares[1].owns(5));
        assert_eq!(shares[2].peers().collect::<Vec<_>>(), vec![0, 1]);
    }

    #[test]
    fn names_and_bounds() {
        assert_eq!(Share::ALONE.index_name(), "index");
        assert!(Share::ALONE.owns(7) && !Share::ALONE.is_shared());
        assert_eq!(Share::ALONE.peers().count(), 0);
        assert_eq!(Share::new(1, 2).unwrap().index_name(), "index-1");
        assert_eq!(Share::new(2, 2), None);
        assert_eq!(Share::new(0, 0), None);
    }
}
