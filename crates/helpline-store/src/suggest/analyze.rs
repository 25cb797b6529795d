//! How the KB suggestions read text: words folded (`text::fold`), the stop words of German
//! and English left out (the NLTK lists of the `stop-words` crate), every word stemmed
//! with Snowball in the text's language, and German compounds split into their parts
//! only where every part is a real word of a sensible length.

use crate::text;
use rust_stemmers::{Algorithm, Stemmer};
use std::collections::HashSet;
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    De,
    En,
}

/// Shortest compound part taken on its own: shorter pieces are fragments ("er", "ung").
pub const MIN_PART_CHARS: usize = 4;
/// Words shorter than this are not split.
const MIN_COMPOUND_CHARS: usize = 8;
/// Most words of one text that are read: a pasted log of 20,000 characters still answers
/// within the latency target, and its first words say what it is about.
pub const MAX_WORDS: usize = 400;

pub struct Analyzer {
    stop_de: HashSet<String>,
    stop_en: HashSet<String>,
    de: Stemmer,
    en: Stemmer,
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Analyzer({} + {} stop words)", self.stop_de.len(), self.stop_en.len())
    }
}

/// The one analyzer (the stop-word sets and stemmers are built once per process).
pub fn analyzer() -> &'static Analyzer {
    static ANALYZER: OnceLock<Analyzer> = OnceLock::new();
    ANALYZER.get_or_init(|| Analyzer {
        stop_de: stop_set(stop_words::lookup("de").unwrap_or_default()),
        stop_en: stop_set(stop_words::lookup("en").unwrap_or_default()),
        de: Stemmer::create(Algorithm::German),
        en: Stemmer::create(Algorithm::English),
    })
}

fn stop_set<S: AsRef<str>>(words: impl IntoIterator<Item = S>) -> HashSet<String> {
    words.into_iter().map(|w| text::fold(w.as_ref())).collect()
}

/// One word of a text as the suggestions see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Word {
    /// Folded ("kuendigung").
    pub folded: String,
    /// The word as typed, for compound splitting.
    pub raw: String,
}

impl Analyzer {
    pub fn is_stop_word(&self, folded: &str) -> bool {
        self.stop_de.contains(folded) || self.stop_en.contains(folded)
    }

    /// The words of `text` that can tell something: no stop words, no single letters, no
    /// long digit runs (phone numbers, customer numbers), at most `MAX_WORDS`. Acronyms of
    /// two letters ("IP", "PC") stay.
    pub fn telling_words(&self, text: &str) -> Vec<Word> {
        self.telling_words_up_to(text, MAX_WORDS)
    }

    pub fn telling_words_up_to(&self, text: &str, max: usize) -> Vec<Word> {
        let mut out = Vec::new();
        for (_, w) in text::words(text) {
            if out.len() >= max {
                break;
            }
            let chars = w.chars().count();
            let digits = w.chars().filter(char::is_ascii_digit).count();
            let acronym = chars == 2 && w.chars().all(|c| c.is_uppercase() || c.is_ascii_digit());
            if (chars < 3 && !acronym) || chars > 40 || digits > 5 || (digits == chars && chars < 3) {
                continue;
            }
            let folded = text::fold(w);
            if self.is_stop_word(&folded) {
                continue;
            }
            out.push(Word { folded, raw: w.to_owned() });
        }
        out
    }

    /// Which language a text is in, by the stop words it uses (an agent's German note
    /// full of "Router" and "WLAN" is still German). German when nothing tells.
    pub fn guess_language(&self, text: &str) -> Lang {
        let (mut de, mut en) = (0usize, 0usize);
        for (_, w) in text::words(text).take(MAX_WORDS) {
            if w.chars().any(|c| matches!(c, 'ä' | 'ö' | 'ü' | 'ß' | 'Ä' | 'Ö' | 'Ü')) {
                de += 1;
            }
            let f = text::fold(w);
            de += usize::from(self.stop_de.contains(&f));
            en += usize::from(self.stop_en.contains(&f));
        }
        if en > de { Lang::En } else { Lang::De }
    }

    pub fn stem(&self, lang: Lang, folded: &str) -> String {
        match lang {
            Lang::De => self.de.stem(folded).into_owned(),
            Lang::En => self.en.stem(folded).into_owned(),
        }
    }

    /// The parts of a German compound, folded, when every part is at least
    /// `MIN_PART_CHARS` long and `is_word` says it is a real word ("Routerpasswort" →
    /// router, passwort). Pieces the splitter cuts too short are glued back to their
    /// neighbour first, so participles and comparatives stay whole. A linking "s" or "n"
    /// between parts is dropped when the part without it is a word.
    pub fn compound_parts(&self, raw: &str, is_word: impl Fn(&str) -> bool) -> Vec<String> {
        if raw.chars().count() < MIN_COMPOUND_CHARS || !raw.chars().all(char::is_alphabetic) {
            return Vec::new();
        }
        let pieces = text::compound_segments(raw);
        if pieces.len() < 2 {
            return Vec::new();
        }
        split_into_words(&pieces, is_word)
    }

    /// Like `compound_parts`, but cut anywhere, for the few words of a call that the
    /// splitter's dictionary does not cut (an English word in a German compound:
    /// "Routerpasswort").
    pub fn compound_parts_anywhere(&self, raw: &str, is_word: impl Fn(&str) -> bool) -> Vec<String> {
        if raw.chars().count() < MIN_COMPOUND_CHARS || !raw.chars().all(char::is_alphabetic) {
            return Vec::new();
        }
        let pieces: Vec<String> = text::fold(raw).chars().map(String::from).collect();
        split_into_words(&pieces, is_word)
    }
}

fn split_into_words(pieces: &[String], is_word: impl Fn(&str) -> bool) -> Vec<String> {
    // The fewest runs of adjacent pieces that are each a real word of at least
    // `MIN_PART_CHARS` letters ("netz|werk|drucker" → netzwerk, drucker when "netz" alone
    // is not known), a linking "s" or "n" at a run's end dropped when that makes it one.
    let n = pieces.len();
    let as_word = |run: &str, last: bool| -> Option<String> {
        if run.chars().count() < MIN_PART_CHARS {
            return None;
        }
        if is_word(run) {
            return Some(run.to_owned());
        }
        if last {
            return None;
        }
        let stem = run.strip_suffix('s').or_else(|| run.strip_suffix('n'))?;
        (stem.chars().count() >= MIN_PART_CHARS && is_word(stem)).then(|| stem.to_owned())
    };
    // best[i]: the fewest parts covering pieces[..i], with the parts.
    let mut best: Vec<Option<Vec<String>>> = vec![None; n + 1];
    best[0] = Some(Vec::new());
    for end in 1..=n {
        for start in 0..end {
            let Some(before) = best[start].as_ref() else { continue };
            if start == 0 && end == n {
                continue; // the whole word is no split
            }
            let Some(part) = as_word(&pieces[start..end].concat(), end == n) else { continue };
            if best[end].as_ref().is_none_or(|b| b.len() > before.len() + 1) {
                let mut parts = before.clone();
                parts.push(part);
                best[end] = Some(parts);
            }
        }
    }
    best[n].take().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(w: &str) -> bool {
        ["netzwerk", "drucker", "router", "passwort", "kuendigung", "bestaetigung", "vertrag"].contains(&w)
    }

    #[test]
    fn compounds_split_only_into_real_words() {
        let a = analyzer();
        assert_eq!(a.compound_parts("Netzwerkdrucker", known), ["netzwerk", "drucker"]);
        assert_eq!(a.compound_parts_anywhere("Routerpasswort", known), ["router", "passwort"]);
        assert_eq!(a.compound_parts("Kündigungsbestätigung", known), ["kuendigung", "bestaetigung"]);
        for whole in ["ausgedruckt", "schneller", "Drucker", "configuration", "K7-0042"] {
            assert!(a.compound_parts(whole, known).is_empty(), "{whole} is not split");
        }
    }

    #[test]
    fn stop_words_digits_and_letters_are_left_out() {
        let a = analyzer();
        let words: Vec<String> = a
            .telling_words("Der Kunde sagt, dass sein IP-Telefon 0151 1234567 nicht geht: x und the")
            .into_iter()
            .map(|w| w.folded)
            .collect();
        assert!(words.contains(&"ip".to_owned()) && words.contains(&"telefon".to_owned()), "{words:?}");
        for gone in ["der", "dass", "nicht", "und", "the", "x", "1234567"] {
            assert!(!words.contains(&gone.to_owned()), "{gone} in {words:?}");
        }
        assert_eq!(a.guess_language("the printer does not print any more"), Lang::En);
        assert_eq!(a.guess_language("Der Router geht nicht"), Lang::De);
        assert_eq!(a.stem(Lang::En, "renewal"), a.stem(Lang::En, "renew"));
    }
}
