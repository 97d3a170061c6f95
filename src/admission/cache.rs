//! Decisions remembered by the exact bytes of the object, or by the text of its read parts
//! ([`crate::resources::read_parts`]), and the configuration generation; and findings remembered
//! by the facts the rules read ([`FactsCache`]). A byte hit answers without parsing the object;
//! a read-parts hit (the same object resent with a new `resourceVersion`, `managedFields`,
//! status or annotations of a controller's own) without building its document tree; a facts hit
//! (any other resend that adapts to the same facts) without reasoning about its policies. The
//! keys are compared in full on every hit, so a hash collision can never hand one object
//! another's decision.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use quick_cache::Equivalent;

use crate::decision::{FactsCache, ObjectVerdict};
use crate::perimeter::exception::PerimeterException;

/// The default memory bound: object text plus an allowance per entry for the verdict.
pub const DEFAULT_CAPACITY_BYTES: u64 = 8 * 1024 * 1024;
/// Larger objects are evaluated every time; one of them would crowd out hundreds of others.
const MAX_ENTRY_BYTES: usize = 256 * 1024;
/// What an entry's bookkeeping and a verdict without findings cost beyond the object text,
/// roughly.
const ENTRY_OVERHEAD: u64 = 2048;
/// What one finding costs beyond its message, roughly (its witness, pointer and fix), as in the
/// facts cache.
const FINDING_OVERHEAD: u64 = 2048;

/// What is known about one object under one configuration.
#[derive(Debug)]
pub struct Evaluated {
    /// The value of the exempt label, if the object carries it.
    pub exempt_label: Option<String>,
    pub verdict: ObjectVerdict,
    /// The facts key of the object ([`crate::decision::Prepared::facts`]), when the facts cache
    /// is on and the object was checked; shared with the facts cache's entry.
    pub facts: Option<Arc<str>>,
    /// What the answer says about the findings, built once: every hit would otherwise format
    /// and bound the same messages again.
    pub rendered: std::sync::OnceLock<super::RenderedAnswer>,
    /// The PerimeterExceptions that name the object under this configuration, active or not:
    /// which of them waive anything is read at each answer.
    pub exceptions: Vec<Arc<PerimeterException>>,
    /// What the verdict costs in memory beyond [`ENTRY_OVERHEAD`], roughly: its findings, and
    /// the answer rendered from them (up to three copies of each message: the denial, the
    /// warnings, the warnings of an update admitted unchanged).
    weight: u64,
}

impl Evaluated {
    pub fn new(
        exempt_label: Option<String>,
        verdict: ObjectVerdict,
        facts: Option<Arc<str>>,
    ) -> Self {
        let weight = match &verdict {
            ObjectVerdict::Checked { findings, .. } => findings
                .iter()
                .map(|f| 3 * f.message.len() as u64 + FINDING_OVERHEAD)
                .sum(),
            ObjectVerdict::Skipped { reason, .. } => reason.len() as u64,
        };
        Self {
            exempt_label,
            verdict,
            facts,
            rendered: std::sync::OnceLock::new(),
            exceptions: Vec::new(),
            weight,
        }
    }

    pub fn with_exceptions(mut self, exceptions: Vec<Arc<PerimeterException>>) -> Self {
        self.exceptions = exceptions;
        self
    }
}

/// What an entry is keyed by: the object's exact bytes, or the text of its read parts
/// ([`crate::resources::read_parts`]).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum KeyText {
    Bytes,
    ReadParts,
}

#[derive(PartialEq, Eq)]
struct Key {
    generation: u64,
    text: KeyText,
    object: Box<[u8]>,
}

struct KeyRef<'a> {
    generation: u64,
    text: KeyText,
    object: &'a [u8],
}

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        KeyRef {
            generation: self.generation,
            text: self.text,
            object: &self.object,
        }
        .hash(state);
    }
}

impl Hash for KeyRef<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.generation.hash(state);
        self.text.hash(state);
        self.object.hash(state);
    }
}

impl Equivalent<Key> for KeyRef<'_> {
    fn equivalent(&self, key: &Key) -> bool {
        self.generation == key.generation && self.text == key.text && *self.object == *key.object
    }
}

#[derive(Clone)]
struct Weigh;

impl quick_cache::Weighter<Key, Arc<Evaluated>> for Weigh {
    fn weight(&self, key: &Key, evaluated: &Arc<Evaluated>) -> u64 {
        // An evaluation kept under two keys (bytes and read parts) is counted under each: the
        // bound holds, at the price of fewer entries.
        key.object.len() as u64 + ENTRY_OVERHEAD + evaluated.weight
    }
}

/// A bounded cache of evaluations; a capacity of zero turns it off. Half the capacity holds
/// evaluations by object bytes, half findings by facts.
pub struct DecisionCache {
    entries: Option<quick_cache::sync::Cache<Key, Arc<Evaluated>, Weigh>>,
    facts: FactsCache,
}

impl DecisionCache {
    pub fn new(capacity_bytes: u64) -> Self {
        let half = capacity_bytes / 2;
        let entries = (half > 0).then(|| {
            let estimated = (half / (4096 + ENTRY_OVERHEAD)).max(16) as usize;
            quick_cache::sync::Cache::with_weighter(estimated, half, Weigh)
        });
        Self {
            entries,
            facts: FactsCache::new(half),
        }
    }

    /// The findings-by-facts half, when the cache is on.
    pub fn facts(&self) -> Option<&FactsCache> {
        self.entries.as_ref().map(|_| &self.facts)
    }

    pub fn disabled() -> Self {
        Self::new(0)
    }

    pub fn is_enabled(&self) -> bool {
        self.entries.is_some()
    }

    /// The evaluation of an object with these exact bytes.
    pub fn get(&self, generation: u64, object: &[u8]) -> Option<Arc<Evaluated>> {
        self.get_by(generation, KeyText::Bytes, object)
    }

    pub fn get_by(&self, generation: u64, text: KeyText, object: &[u8]) -> Option<Arc<Evaluated>> {
        self.entries.as_ref()?.get(&KeyRef {
            generation,
            text,
            object,
        })
    }

    /// Remembers the evaluation of an object with these exact bytes.
    pub fn insert(&self, generation: u64, object: &[u8], evaluated: Arc<Evaluated>) {
        self.insert_by(generation, KeyText::Bytes, object, evaluated);
    }

    pub fn insert_by(
        &self,
        generation: u64,
        text: KeyText,
        object: &[u8],
        evaluated: Arc<Evaluated>,
    ) {
        if let Some(entries) = &self.entries
            && object.len() <= MAX_ENTRY_BYTES
        {
            entries.insert(
                Key {
                    generation,
                    text,
                    object: object.into(),
                },
                evaluated,
            );
        }
    }

    /// Entries held, and their weight in bytes, both halves together.
    pub fn usage(&self) -> (usize, u64) {
        let (entries, weight) = self
            .entries
            .as_ref()
            .map_or((0, 0), |e| (e.len(), e.weight()));
        let (facts, facts_weight) = self.facts.usage();
        (entries + facts, weight + facts_weight)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evaluated(reason: &str) -> Arc<Evaluated> {
        Arc::new(Evaluated::new(
            None,
            ObjectVerdict::Skipped {
                object: None,
                reason: reason.into(),
            },
            None,
        ))
    }

    fn reason(e: &Evaluated) -> &str {
        match &e.verdict {
            ObjectVerdict::Skipped { reason, .. } => reason,
            ObjectVerdict::Checked { .. } => "checked",
        }
    }

    #[test]
    fn a_hit_needs_the_same_bytes_and_the_same_generation() {
        let cache = DecisionCache::new(1 << 20);
        cache.insert(1, br#"{"a":1}"#, evaluated("one"));
        assert_eq!(
            cache.get(1, br#"{"a":1}"#).as_deref().map(reason),
            Some("one")
        );
        assert!(cache.get(1, br#"{"a":2}"#).is_none());
        assert!(cache.get(1, br#"{"a":1} "#).is_none());
        assert!(cache.get(2, br#"{"a":1}"#).is_none(), "a new configuration");
    }

    #[test]
    fn read_parts_and_bytes_are_separate_keys() {
        let cache = DecisionCache::new(1 << 20);
        cache.insert_by(1, KeyText::ReadParts, br#"{"a":1}"#, evaluated("read"));
        assert!(cache.get(1, br#"{"a":1}"#).is_none());
        assert_eq!(
            cache
                .get_by(1, KeyText::ReadParts, br#"{"a":1}"#)
                .as_deref()
                .map(reason),
            Some("read")
        );
        assert!(cache.get_by(2, KeyText::ReadParts, br#"{"a":1}"#).is_none());
    }

    #[test]
    fn stays_within_its_capacity() {
        let cache = DecisionCache::new(64 * 1024);
        let object = vec![b'x'; 4000];
        for i in 0..1000u64 {
            cache.insert(i, &object, evaluated("x"));
        }
        let (entries, weight) = cache.usage();
        assert!(weight <= 64 * 1024, "{weight}");
        assert!(entries > 0 && entries < 1000, "{entries}");
    }

    #[test]
    fn what_a_verdict_holds_counts_toward_the_capacity() {
        // The same small keys, with verdicts of 20 KB and of a few bytes.
        let fill = |reason: &str| {
            let cache = DecisionCache::new(2 * 64 * 1024);
            for i in 0..100u64 {
                cache.insert(i, b"{}", evaluated(reason));
            }
            cache.entries.as_ref().map_or(0, |e| e.len())
        };
        let large = fill(&"x".repeat(20 * 1024));
        let small = fill("x");
        assert!(large <= 3, "{large} verdicts of 20 KB in 64 KiB");
        assert!(
            small > 2 * large,
            "{small} small verdicts against {large} large ones"
        );
    }

    #[test]
    fn large_objects_and_a_disabled_cache_are_never_stored() {
        let cache = DecisionCache::new(8 << 20);
        cache.insert(1, &vec![b'x'; MAX_ENTRY_BYTES + 1], evaluated("big"));
        assert_eq!(cache.usage().0, 0);
        let off = DecisionCache::disabled();
        off.insert(1, b"{}", evaluated("x"));
        assert!(!off.is_enabled());
        assert!(off.get(1, b"{}").is_none());
    }
}
