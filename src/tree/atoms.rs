//! One allocation per distinct text. Every string a tree keeps is looked up
//! here first: 5,000 Pods say `Pod`, `Running`, `PodScheduled`, their
//! namespace, node and image thousands of times, and keep one copy of each.
//!
//! The set holds its own reference to every atom; an atom no tree holds any
//! more (a deleted Pod's name and uid) is swept out once the set has doubled
//! since the last sweep, so what it keeps beyond the live atoms stays below
//! their number (plus a floor), and the cost of sweeping is spread over the
//! insertions that filled it.

use std::collections::HashSet;
use std::sync::{Arc, LazyLock, Mutex};

use super::Atom;

/// Below this many atoms the set is never swept.
const SWEEP_FLOOR: usize = 4096;

pub struct Interner {
    set: HashSet<Atom>,
    /// The set is swept when it reaches this size.
    sweep_at: usize,
}

static INTERNER: LazyLock<Mutex<Interner>> = LazyLock::new(|| Mutex::new(Interner::new()));

impl Interner {
    fn new() -> Self {
        Interner {
            set: HashSet::new(),
            sweep_at: SWEEP_FLOOR,
        }
    }

    /// The atom for `text`: the one already kept, or a new one.
    pub fn atom(&mut self, text: &str) -> Atom {
        if let Some(kept) = self.set.get(text) {
            return kept.clone();
        }
        let atom: Atom = Arc::from(text);
        self.set.insert(atom.clone());
        if self.set.len() >= self.sweep_at {
            self.sweep();
        }
        atom
    }

    /// Lets go of every atom only this set holds.
    fn sweep(&mut self) {
        self.set.retain(|atom| Arc::strong_count(atom) > 1);
        self.set.shrink_to_fit();
        self.sweep_at = (self.set.len() * 2).max(SWEEP_FLOOR);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.set.len()
    }
}

/// Runs `work` with the one interner (taken once for a whole tree).
pub fn with_interner<T>(work: impl FnOnce(&mut Interner) -> T) -> T {
    // A panic while the lock was held left at worst an atom unswept.
    let mut atoms = INTERNER
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    work(&mut atoms)
}

/// The atom for `text`.
pub fn atom(text: &str) -> Atom {
    with_interner(|atoms| atoms.atom(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_texts_are_one_allocation() {
        let mut atoms = Interner::new();
        let a = atoms.atom("Running");
        let b = atoms.atom(&String::from("Running"));
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &atoms.atom("Pending")));
    }

    #[test]
    fn atoms_nobody_holds_are_swept_once_the_set_has_doubled() {
        let mut atoms = Interner::new();
        let kept: Vec<Atom> = (0..100).map(|i| atoms.atom(&format!("kept-{i}"))).collect();
        // Names of objects long deleted: held by nothing but the set.
        for i in 0..SWEEP_FLOOR * 3 {
            atoms.atom(&format!("gone-{i}"));
        }
        assert!(
            atoms.len() < SWEEP_FLOOR + kept.len(),
            "{} atoms kept",
            atoms.len()
        );
        // What is still held survives every sweep, and is still shared.
        for (i, atom) in kept.iter().enumerate() {
            assert!(Arc::ptr_eq(atom, &atoms.atom(&format!("kept-{i}"))));
        }
    }
}
