//! Knowledge gaps: the calls that were escalated or solved without any article are the
//! list of articles that should exist. They are grouped by category, then by the words
//! that recur among them, so a KB writer sees "Drucker · Papierstau: 4 calls" instead of
//! four loose tickets.
//!
//! A word names a group by how many gap calls use it, weighed by how rare it is among all
//! calls of the window: "Kunde" or "funktioniert" appear everywhere and name nothing, a
//! product or an error that several unsolved calls share does. The greedy pass takes the
//! best word, makes its calls one group, and repeats on the calls left; a call that shares
//! no word with another stands alone.

use super::analyze::{Lang, analyzer};
use super::dictionary::dictionary;
use helpline_domain::{CategoryId, Ticket, TicketId};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

/// A group of gap calls share at least this many calls per word.
const MIN_SHARED: usize = 2;
/// Words a group's label shows at most.
const LABEL_WORDS: usize = 3;
/// How strongly a word names a call: in the subject, in the description only; a
/// compound's part by this share of its word.
const SUBJECT_WEIGHT: f64 = 1.0;
const DESCRIPTION_WEIGHT: f64 = 0.6;
const PART_WEIGHT: f64 = 0.5;

/// Articles that should exist: calls of one category that share the words that name
/// their problem.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KnowledgeGap {
    pub category_id: Option<CategoryId>,
    /// The recurring words, as agents typed them most often; for a call that stands
    /// alone, its most telling words.
    pub words: Vec<String>,
    /// Newest first.
    pub tickets: Vec<TicketId>,
}

/// One call's terms: the stems of its telling words and of their compound parts, each
/// once.
struct Terms {
    /// Each key with how strongly it names the call: a word of the subject more than one
    /// of the description, a whole word more than a compound's part.
    keys: HashMap<String, f64>,
    /// The whole words' keys in the order typed (the subject first): a call alone is
    /// labelled by its first ones.
    ordered: Vec<String>,
}

/// How the terms of all calls are written, to label a group in the words agents use.
#[derive(Default)]
struct Spellings {
    seen: HashMap<String, HashMap<String, usize>>,
}

impl Spellings {
    fn note(&mut self, key: &str, raw: &str) {
        *self.seen.entry(key.to_owned()).or_default().entry(raw.to_owned()).or_default() += 1;
    }

    /// The spelling used most often; ties go to the shorter, then the first in order.
    fn of(&self, key: &str) -> String {
        self.seen
            .get(key)
            .and_then(|forms| {
                forms.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.len().cmp(&a.0.len())).then(b.0.cmp(a.0)))
            })
            .map_or_else(|| key.to_owned(), |(form, _)| form.clone())
    }
}

fn terms_of(ticket: &Ticket, spellings: &mut Spellings) -> Terms {
    let a = analyzer();
    let lang = a.guess_language(&format!("{}\n{}", ticket.subject, ticket.description));
    let mut keys: HashMap<String, f64> = HashMap::new();
    let mut ordered = Vec::new();
    let note = |key: String, weight: f64, keys: &mut HashMap<String, f64>| {
        let w = keys.entry(key).or_default();
        *w = w.max(weight);
    };
    for (text, weight) in [(&ticket.subject, SUBJECT_WEIGHT), (&ticket.description, DESCRIPTION_WEIGHT)] {
        for word in a.telling_words(text) {
            // Digits (an error code, a model number) are kept as they are: they recur.
            let key = a.stem(lang, &word.folded);
            spellings.note(&key, &word.raw);
            if !keys.contains_key(&key) {
                ordered.push(key.clone());
            }
            note(key, weight, &mut keys);
            if lang == Lang::De {
                for part in a.compound_parts(&word.raw, |w| dictionary().is_german_word(w)) {
                    let key = a.stem(Lang::De, &part);
                    spellings.note(&key, &capitalised(&part));
                    note(key, weight * PART_WEIGHT, &mut keys);
                }
            }
        }
    }
    Terms { keys, ordered }
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// Groups `gaps` (calls of `window`, newest first) by category and recurring words.
/// `window` is every call of the same period, whose words say which ones are common.
pub(crate) fn group_gaps(window: &[Ticket], gaps: &[&Ticket]) -> Vec<KnowledgeGap> {
    let mut spellings = Spellings::default();
    let mut df: HashMap<String, usize> = HashMap::new();
    let gap_ids: HashSet<TicketId> = gaps.iter().map(|t| t.id).collect();
    let mut gap_terms: HashMap<TicketId, Terms> = HashMap::new();
    for t in window {
        let terms = terms_of(t, &mut spellings);
        for k in terms.keys.keys() {
            *df.entry(k.clone()).or_default() += 1;
        }
        if gap_ids.contains(&t.id) {
            gap_terms.insert(t.id, terms);
        }
    }
    // A gap outside the window still counts: its words are then as rare as can be.
    for t in gaps {
        if let std::collections::hash_map::Entry::Vacant(slot) = gap_terms.entry(t.id) {
            let terms = terms_of(t, &mut spellings);
            for k in terms.keys.keys() {
                *df.entry(k.clone()).or_default() += 1;
            }
            slot.insert(terms);
        }
    }
    let total = window.len().max(gaps.len()) as f64;
    let rarity = |key: &str| (1.0 + total / df.get(key).copied().unwrap_or(1) as f64).ln();

    let mut by_category: BTreeMap<Option<CategoryId>, Vec<&Ticket>> = BTreeMap::new();
    for t in gaps {
        by_category.entry(t.category_id).or_default().push(t);
    }
    let mut out = Vec::new();
    for (category_id, mut left) in by_category {
        while left.len() >= MIN_SHARED {
            let Some(key) = best_key(&left, &gap_terms, &rarity) else { break };
            let (group, rest): (Vec<&Ticket>, Vec<&Ticket>) =
                left.into_iter().partition(|t| gap_terms[&t.id].keys.contains_key(&key));
            left = rest;
            let mut words = vec![key.clone()];
            // Words most of the group shares as well sharpen the label.
            let mut also = shared_keys(&group, &gap_terms, &rarity, group.len().div_ceil(2).max(MIN_SHARED));
            also.retain(|k| *k != key);
            words.extend(also.into_iter().take(LABEL_WORDS - 1));
            out.push(KnowledgeGap {
                category_id,
                words: words.iter().map(|k| spellings.of(k)).collect(),
                tickets: group.iter().map(|t| t.id).collect(),
            });
        }
        for t in left {
            out.push(KnowledgeGap {
                category_id,
                words: gap_terms[&t.id].ordered.iter().take(LABEL_WORDS).map(|k| spellings.of(k)).collect(),
                tickets: vec![t.id],
            });
        }
    }
    // The gaps with the most calls first; among equals, the one called about last.
    let newest: HashMap<TicketId, helpline_domain::Timestamp> = gaps.iter().map(|t| (t.id, t.created_at)).collect();
    out.sort_by(|a, b| b.tickets.len().cmp(&a.tickets.len()).then(newest[&b.tickets[0]].cmp(&newest[&a.tickets[0]])));
    out
}

/// The word that names the most calls of `left`, weighed by rarity, shared by at least
/// `MIN_SHARED` of them.
fn best_key(left: &[&Ticket], terms: &HashMap<TicketId, Terms>, rarity: &impl Fn(&str) -> f64) -> Option<String> {
    shared_keys(left, terms, rarity, MIN_SHARED).into_iter().next()
}

/// Keys at least `min` of `tickets` share, best first (summed weight × rarity; then the key, so
/// the order never depends on a hash map's).
fn shared_keys(
    tickets: &[&Ticket],
    terms: &HashMap<TicketId, Terms>,
    rarity: &impl Fn(&str) -> f64,
    min: usize,
) -> Vec<String> {
    let mut count: HashMap<&String, (usize, f64)> = HashMap::new();
    for t in tickets {
        for (k, weight) in &terms[&t.id].keys {
            let c = count.entry(k).or_default();
            c.0 += 1;
            c.1 += weight;
        }
    }
    let mut keys: Vec<(&String, f64)> =
        count.into_iter().filter(|(_, (n, _))| *n >= min).map(|(k, (_, w))| (k, w * rarity(k))).collect();
    keys.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    keys.into_iter().map(|(k, _)| k.clone()).collect()
}
