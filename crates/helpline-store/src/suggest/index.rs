//! The in-memory index of published articles behind the KB suggestions, and the ranking.

use super::analyze::{Lang, Word, analyzer};
use super::dictionary::dictionary;
use super::{Features, Fit, Suggestion, Suggestions, confidence};
use crate::error::Result;
use crate::search::{HIGHLIGHT_END, HIGHLIGHT_START};
use crate::tables::{events, kb_articles};
use crate::text;
use helpline_domain::{KbArticle, KbArticleId};
use rusqlite::Connection;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// title, tags, customer phrasings, body
const FIELDS: usize = 4;
const FIELD_WEIGHT: [f32; FIELDS] = [3.0, 2.5, 2.0, 1.0];
/// BM25's length normalisation per field (tags are short lists: none).
const FIELD_B: [f32; FIELDS] = [0.3, 0.0, 0.5, 0.75];
const K1: f32 = 1.2;
/// Most words of one field that are indexed.
const MAX_FIELD_WORDS: usize = 3000;

/// How much a kind of match counts against the agent's own word in the article.
const WHOLE_WORD: f32 = 1.0;
/// The call's word is a part of a compound in the article ("Drucker" in "Netzwerkdrucker").
const PART_OF_ARTICLE_WORD: f32 = 0.6;
/// Each part of the call's compound found in the article ("Routerpasswort": router, passwort).
const PART_OF_CALL_WORD: f32 = 0.6;
/// A close spelling of a word the KB does not know ("druker").
const TYPO: f32 = 0.75;
/// Another form of the word: one stem a prefix of the other, a few letters apart
/// ("storni" / "stornier"), where Snowball stems two forms of one word differently.
const RELATED_FORM: f32 = 0.85;
/// The word in the other language.
const TRANSLATION: f32 = 0.7;
/// What an unknown word (no article has it in any form) weighs in the coverage, against
/// the rarest known word: a call about things the KB never mentions is not covered.
const UNKNOWN_WORD_MASS: f32 = 0.35;
/// Usage prior: an article that solved more calls ranks a little higher, at most this much.
const MAX_USAGE_PRIOR: f32 = 0.08;

const SNIPPET_WORDS: usize = 18;
const RELATED_MIN: usize = 5;
const RELATED_SPAN: usize = 3;

#[derive(Debug, Clone, Copy)]
struct Posting {
    doc: u32,
    tf: [u8; FIELDS],
}

#[derive(Debug)]
struct Doc {
    id: KbArticleId,
    lang: Lang,
    len: [f32; FIELDS],
    prior: f32,
}

#[derive(Debug, Default)]
struct Terms {
    ids: HashMap<Box<str>, u32>,
    postings: Vec<Vec<Posting>>,
}

impl Terms {
    fn add(&mut self, term: &str, doc: u32, field: usize) {
        let id = match self.ids.get(term) {
            Some(id) => *id,
            None => {
                let id = self.postings.len() as u32;
                self.ids.insert(term.into(), id);
                self.postings.push(Vec::new());
                id
            }
        };
        let list = &mut self.postings[id as usize];
        match list.last_mut() {
            Some(p) if p.doc == doc => p.tf[field] = p.tf[field].saturating_add(1),
            _ => {
                let mut tf = [0; FIELDS];
                tf[field] = 1;
                list.push(Posting { doc, tf });
            }
        }
    }

    fn get(&self, term: &str) -> Option<u32> {
        self.ids.get(term).copied()
    }
}

/// Whole-word stems and compound-part stems of the published articles.
pub struct KbIndex {
    docs: Vec<Doc>,
    words: Terms,
    parts: Terms,
    avg_len: [f32; FIELDS],
    /// Every folded whole word of the KB: a compound's part must be a real word, and a word
    /// the KB uses is one.
    vocabulary: HashSet<Box<str>>,
    /// Single-deletion neighbours of the word stems, for unknown words (built when needed).
    neighbours: OnceLock<Vec<(u64, u32)>>,
    word_list: Vec<Box<str>>,
    /// The word stems in order, for related forms.
    sorted_words: Vec<(Box<str>, u32)>,
}

impl std::fmt::Debug for KbIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KbIndex({} articles, {} terms)", self.docs.len(), self.word_list.len())
    }
}

fn field_texts(a: &KbArticle) -> [String; FIELDS] {
    let phrasings: Vec<&str> = a.phrasings.iter().map(|p| p.text.as_str()).collect();
    [a.title.clone(), a.tags.join(" "), phrasings.join("\n"), a.body.clone()]
}

impl KbIndex {
    pub fn build(conn: &Connection) -> Result<KbIndex> {
        let articles = kb_articles::list_published_kb_articles(conn)?;
        let uses = events::count_kb_uses(conn)?;
        Ok(KbIndex::of(&articles, &uses))
    }

    /// The index of `articles` (published ones), with how often each solved a ticket.
    fn of(articles: &[KbArticle], uses: &HashMap<KbArticleId, u64>) -> KbIndex {
        let a = analyzer();
        let dict = dictionary();
        // Pass 1: the KB's vocabulary. The words are read again in pass 2 rather than kept:
        // holding every word of 10,000 articles at once took hundreds of MiB.
        let mut vocabulary: HashSet<Box<str>> = HashSet::new();
        let mut langs: Vec<Lang> = Vec::with_capacity(articles.len());
        for article in articles {
            langs.push(a.guess_language(&format!("{} {}", article.title, article.body)));
            for t in field_texts(article) {
                for w in a.telling_words_up_to(&t, MAX_FIELD_WORDS) {
                    if !vocabulary.contains(w.folded.as_str()) {
                        vocabulary.insert(w.folded.into_boxed_str());
                    }
                }
            }
        }
        let is_word = |p: &str| vocabulary.contains(p) || dict.is_german_word(p);
        // Pass 2: postings. A word's stem and parts are worked out once.
        let mut seen: HashMap<(bool, String), (String, Vec<String>)> = HashMap::new();
        let mut words = Terms::default();
        let mut parts = Terms::default();
        let mut docs = Vec::with_capacity(articles.len());
        let mut total_len = [0f32; FIELDS];
        for (n, (article, lang)) in articles.iter().zip(langs).enumerate() {
            let doc = n as u32;
            let mut len = [0f32; FIELDS];
            for (field, text) in field_texts(article).iter().enumerate() {
                let list = a.telling_words_up_to(text, MAX_FIELD_WORDS);
                len[field] = list.len() as f32;
                for w in &list {
                    let key = (lang == Lang::De, w.raw.clone());
                    let (stem, word_parts) = seen.entry(key).or_insert_with(|| {
                        let stem = a.stem(lang, &w.folded);
                        let ps = if lang == Lang::De {
                            a.compound_parts(&w.raw, is_word).iter().map(|p| a.stem(Lang::De, p)).collect()
                        } else {
                            Vec::new()
                        };
                        (stem, ps)
                    });
                    words.add(stem, doc, field);
                    for p in word_parts.iter() {
                        parts.add(p, doc, field);
                    }
                }
            }
            for f in 0..FIELDS {
                total_len[f] += len[f];
            }
            let used = uses.get(&article.id).copied().unwrap_or(0) as f32;
            docs.push(Doc { id: article.id, lang, len, prior: usage_prior(used) });
        }
        let count = docs.len().max(1) as f32;
        let avg_len = total_len.map(|t| (t / count).max(1.0));
        let mut word_list: Vec<Box<str>> = vec!["".into(); words.postings.len()];
        for (term, id) in &words.ids {
            word_list[*id as usize] = term.clone();
        }
        let mut sorted_words: Vec<(Box<str>, u32)> = words.ids.iter().map(|(t, id)| (t.clone(), *id)).collect();
        sorted_words.sort_unstable();
        KbIndex { docs, words, parts, avg_len, vocabulary, neighbours: OnceLock::new(), word_list, sorted_words }
    }

    fn idf(&self, df: usize) -> f32 {
        let n = self.docs.len() as f32;
        let df = df as f32;
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    }

    /// BM25F of one term's posting.
    fn term_score(&self, idf: f32, p: &Posting) -> f32 {
        let d = &self.docs[p.doc as usize];
        let mut tf = 0.0;
        for f in 0..FIELDS {
            if p.tf[f] > 0 {
                let norm = 1.0 - FIELD_B[f] + FIELD_B[f] * d.len[f] / self.avg_len[f];
                tf += FIELD_WEIGHT[f] * f32::from(p.tf[f]) / norm;
            }
        }
        idf * tf * (K1 + 1.0) / (K1 + tf)
    }

    /// The alternatives of one word of the call: what it may match, and how much each counts.
    fn alternatives(&self, w: &Word, with_typos: bool) -> Vec<Alt> {
        let a = analyzer();
        let dict = dictionary();
        let mut alts: Vec<Alt> = Vec::new();
        let stems = [(Lang::De, a.stem(Lang::De, &w.folded)), (Lang::En, a.stem(Lang::En, &w.folded))];
        for (_, s) in &stems {
            self.push_term(&mut alts, s, WHOLE_WORD, PART_OF_ARTICLE_WORD);
        }
        for (_, s) in &stems {
            for id in self.related_forms(s) {
                push_alt(&mut alts, Alt { kind: Kind::Word, term: id, weight: RELATED_FORM });
            }
        }
        if alts.is_empty() && with_typos && w.folded.chars().count() >= 5 {
            for (_, s) in &stems {
                for id in self.close_spellings(s) {
                    push_alt(&mut alts, Alt { kind: Kind::Word, term: id, weight: TYPO });
                }
            }
        }
        for (lang, s) in &stems {
            let other = if *lang == Lang::De { Lang::En } else { Lang::De };
            for t in dict.translate(*lang, s) {
                let ts = a.stem(other, t);
                self.push_term(&mut alts, &ts, TRANSLATION, TRANSLATION * PART_OF_ARTICLE_WORD);
            }
        }
        alts
    }

    fn push_term(&self, alts: &mut Vec<Alt>, stem: &str, whole: f32, part: f32) {
        if let Some(id) = self.words.get(stem) {
            push_alt(alts, Alt { kind: Kind::Word, term: id, weight: whole });
        }
        if let Some(id) = self.parts.get(stem) {
            push_alt(alts, Alt { kind: Kind::Part, term: id, weight: part });
        }
    }

    /// Word stems that begin with `stem` or that `stem` begins with, at least
    /// `RELATED_MIN` letters long and at most `RELATED_SPAN` letters apart.
    fn related_forms(&self, stem: &str) -> Vec<u32> {
        let len = stem.chars().count();
        if len < RELATED_MIN {
            return Vec::new();
        }
        let mut out = Vec::new();
        let chars: Vec<(usize, char)> = stem.char_indices().collect();
        for cut in (RELATED_MIN.max(len.saturating_sub(RELATED_SPAN)))..len {
            if let Some(id) = self.words.get(&stem[..chars[cut].0]) {
                out.push(id);
            }
        }
        let start = self.sorted_words.partition_point(|(t, _)| t.as_ref() < stem);
        for (t, id) in self.sorted_words[start..].iter().take_while(|(t, _)| t.starts_with(stem)) {
            let extra = t.chars().count() - len;
            if extra > 0 && extra <= RELATED_SPAN {
                out.push(*id);
            }
        }
        out
    }

    /// Word stems one edit (insert, delete, substitute, swap) away from `stem`.
    fn close_spellings(&self, stem: &str) -> Vec<u32> {
        if stem.chars().count() < 4 {
            return Vec::new();
        }
        let neighbours = self.neighbours.get_or_init(|| {
            let mut n: Vec<(u64, u32)> = Vec::new();
            for (id, term) in self.word_list.iter().enumerate() {
                if term.chars().count() >= 4 {
                    for variant in deletions(term) {
                        n.push((hash(&variant), id as u32));
                    }
                }
            }
            n.sort_unstable();
            n
        });
        let mut out = Vec::new();
        for variant in deletions(stem) {
            let h = hash(&variant);
            let start = neighbours.partition_point(|(k, _)| *k < h);
            for (_, id) in neighbours[start..].iter().take_while(|(k, _)| *k == h) {
                let term = &self.word_list[*id as usize];
                if !out.contains(id) && strsim::damerau_levenshtein(term, stem) <= 1 {
                    out.push(*id);
                }
            }
        }
        out
    }

    fn postings(&self, alt: &Alt) -> &[Posting] {
        match alt.kind {
            Kind::Word => &self.words.postings[alt.term as usize],
            Kind::Part => &self.parts.postings[alt.term as usize],
        }
    }

    /// The concepts of a call: each telling word once (by its stems), with the parts of a
    /// compound as sub-concepts.
    fn concepts(&self, form_text: &str) -> Vec<Concept> {
        let a = analyzer();
        let dict = dictionary();
        let is_word = |p: &str| self.vocabulary.contains(p) || dict.is_german_word(p);
        let mut concepts: Vec<Concept> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        for w in a.telling_words(form_text) {
            let key = a.stem(Lang::De, &w.folded);
            if !seen.insert(key) {
                continue;
            }
            let alts = self.alternatives(&w, true);
            let parts: Vec<Vec<Alt>> = if alts.iter().any(|a| a.kind == Kind::Word && a.weight >= WHOLE_WORD) {
                Vec::new()
            } else {
                let mut split = a.compound_parts(&w.raw, is_word);
                if split.is_empty() {
                    split = a.compound_parts_anywhere(&w.raw, is_word);
                }
                split
                    .into_iter()
                    .map(|p| self.alternatives(&Word { raw: p.clone(), folded: p }, false))
                    .filter(|alts| !alts.is_empty())
                    .collect()
            };
            let mass = self.mass(&alts, &parts);
            concepts.push(Concept { alts, parts, mass });
        }
        concepts
    }

    /// What a concept can add at most to an article's score that covers it fully.
    fn mass(&self, alts: &[Alt], parts: &[Vec<Alt>]) -> f32 {
        let best = |alts: &[Alt]| -> f32 {
            alts.iter().map(|alt| alt.weight * self.idf(self.postings(alt).len())).fold(0.0, f32::max)
        };
        let direct = best(alts);
        let split: f32 = parts.iter().map(|p| best(p) * PART_OF_CALL_WORD).sum();
        let known = direct.max(split);
        if known > 0.0 { known * SATURATION } else { self.idf(1) * UNKNOWN_WORD_MASS * SATURATION }
    }

    pub fn suggest(&self, conn: &Connection, form_text: &str, limit: usize) -> Result<Suggestions> {
        let concepts = self.concepts(form_text);
        if concepts.is_empty() || self.docs.is_empty() || limit == 0 {
            return Ok(Suggestions { concepts: concepts.len() as u32, ..Suggestions::empty() });
        }
        let total_mass: f32 = concepts.iter().map(|c| c.mass).sum();
        let mut score = vec![0f32; self.docs.len()];
        let mut covered = vec![0f32; self.docs.len()];
        let mut best: HashMap<u32, f32> = HashMap::new();
        for c in &concepts {
            best.clear();
            self.best_of(&c.alts, 1.0, &mut best);
            if !c.parts.is_empty() {
                let mut split: HashMap<u32, f32> = HashMap::new();
                let mut one: HashMap<u32, f32> = HashMap::new();
                for p in &c.parts {
                    one.clear();
                    self.best_of(p, PART_OF_CALL_WORD, &mut one);
                    for (doc, s) in &one {
                        *split.entry(*doc).or_default() += s;
                    }
                }
                for (doc, s) in split {
                    let slot = best.entry(doc).or_default();
                    *slot = slot.max(s);
                }
            }
            for (doc, s) in &best {
                score[*doc as usize] += s;
                covered[*doc as usize] += s.min(c.mass);
            }
        }
        let mut ranked: Vec<(f32, u32)> = score
            .iter()
            .enumerate()
            .filter(|(_, s)| **s > 0.0)
            .map(|(doc, s)| (s * self.docs[doc].prior, doc as u32))
            .collect();
        // Best score first; equal scores by usage, then by the article's age (its id).
        ranked.sort_by(|(sa, da), (sb, db)| {
            sb.total_cmp(sa)
                .then(self.docs[*db as usize].prior.total_cmp(&self.docs[*da as usize].prior))
                .then(self.docs[*da as usize].id.cmp(&self.docs[*db as usize].id))
        });
        // The lead is over the next article whatever the caller asks for: with `limit` 1
        // (the knowledge gaps ask so) the best would otherwise always lead by 100 %.
        let first = ranked.first().map_or(0.0, |(s, _)| *s);
        let second = ranked.get(1).map_or(0.0, |(s, _)| *s);
        ranked.truncate(limit);
        let mut hits = Vec::with_capacity(ranked.len());
        for (i, (s, doc)) in ranked.iter().enumerate() {
            let margin = if i == 0 { (first - second) / first } else { (s - first) / first };
            let features = Features { coverage: covered[*doc as usize] / total_mass, margin, score: *s };
            let confidence = confidence(features);
            let d = &self.docs[*doc as usize];
            let Some((title, body)) = kb_articles::get_kb_title_and_body(conn, d.id)? else { continue };
            let snippet = self.snippet(&body, d.lang, &concepts, *doc);
            hits.push(Suggestion {
                id: d.id,
                title,
                snippet,
                confidence,
                fit: Fit::of(confidence, features.coverage),
                features,
            });
        }
        let fit = hits.first().map_or(Fit::None, |h| h.fit);
        Ok(Suggestions { fit, hits, concepts: concepts.len() as u32 })
    }

    /// Per document, the best of `alts` times `factor`, into `best`.
    fn best_of(&self, alts: &[Alt], factor: f32, best: &mut HashMap<u32, f32>) {
        for alt in alts {
            let list = self.postings(alt);
            let idf = self.idf(list.len());
            for p in list {
                let s = alt.weight * factor * self.term_score(idf, p);
                let slot = best.entry(p.doc).or_default();
                if s > *slot {
                    *slot = s;
                }
            }
        }
    }

    /// The body passage of `SNIPPET_WORDS` words with the most words that matched.
    fn snippet(&self, body: &str, lang: Lang, concepts: &[Concept], doc: u32) -> String {
        let a = analyzer();
        let dict = dictionary();
        let is_word = |p: &str| self.vocabulary.contains(p) || dict.is_german_word(p);
        let mut matched_words: HashSet<u32> = HashSet::new();
        let mut matched_parts: HashSet<u32> = HashSet::new();
        for c in concepts {
            for alt in c.alts.iter().chain(c.parts.iter().flatten()) {
                // Postings are in document order.
                if self.postings(alt).binary_search_by_key(&doc, |p| p.doc).is_ok() {
                    match alt.kind {
                        Kind::Word => matched_words.insert(alt.term),
                        Kind::Part => matched_parts.insert(alt.term),
                    };
                }
            }
        }
        let words: Vec<(usize, &str)> = text::words(body).collect();
        let hit: Vec<bool> = words
            .iter()
            .map(|(_, w)| {
                let folded = text::fold(w);
                if a.is_stop_word(&folded) {
                    return false;
                }
                let stem = a.stem(lang, &folded);
                self.words.get(&stem).is_some_and(|id| matched_words.contains(&id))
                    || (lang == Lang::De
                        && !matched_parts.is_empty()
                        && a.compound_parts(w, is_word).iter().any(|p| {
                            self.parts.get(&a.stem(Lang::De, p)).is_some_and(|id| matched_parts.contains(&id))
                        }))
            })
            .collect();
        if words.is_empty() {
            return String::new();
        }
        let window = SNIPPET_WORDS.min(words.len());
        let mut best_start = 0;
        let mut best_count = 0;
        let mut count: usize = hit[..window].iter().filter(|h| **h).count();
        if count > 0 {
            best_count = count;
        }
        for start in 1..=(words.len() - window) {
            count = count + usize::from(hit[start + window - 1]) - usize::from(hit[start - 1]);
            if count > best_count {
                best_count = count;
                best_start = start;
            }
        }
        let end_word = best_start + window - 1;
        let mut out = String::new();
        if best_start > 0 {
            out.push('…');
        }
        let mut at = words[best_start].0;
        for i in best_start..=end_word {
            let (start, w) = words[i];
            out.push_str(&body[at..start]);
            if hit[i] {
                out.push(HIGHLIGHT_START);
                out.push_str(w);
                out.push(HIGHLIGHT_END);
            } else {
                out.push_str(w);
            }
            at = start + w.len();
        }
        if end_word + 1 < words.len() {
            out.push('…');
        }
        out.replace('\n', " ")
    }
}

/// BM25's saturation of a term found once in the title of an average article: what
/// "fully covered" means for a concept.
const SATURATION: f32 = (K1 + 1.0) * FIELD_WEIGHT[0] / (K1 + FIELD_WEIGHT[0]);

fn usage_prior(uses: f32) -> f32 {
    1.0 + (MAX_USAGE_PRIOR * uses.ln_1p() / 3.0).min(MAX_USAGE_PRIOR)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Word,
    Part,
}

#[derive(Debug, Clone, Copy)]
struct Alt {
    kind: Kind,
    term: u32,
    weight: f32,
}

fn push_alt(alts: &mut Vec<Alt>, alt: Alt) {
    match alts.iter_mut().find(|a| a.kind == alt.kind && a.term == alt.term) {
        Some(existing) => existing.weight = existing.weight.max(alt.weight),
        None => alts.push(alt),
    }
}

#[derive(Debug)]
struct Concept {
    alts: Vec<Alt>,
    parts: Vec<Vec<Alt>>,
    mass: f32,
}

fn deletions(s: &str) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = vec![s.to_owned()];
    for i in 0..chars.len() {
        out.push(chars[..i].iter().chain(&chars[i + 1..]).collect());
    }
    out
}

fn hash(s: &str) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault};
    BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default().hash_one(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_usage_prior_is_small_and_grows_with_use() {
        assert_eq!(usage_prior(0.0), 1.0);
        assert!(usage_prior(3.0) > usage_prior(1.0));
        assert!(usage_prior(1_000_000.0) <= 1.0 + MAX_USAGE_PRIOR);
    }

    #[test]
    fn deletions_find_one_edit() {
        let d = deletions("druck");
        assert!(d.contains(&"druk".to_owned()) && d.contains(&"druck".to_owned()));
    }
}
