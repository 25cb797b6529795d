//! `cargo xtask kb-dictionary`: the German ↔ English word mapping the KB suggestions use to
//! find a German article for an English call and the other way round.
//!
//! The source is FreeDict's German–English and English–German dictionaries (Ding, by Frank
//! Richter and Einhard Leichtfuß), as Debian packages them (`dict-freedict-deu-eng`,
//! `dict-freedict-eng-deu`; GPL-3+). From every entry whose head word is a single German
//! noun, verb, adjective or adverb it keeps the single-word translations of the first
//! sense, both directions joined, at most `MAX_TRANSLATIONS` per word, words of at most
//! `MAX_CHARS` letters (longer words are compounds, which the suggestions split into their
//! parts first). Labels that mark words an agent does not use (archaic, slang, regional,
//! scientific fields) drop the translation. The output is committed, so the app's
//! bundles on Windows and macOS do not need Debian's packages; it is licensed GPL-3+ like
//! its source (see the header it writes).

use anyhow::{Context, Result, bail};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use crate::cmd;

const PACKAGES: [&str; 2] = ["dict-freedict-deu-eng", "dict-freedict-eng-deu"];
const DEU_ENG: &str = "/usr/share/dictd/freedict-deu-eng.dict.dz";
const ENG_DEU: &str = "/usr/share/dictd/freedict-eng-deu.dict.dz";
/// Where the mapping goes (committed; the store embeds it).
pub const OUTPUT: &str = "crates/helpline-store/data/de-en.tsv";
const MAX_TRANSLATIONS: usize = 4;
const MAX_CHARS: usize = 14;
const MIN_CHARS: usize = 3;
/// Labels of senses an agent's call never means.
const UNWANTED_LABELS: &[&str] = &[
    "obs.", "archaic", "slang", "Austr.", "Swiss", "poet.", "humor.", "vulg.", "dated", "rare", "dialect", "old",
    "pej.", "childish", "geol.", "bot.", "zool.", "med.", "biol.", "chem.", "mil.", "relig.", "hist.", "astron.",
    "anat.", "ornith.", "zool.", "Sc.", "Am.", "cook.", "agr.", "min.", "phil.", "ling.", "mus.", "art",
];

pub fn run() -> Result<()> {
    ensure_packages()?;
    let deu_eng = read_dictzip(DEU_ENG)?;
    let eng_deu = read_dictzip(ENG_DEU)?;
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (german, english) in entries(&deu_eng, true) {
        add_all(&mut map, &german, english);
    }
    // The other direction adds translations to the German words already there (it would
    // otherwise bring every inflected form in as a word of its own).
    for (english, germans) in entries(&eng_deu, false) {
        for german in germans {
            if map.contains_key(&fold(&german)) {
                add_all(&mut map, &german, vec![english.clone()]);
            }
        }
    }
    // A word that is the same in both languages ("Router") matches without a translation.
    for (german, english) in map.iter_mut() {
        english.retain(|e| e != german);
    }
    map.retain(|_, english| !english.is_empty());
    let mut out = String::from(
        "# German -> English support vocabulary for Helpline's KB suggestions, made by `cargo xtask kb-dictionary`.\n\
         # Derived from FreeDict deu-eng and eng-deu 2022.04 (Ding; (C) 1995-2022 Frank Richter, 2020-2022 Einhard\n\
         # Leichtfuss), licensed under the GNU General Public License, version 3 or later, like its source.\n\
         # One line a German word (folded: lower case, umlauts spelled out), a tab, its English words.\n",
    );
    let mut lines = 0;
    for (german, english) in &map {
        out.push_str(german);
        out.push('\t');
        out.push_str(&english.join(" "));
        out.push('\n');
        lines += 1;
    }
    let path = cmd::workspace_root().join(OUTPUT);
    std::fs::create_dir_all(path.parent().context("output has a parent")?)?;
    std::fs::write(&path, &out).with_context(|| format!("writing {}", path.display()))?;
    println!("xtask: {lines} German words with their English translations, {} KiB, in {OUTPUT}", out.len() / 1024);
    Ok(())
}

fn add_all(map: &mut BTreeMap<String, Vec<String>>, german: &str, english: Vec<String>) {
    let slot = map.entry(fold(german)).or_default();
    // Plural and singular of one translation ("printer", "printers") say the same.
    for e in english.iter().map(|e| fold(e)) {
        let plural_of_one = slot.iter().any(|s| e.strip_suffix('s') == Some(s) || s.strip_suffix('s') == Some(&e));
        if slot.len() < MAX_TRANSLATIONS && !slot.contains(&e) && !plural_of_one {
            slot.push(e);
        }
    }
}

/// The same folding as the store's `text::fold` for the letters a dictionary holds.
fn fold(word: &str) -> String {
    let mut out = String::new();
    for c in word.chars().flat_map(char::to_lowercase) {
        match c {
            'ä' => out.push_str("ae"),
            'ö' => out.push_str("oe"),
            'ü' => out.push_str("ue"),
            'ß' => out.push_str("ss"),
            'é' | 'è' | 'ê' => out.push('e'),
            'á' | 'à' | 'â' => out.push('a'),
            c => out.push(c),
        }
    }
    out
}

fn ensure_packages() -> Result<()> {
    if Path::new(DEU_ENG).exists() && Path::new(ENG_DEU).exists() {
        return Ok(());
    }
    println!("xtask: installing {} (the dictionaries' source)", PACKAGES.join(", "));
    let status = std::process::Command::new("apt-get")
        .args(["install", "-y", "--no-install-recommends"])
        .args(PACKAGES)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .context("running apt-get (the dictionaries come from Debian's packages)")?;
    if !status.success() {
        bail!("apt-get could not install {}", PACKAGES.join(", "));
    }
    Ok(())
}

fn read_dictzip(path: &str) -> Result<String> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {path}"))?;
    // dictzip is gzip with an index in its header: any gzip reader reads it whole.
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(file).read_to_string(&mut text).with_context(|| format!("reading {path}"))?;
    Ok(text)
}

/// (head word, translations) of each entry whose head word is a single word; with
/// `german_head`, only nouns in the singular, verbs, adjectives and adverbs.
fn entries(text: &str, german_head: bool) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let Some((head, pos)) = head_line(line) else { continue };
        if !is_word(head) || (german_head && !wanted_pos(pos)) {
            continue;
        }
        // The first line after the head word is the first sense's translations.
        let Some(first_sense) = lines.peek() else { break };
        if first_sense.trim_start().starts_with("see:") || first_sense.trim().is_empty() {
            continue;
        }
        let words: Vec<String> = first_sense
            .split([',', ';'])
            .filter(|t| !UNWANTED_LABELS.iter().any(|l| t.contains(&format!("[{l}]"))))
            .map(strip_marks)
            .filter(|t| is_word(t))
            .map(|t| t.to_lowercase())
            .take(MAX_TRANSLATIONS)
            .collect();
        if !words.is_empty() {
            out.push((head.to_lowercase(), words));
        }
    }
    out
}

/// A head word line: `Drucker /dɾˈʊkɜ/ <masc, n, sg>` → ("Drucker", "<masc, n, sg>").
fn head_line(line: &str) -> Option<(&str, &str)> {
    if line.starts_with(char::is_whitespace) {
        return None;
    }
    let (head, rest) = line.split_once(" /")?;
    let (_, pos) = rest.split_once('/')?;
    Some((head.trim(), pos.trim()))
}

fn wanted_pos(pos: &str) -> bool {
    pos.contains("n, sg") || pos.starts_with("<v") || pos.starts_with("<adj") || pos.starts_with("<adv") || pos == "<n>"
}

/// Text without its `<n>`, `[label]`, `(note)` and `{ref}` marks.
fn strip_marks(t: &str) -> String {
    let mut out = String::new();
    let mut depth = 0;
    for c in t.chars() {
        match c {
            '<' | '[' | '(' | '{' => depth += 1,
            '>' | ']' | ')' | '}' => depth = (depth - 1).max(0),
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out.trim().to_owned()
}

fn is_word(t: &str) -> bool {
    let n = t.chars().count();
    (MIN_CHARS..=MAX_CHARS).contains(&n) && t.chars().all(|c| c.is_alphabetic())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_dictd_entries() {
        let text = "Drucker /dɾˈʊkɜ/ <masc, n, sg>\nprinter <n>, lineprinter <n>\n see: {Drucker}\n\n\
                    Kündigung /kˈyndɪɡˌʊŋ/ <fem, n, sg>\ncancellation <n>, notice [archaic], (formal) termination\n\
                    aber wirklich /x/\nreally\n";
        let got = entries(text, true);
        assert_eq!(got[0], ("drucker".to_owned(), vec!["printer".to_owned(), "lineprinter".to_owned()]));
        assert_eq!(got[1], ("kündigung".to_owned(), vec!["cancellation".to_owned(), "termination".to_owned()]));
        assert_eq!(got.len(), 2, "a phrase is no head word");
        assert_eq!(fold("Kündigung"), "kuendigung");
    }
}
