//! KB suggestions for the text of a call, and how sure they are.
//!
//! FTS5's bm25 cannot weigh one kind of match below another (a compound's part below the
//! whole word, a translation below the agent's own word) and ranks every matching row, so
//! the suggestions keep their own small index of the published articles in memory
//! (`index.rs`), built from the store's rows on first use and rebuilt after the KB changes.
//! Every meaningful word of the call takes part, each as one *concept* with alternatives
//! (its German and English stems, the parts of a compound, a close spelling when the word
//! is unknown, its translations), scored with BM25F over title, tags, the customers'
//! phrasings and body; a concept counts once, by its best alternative. How much of the call
//! the best article covers, and how far it leads, give a calibrated confidence.

pub mod analyze;
pub mod dictionary;
mod gaps;
mod index;

pub use gaps::KnowledgeGap;
pub(crate) use gaps::group_gaps;
pub use index::KbIndex;

use crate::error::Result;
use helpline_domain::KbArticleId;
use rusqlite::Connection;
use serde::Serialize;
use std::sync::{Arc, Mutex, PoisonError};

/// How well the best articles fit the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fit {
    /// Nothing fits: the agent is told so instead of being shown weak hits.
    None,
    Possible,
    Strong,
}

/// Confidence from which a suggestion is called strong (the probability that it is the
/// right article, calibrated on `bench/kb-eval`).
pub const STRONG_CONFIDENCE: f32 = 0.70;
/// Confidence below which a suggestion is not shown.
pub const POSSIBLE_CONFIDENCE: f32 = 0.30;

/// Share of the call an article must cover to be called strong, whatever its lead: in a
/// small KB one rare word shared with a single article (and no second article to lead
/// over) would otherwise make a lone weak hit "strong". On `bench/kb-eval` every strong
/// suggestion already covers that much, so the floor changes nothing there.
pub const STRONG_COVERAGE: f32 = 0.30;

impl Fit {
    pub fn of(confidence: f32, coverage: f32) -> Fit {
        if confidence >= STRONG_CONFIDENCE && coverage >= STRONG_COVERAGE {
            Fit::Strong
        } else if confidence >= POSSIBLE_CONFIDENCE {
            Fit::Possible
        } else {
            Fit::None
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suggestion {
    pub id: KbArticleId,
    pub title: String,
    /// The passage that matched best, matched words between `HIGHLIGHT_START` and
    /// `HIGHLIGHT_END` (Markdown left in; the client strips it).
    pub snippet: String,
    /// Probability that this is the article the call needs, 0..1.
    pub confidence: f32,
    pub fit: Fit,
    /// What the confidence was computed from (for the benchmark's calibration).
    pub features: Features,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Default)]
pub struct Features {
    /// Share of the call's concepts (weighted by how telling they are) this article covers.
    pub coverage: f32,
    /// Lead over the next article, relative to this one's score (≤ 0 below the first).
    pub margin: f32,
    pub score: f32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suggestions {
    /// The fit of the best article (`None` also when nothing was typed that tells).
    pub fit: Fit,
    /// Ranked, best first, whatever their fit (the window shows those that fit).
    pub hits: Vec<Suggestion>,
    /// How many telling words of the call were read (0: too little typed to judge).
    pub concepts: u32,
}

impl Suggestions {
    pub fn empty() -> Suggestions {
        Suggestions { fit: Fit::None, hits: Vec::new(), concepts: 0 }
    }
}

/// The store's suggestion index, built on first use and dropped when the KB changes.
#[derive(Default)]
pub struct SuggestIndex {
    built: Mutex<Option<Arc<KbIndex>>>,
}

impl std::fmt::Debug for SuggestIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SuggestIndex")
    }
}

impl SuggestIndex {
    pub fn invalidate(&self) {
        *self.built.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }

    pub fn get(&self, conn: &Connection) -> Result<Arc<KbIndex>> {
        let mut built = self.built.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(index) = built.as_ref() {
            return Ok(index.clone());
        }
        let index = Arc::new(KbIndex::build(conn)?);
        *built = Some(index.clone());
        Ok(index)
    }
}

/// Published articles for what the agent has typed into the call form, with confidence.
pub fn suggest(conn: &Connection, index: &SuggestIndex, form_text: &str, limit: u32) -> Result<Suggestions> {
    let index = index.get(conn)?;
    index.suggest(conn, form_text, limit as usize)
}

/// Logistic calibration of (coverage, margin, ln(1 + score)) to the probability that an
/// article is the right one, fitted on `bench/kb-eval` (`cargo xtask bench kb` prints the
/// fit it would choose, so a changed ranker can be recalibrated).
pub const CALIBRATION: [f32; 4] = [7.5, 6.05, 0.52, -5.63];

pub fn confidence(f: Features) -> f32 {
    let [a, b, c, d] = CALIBRATION;
    let z = a * f.coverage + b * f.margin + c * f.score.max(0.0).ln_1p() + d;
    1.0 / (1.0 + (-z).exp())
}
