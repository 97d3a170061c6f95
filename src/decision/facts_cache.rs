//! Findings remembered by what the rules read: the facts the adapters extract from an object
//! (its subjects and notes), the perimeters that apply to it, and the configuration generation.
//! Controllers resend the same object with new metadata on every reconcile (resourceVersion,
//! managedFields, annotations, labels no perimeter selects on); the bytes differ, the facts do
//! not. [`crate::perimeter::rules::check_object`] takes nothing but those facts and a
//! perimeter, so equal keys mean equal findings.

use std::sync::Arc;

use crate::perimeter::rules::Finding;
use crate::resources::{ObjectNote, Subject};

/// Larger fact sets are evaluated every time; one of them would crowd out hundreds of others.
const MAX_ENTRY_BYTES: usize = 256 * 1024;
/// What an entry's bookkeeping and an empty finding list cost beyond the key, roughly.
const ENTRY_OVERHEAD: u64 = 1024;
/// What one finding costs beyond its message, roughly (its witness, pointer and fix).
const FINDING_OVERHEAD: u64 = 2048;

// `Hash` of an `Arc<str>` is that of its `str`, so a key and its borrowed form hash alike.
#[derive(PartialEq, Eq, Hash)]
struct FactsKey {
    generation: u64,
    facts: Arc<str>,
}

#[derive(Hash)]
struct FactsKeyRef<'a> {
    generation: u64,
    facts: &'a str,
}

impl quick_cache::Equivalent<FactsKey> for FactsKeyRef<'_> {
    fn equivalent(&self, key: &FactsKey) -> bool {
        self.generation == key.generation && *self.facts == *key.facts
    }
}

#[derive(Clone)]
struct WeighFindings;

impl quick_cache::Weighter<FactsKey, Arc<Vec<Finding>>> for WeighFindings {
    fn weight(&self, key: &FactsKey, findings: &Arc<Vec<Finding>>) -> u64 {
        let messages: usize = findings.iter().map(|f| f.message.len()).sum();
        key.facts.len() as u64
            + ENTRY_OVERHEAD
            + messages as u64
            + findings.len() as u64 * FINDING_OVERHEAD
    }
}

/// A bounded map from facts to findings; a capacity of zero turns it off.
pub struct FactsCache {
    entries: Option<quick_cache::sync::Cache<FactsKey, Arc<Vec<Finding>>, WeighFindings>>,
}

/// The text that identifies what the rules read of one object: the applicable perimeters by
/// name, in order, then every subject and note, each field with the JSON pointer it came from
/// (findings name it). It is their derived serde serialisation as JSON: complete (no field of
/// these types is skipped or flattened) and deterministic, and several times cheaper to build
/// than their `Debug` text, which escapes policy text character by character.
pub fn facts_text(perimeters: &[&str], subjects: &[Subject], notes: &[ObjectNote]) -> String {
    // Serialising these types cannot fail (string keys only); should it, the text is unique to
    // this call, so it can never match another object's facts.
    serde_json::to_string(&(perimeters, subjects, notes)).unwrap_or_else(|e| {
        static FAILED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = FAILED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        format!("unserialisable facts #{n}: {e}")
    })
}

impl FactsCache {
    pub fn new(capacity_bytes: u64) -> Self {
        let entries = (capacity_bytes > 0).then(|| {
            let estimated = (capacity_bytes / (4096 + ENTRY_OVERHEAD)).max(16) as usize;
            quick_cache::sync::Cache::with_weighter(estimated, capacity_bytes, WeighFindings)
        });
        Self { entries }
    }

    pub fn disabled() -> Self {
        Self::new(0)
    }

    pub fn get(&self, generation: u64, facts: &str) -> Option<Arc<Vec<Finding>>> {
        self.entries
            .as_ref()?
            .get(&FactsKeyRef { generation, facts })
    }

    pub fn insert(&self, generation: u64, facts: Arc<str>, findings: Arc<Vec<Finding>>) {
        if let Some(entries) = &self.entries
            && facts.len() <= MAX_ENTRY_BYTES
        {
            entries.insert(FactsKey { generation, facts }, findings);
        }
    }

    /// Entries held, and their weight in bytes.
    pub fn usage(&self) -> (usize, u64) {
        self.entries
            .as_ref()
            .map_or((0, 0), |e| (e.len(), e.weight()))
    }
}
