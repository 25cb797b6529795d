//! Customer phrasings: a call's words kept with the KB article that solved it, without
//! the personal data in them.

/// Fewest digits in a run (spaces, `/`, `-`, `.`, `(`, `)` and a leading `+` between them)
/// that is taken for a phone, customer or contract number and left out.
const NUMBER_DIGITS: usize = 6;

/// `text` without e-mail addresses, phone-like digit runs and the words of `names` (the
/// customer's name, compared case-insensitively), spaces collapsed. Pure, so the desktop
/// and the hub keep the same text.
pub fn scrub_personal_data(text: &str, names: &[&str]) -> String {
    let name_words: Vec<String> = names
        .iter()
        .flat_map(|n| n.split(|c: char| !c.is_alphanumeric()))
        .filter(|w| w.chars().count() >= 2)
        .map(str::to_lowercase)
        .collect();
    let mut kept: Vec<String> = Vec::new();
    for token in text.split_whitespace() {
        if token.contains('@') && token.split('@').nth(1).is_some_and(|d| d.contains('.')) {
            continue;
        }
        let word: String = token.chars().filter(|c| c.is_alphanumeric()).collect::<String>().to_lowercase();
        if !word.is_empty() && name_words.contains(&word) {
            continue;
        }
        kept.push(token.to_owned());
    }
    strip_numbers(&kept.join(" "))
}

/// Removes runs of at least `NUMBER_DIGITS` digits with the separators phone numbers use.
fn strip_numbers(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() || (chars[i] == '+' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) {
            let mut j = i;
            let mut digits = 0;
            while j < chars.len() && (chars[j].is_ascii_digit() || " /-.()+".contains(chars[j])) {
                digits += usize::from(chars[j].is_ascii_digit());
                j += 1;
            }
            // Do not swallow the separator after the run ("0151 123456 sagt").
            while j > i && !chars[j - 1].is_ascii_digit() {
                j -= 1;
            }
            if digits >= NUMBER_DIGITS {
                i = j;
                continue;
            }
            out.extend(&chars[i..j]);
            i = j;
            continue;
        }
        out.push(chars[i]);
        i += 1;
    }
    // What is left of "(0151 …)," is punctuation alone.
    out.split_whitespace().filter(|t| t.chars().any(char::is_alphanumeric)).collect::<Vec<_>>().join(" ")
}

/// The form two phrasings are compared in (case and spacing do not make a new one).
pub fn comparable(text: &str) -> String {
    text.split_whitespace().map(str::to_lowercase).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_data_is_taken_out() {
        let got = scrub_personal_data(
            "Frau Jana Meier (0151/123 45-67, jana.meier@example.org) kommt nicht ins WLAN, Fehler 651",
            &["Jana Meier"],
        );
        assert_eq!(got, "Frau kommt nicht ins WLAN, Fehler 651");
        assert_eq!(scrub_personal_data("Ruft von +49 30 1234567 an: Router blinkt", &[]), "Ruft von an: Router blinkt");
        assert_eq!(scrub_personal_data("  ", &[]), "");
        assert_eq!(comparable(" Drucker  druckt NICHT "), "drucker druckt nicht");
    }
}
