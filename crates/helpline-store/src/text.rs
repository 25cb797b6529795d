//! How text becomes search terms, the same at index and at query time:
//! case and diacritics folded, German umlauts spelled out ("Kündigung" and "Kuendigung"
//! are one term), and German compounds split into their parts, so that "drucker"
//! finds "Netzwerkdrucker". The parts come from the German decompounding dictionary
//! that ships with charabia (Meilisearch's tokenizer).

use charabia::segmenter::{GermanSegmenter, Segmenter};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Words shorter than this are never split into parts.
const MIN_COMPOUND_CHARS: usize = 8;
/// Parts shorter than this are not indexed on their own (they would match everything).
const MIN_PART_CHARS: usize = 3;
/// Bound on the extra tokens one word adds to the index.
const MAX_PARTS: usize = 16;

/// Lower-case, umlauts spelled out (ä→ae, ö→oe, ü→ue, ß→ss), other diacritics removed.
pub fn fold(word: &str) -> String {
    let mut out = String::with_capacity(word.len() + 2);
    if word.is_ascii() {
        out.extend(word.chars().map(|c| c.to_ascii_lowercase()));
        return out;
    }
    for c in word.chars().flat_map(char::to_lowercase) {
        match c {
            'ä' => out.push_str("ae"),
            'ö' => out.push_str("oe"),
            'ü' => out.push_str("ue"),
            'ß' => out.push_str("ss"),
            c if c.is_ascii() => out.push(c),
            c => out.extend(c.nfd().filter(|m| !is_combining_mark(*m))),
        }
    }
    out
}

/// The same word with umlauts reduced to their base letter ("kundigung"), for agents who
/// type "u" for "ü". `None` when the word has no umlaut.
pub fn fold_plain(word: &str) -> Option<String> {
    if word.is_ascii() || !word.chars().any(|c| matches!(c, 'ä' | 'ö' | 'ü' | 'Ä' | 'Ö' | 'Ü')) {
        return None;
    }
    Some(
        word.chars()
            .flat_map(char::to_lowercase)
            .flat_map(|c| if c == 'ß' { vec!['s', 's'] } else { c.nfd().filter(|m| !is_combining_mark(*m)).collect() })
            .collect(),
    )
}

/// The folded parts of a German compound ("Netzwerkdrucker" → netzwerk, drucker), with a
/// linking "s" also dropped ("Verwaltungs" → verwaltung). Empty for words that are not
/// compounds.
pub fn compound_parts(word: &str) -> Vec<String> {
    if word.chars().count() < MIN_COMPOUND_CHARS || !word.chars().all(char::is_alphabetic) {
        return Vec::new();
    }
    let lower = word.to_lowercase();
    let segments: Vec<&str> = GermanSegmenter.segment_str(&lower).collect();
    if segments.len() < 2 {
        return Vec::new();
    }
    let whole = fold(word);
    // Every run of adjacent segments, so "Netzwerkdrucker" (netz|werk|drucker) also
    // yields "netzwerk" and "werkdrucker".
    let mut parts = Vec::new();
    let n = segments.len();
    for len in 1..n {
        for start in 0..=(n - len) {
            let span: String = segments[start..start + len].concat();
            if span.chars().count() < MIN_PART_CHARS {
                continue;
            }
            let folded = fold(&span);
            // a linking "s" inside a compound ("Verwaltungs|programm") is dropped too
            if start + len < n
                && let Some(stem) = folded.strip_suffix('s')
                && stem.len() >= MIN_PART_CHARS
            {
                push_unique(&mut parts, &whole, stem.to_owned());
            }
            push_unique(&mut parts, &whole, folded);
            if parts.len() >= MAX_PARTS {
                return parts;
            }
        }
    }
    parts
}

/// The pieces charabia's German dictionary cuts a word into, lower case ("netzwerkdrucker"
/// → netz, werk, drucker); one piece when it knows no cut. The KB suggestions glue short
/// pieces back together (`suggest::analyze`).
pub fn compound_segments(word: &str) -> Vec<String> {
    let lower = word.to_lowercase();
    GermanSegmenter.segment_str(&lower).map(fold).collect()
}

fn push_unique(parts: &mut Vec<String>, whole: &str, part: String) {
    if part != whole && !parts.contains(&part) {
        parts.push(part);
    }
}

/// Byte ranges of the words in `text`: runs of letters and digits.
pub fn words(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut chars = text.char_indices().peekable();
    std::iter::from_fn(move || {
        while let Some(&(_, c)) = chars.peek() {
            if c.is_alphanumeric() {
                break;
            }
            chars.next();
        }
        let (start, _) = *chars.peek()?;
        let mut end = start;
        while let Some(&(i, c)) = chars.peek() {
            if !c.is_alphanumeric() {
                break;
            }
            end = i + c.len_utf8();
            chars.next();
        }
        Some((start, &text[start..end]))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding() {
        assert_eq!(fold("Kündigung"), "kuendigung");
        assert_eq!(fold("KUENDIGUNG"), "kuendigung");
        assert_eq!(fold("Straße"), "strasse");
        assert_eq!(fold("Café"), "cafe");
        assert_eq!(fold("Ärger"), "aerger");
        assert_eq!(fold("IP"), "ip");
        assert_eq!(fold_plain("Kündigung").as_deref(), Some("kundigung"));
        assert_eq!(fold_plain("Drucker"), None);
    }

    #[test]
    fn compounds_split_into_parts() {
        let parts = compound_parts("Netzwerkdrucker");
        for p in ["netzwerk", "drucker", "netz", "werk", "werkdrucker"] {
            assert!(parts.contains(&p.to_string()), "{p} in {parts:?}");
        }
        assert!(!parts.contains(&"netzwerkdrucker".to_string()), "the whole word is not a part");
        let parts = compound_parts("Kündigungsbestätigung");
        assert!(parts.contains(&"kuendigung".to_string()), "{parts:?}");
        assert!(parts.contains(&"bestaetigung".to_string()), "{parts:?}");
        assert!(compound_parts("Drucker").is_empty());
        assert!(compound_parts("K7-0042").is_empty());
    }

    #[test]
    fn words_keep_byte_offsets() {
        let text = "Der Netzwerkdrucker (IP 10.0.0.7) – Kündigung!";
        let got: Vec<(usize, &str)> = words(text).collect();
        assert_eq!(got[0], (0, "Der"));
        assert_eq!(got[1], (4, "Netzwerkdrucker"));
        assert_eq!(got[2], (21, "IP"));
        let (at, w) = *got.last().unwrap();
        assert_eq!(&text[at..at + w.len()], "Kündigung");
    }
}
