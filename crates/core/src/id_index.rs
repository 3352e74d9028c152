//! Where each ledger id's record is in the ledger's dense record list.
//!
//! Ids are handed out in increasing order and never reused, so the index is a list sorted by
//! id for free: a new id is pushed at the end and found again by binary search. A removed id
//! stays as a tombstone until tombstones are half the list, then they are swept in one pass,
//! so removal is O(1) amortised. This is a fraction of a hash map's code in the wasm (about
//! 3 KB less), and as fast for the ledger's lookups (one per size read).

use alloc::vec::Vec;

/// The slot of a removed id.
const GONE: u32 = u32::MAX;

/// Ledger id → position in the ledger's record list.
#[derive(Debug, Default)]
pub struct IdIndex {
    /// `(id, slot)`, sorted by id; `slot == GONE` for a removed id.
    entries: Vec<(u32, u32)>,
    /// How many entries are tombstones.
    gone: usize,
}

impl IdIndex {
    fn find(&self, id: u32) -> Option<usize> {
        self.entries.binary_search_by_key(&id, |e| e.0).ok()
    }

    /// The slot of `id`, if it is in the index.
    pub fn get(&self, id: u32) -> Option<usize> {
        let slot = self.entries.get(self.find(id)?)?.1;
        (slot != GONE).then_some(slot as usize)
    }

    /// Whether [`push`](Self::push) would take `id` without allocating.
    pub fn has_room_for(&self, id: u32) -> bool {
        self.entries.len() < self.entries.capacity()
            && self.entries.last().map_or(true, |e| e.0 < id)
    }

    /// Adds `id` at `slot`. Ids must arrive in increasing order (the ledger's are); an id
    /// out of order is refused (false), never a panic.
    #[inline(always)]
    pub fn push(&mut self, id: u32, slot: usize) -> bool {
        if self.entries.last().is_some_and(|e| e.0 >= id) {
            return false;
        }
        self.entries.push((id, slot as u32));
        true
    }

    /// Moves `id` (if present) to `slot`.
    pub fn set(&mut self, id: u32, slot: usize) {
        if let Some(e) = self.find(id).and_then(|p| self.entries.get_mut(p)) {
            if e.1 != GONE {
                e.1 = slot as u32;
            }
        }
    }

    /// Removes `id`; returns the slot it had.
    pub fn remove(&mut self, id: u32) -> Option<usize> {
        let p = self.find(id)?;
        let slot = core::mem::replace(&mut self.entries.get_mut(p)?.1, GONE);
        if slot == GONE {
            return None;
        }
        self.gone += 1;
        if self.gone * 2 > self.entries.len() {
            self.entries.retain(|e| e.1 != GONE);
            self.gone = 0;
        }
        Some(slot as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::IdIndex;

    #[test]
    fn finds_moves_and_removes_ids_through_sweeps() {
        let mut index = IdIndex::default();
        for id in 0..100 {
            assert!(index.push(id * 3, id as usize));
        }
        assert!(!index.push(50, 100), "an id out of order is refused");
        assert_eq!(index.get(30), Some(10));
        assert_eq!(index.get(31), None);
        index.set(30, 7);
        assert_eq!(index.get(30), Some(7));
        // Remove most of them: sweeps happen along the way and lookups stay right.
        for id in 0..90 {
            assert_eq!(
                index.remove(id * 3),
                Some(if id == 10 { 7 } else { id as usize })
            );
            assert_eq!(index.remove(id * 3), None, "a second removal finds nothing");
        }
        for id in 90..100 {
            assert_eq!(index.get(id * 3), Some(id as usize));
        }
        assert!(index.entries.len() < 40, "tombstones were swept");
        index.set(0, 5);
        assert_eq!(
            index.get(0),
            None,
            "a removed id is not brought back by set"
        );
    }
}
