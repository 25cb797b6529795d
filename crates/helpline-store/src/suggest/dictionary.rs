//! German ↔ English words for calls in the other language than the article: the mapping
//! `cargo xtask kb-dictionary` made from FreeDict (GPL-3+, see the file's header), looked
//! up by stem so "printers" and "Rechnungen" find their entries.

use super::analyze::{Lang, analyzer};
use std::collections::HashMap;
use std::sync::OnceLock;

const MAPPING: &str = include_str!("../../data/de-en.tsv");

#[derive(Debug)]
pub struct Dictionary {
    /// German stem → English words (folded).
    german: HashMap<Box<str>, Vec<&'static str>>,
    /// English stem → German words (folded).
    english: HashMap<Box<str>, Vec<&'static str>>,
    /// Every German word the dictionary knows, folded: the "real words" compounds split into.
    words: std::collections::HashSet<&'static str>,
}

/// Built once per process, on the first suggestion that needs it.
pub fn dictionary() -> &'static Dictionary {
    static DICTIONARY: OnceLock<Dictionary> = OnceLock::new();
    DICTIONARY.get_or_init(|| {
        let a = analyzer();
        let mut german: HashMap<Box<str>, Vec<&'static str>> = HashMap::new();
        let mut english: HashMap<Box<str>, Vec<&'static str>> = HashMap::new();
        let mut words = std::collections::HashSet::new();
        for line in MAPPING.lines().filter(|l| !l.starts_with('#')) {
            let Some((de, ens)) = line.split_once('\t') else { continue };
            words.insert(de);
            let de_slot = german.entry(a.stem(Lang::De, de).into()).or_default();
            for en in ens.split(' ') {
                if !de_slot.contains(&en) {
                    de_slot.push(en);
                }
            }
            for en in ens.split(' ') {
                let slot = english.entry(a.stem(Lang::En, en).into()).or_default();
                if !slot.contains(&de) {
                    slot.push(de);
                }
            }
        }
        Dictionary { german, english, words }
    })
}

impl Dictionary {
    /// The other language's words for a folded word read as `lang`.
    pub fn translate(&self, lang: Lang, stem: &str) -> &[&'static str] {
        let map = match lang {
            Lang::De => &self.german,
            Lang::En => &self.english,
        };
        map.get(stem).map_or(&[], Vec::as_slice)
    }

    pub fn is_german_word(&self, folded: &str) -> bool {
        self.words.contains(folded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn translates_by_stem_both_ways() {
        let d = dictionary();
        let a = analyzer();
        assert!(d.translate(Lang::En, &a.stem(Lang::En, "printers")).contains(&"drucker"));
        assert!(d.translate(Lang::De, &a.stem(Lang::De, "rechnungen")).contains(&"invoice"));
        assert!(d.is_german_word("drucker"));
        assert!(d.translate(Lang::En, "qqqq").is_empty());
    }
}
