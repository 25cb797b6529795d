//! Article text for the window: Markdown rendered safely, and search snippets split at
//! their highlights.

use crate::views::Segment;
use helpline_store::{HIGHLIGHT_END, HIGHLIGHT_START};
use std::collections::HashSet;

/// Splits a store snippet at its highlight markers.
pub fn snippet_segments(snippet: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut hit = false;
    let mut text = String::new();
    for c in snippet.chars() {
        if c == HIGHLIGHT_START || c == HIGHLIGHT_END {
            if !text.is_empty() {
                out.push(Segment { text: std::mem::take(&mut text), hit });
            }
            hit = c == HIGHLIGHT_START;
        } else {
            text.push(c);
        }
    }
    if !text.is_empty() {
        out.push(Segment { text, hit });
    }
    out
}

/// An article snippet as plain text: Markdown's heading, emphasis and code marks out,
/// runs of white space as one space.
pub(crate) fn without_markdown_marks(snippet: &str) -> String {
    let mut out = String::with_capacity(snippet.len());
    for c in snippet.chars().filter(|c| !matches!(c, '#' | '*' | '`')) {
        if c.is_whitespace() {
            if !out.ends_with(' ') {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
    }
    out.trim().to_owned()
}

/// Markdown to HTML that cannot run script or load anything remote: no script, no
/// event handlers, no `javascript:` links, and no images (an image would be fetched
/// from wherever it points). Links keep only http(s) and mailto targets.
pub fn render_markdown(markdown: &str) -> String {
    let mut html = String::new();
    let options = pulldown_cmark::Options::ENABLE_TABLES | pulldown_cmark::Options::ENABLE_STRIKETHROUGH;
    pulldown_cmark::html::push_html(&mut html, pulldown_cmark::Parser::new_ext(markdown, options));
    ammonia::Builder::default()
        .url_schemes(HashSet::from(["https", "http", "mailto"]))
        .rm_tags(["img"])
        .clean(&html)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_split_at_highlight_markers() {
        let s = format!("the {HIGHLIGHT_START}drucker{HIGHLIGHT_END} is offline");
        assert_eq!(
            snippet_segments(&s),
            vec![
                Segment { text: "the ".into(), hit: false },
                Segment { text: "drucker".into(), hit: true },
                Segment { text: " is offline".into(), hit: false },
            ]
        );
    }

    #[test]
    fn suggestion_snippets_lose_markdown_marks_but_keep_highlights() {
        let s = format!("## Symptome\nDer {HIGHLIGHT_START}Drucker{HIGHLIGHT_END} zeigt *bereit*");
        let plain: Vec<Segment> = snippet_segments(&without_markdown_marks(&s));
        assert_eq!(plain.iter().map(|p| p.text.as_str()).collect::<String>(), "Symptome Der Drucker zeigt bereit");
        assert!(plain.iter().any(|p| p.hit && p.text == "Drucker"));
    }

    #[test]
    fn markdown_is_rendered_without_script() {
        let html = render_markdown("# Title\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) **bold**");
        assert!(html.contains("<h1>Title</h1>"));
        assert!(html.contains("<strong>bold</strong>"));
        assert!(!html.contains("script"));
        assert!(!html.contains("javascript:"));
    }

    #[test]
    fn markdown_loads_nothing_remote() {
        let html = render_markdown(
            "![tracker](https://example.com/pixel.png)\n\n<img src=x onerror=alert(1)>\n\n<iframe src=https://example.com></iframe>",
        );
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("iframe"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
    }
}
