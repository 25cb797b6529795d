//! `cargo xtask bench kb`: KB suggestions on a labelled set of agent-typed calls
//! (`bench/kb-eval/`, or `--set DIR` with the same files). The articles go into a real
//! store file; every call runs through `Store::suggest_kb_articles`, the app's own path.
//! Prints R@1, R@3 and MRR per type, how the confidence sorts covered from uncovered
//! calls, and the latency; the former ranker (FTS5 bm25 over six words) and a
//! character-4-gram TF-IDF ranker run beside it. Writes `bench/results/kb.json` and `kb.md`.

use anyhow::{Context, Result};
use hdrhistogram::Histogram;
use helpline_domain::*;
use helpline_store::Store;
use helpline_store::suggest::Fit;
use serde::Deserialize;
use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::Instant;

#[derive(Deserialize)]
struct EvalArticle {
    key: String,
    category: String,
    title: String,
    tags: Vec<String>,
    body: String,
}

#[derive(Deserialize)]
struct EvalCall {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    subject: String,
    description: String,
    article: Option<String>,
}

const LIMIT: u32 = 10;

fn main() -> Result<()> {
    let mut set = PathBuf::from("bench/kb-eval");
    let mut out = PathBuf::from("bench/results");
    let mut verbose = false;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--set" => set = PathBuf::from(it.next().context("--set needs a directory")?),
            "--out" => out = PathBuf::from(it.next().context("--out needs a directory")?),
            "--verbose" => verbose = true,
            other => anyhow::bail!("unknown option {other}; known: --set DIR --out DIR --verbose"),
        }
    }
    let articles: Vec<EvalArticle> = serde_json::from_str(&std::fs::read_to_string(set.join("articles.json"))?)?;
    let calls: Vec<EvalCall> = serde_json::from_str(&std::fs::read_to_string(set.join("calls.json"))?)?;

    let dir = tempfile::tempdir()?;
    let mut store = Store::open(dir.path().join("kb.db"))?;
    let author = AgentId::new_v7();
    let mut categories: HashMap<String, CategoryId> = HashMap::new();
    let mut ids: HashMap<KbArticleId, String> = HashMap::new();
    let mut changes = Vec::new();
    for a in &articles {
        let category = *categories.entry(a.category.clone()).or_insert_with(CategoryId::new_v7);
        let id = KbArticleId::new_v7();
        ids.insert(id, a.key.clone());
        changes.push(Change::KbArticle(KbArticle {
            id,
            title: a.title.clone(),
            body: a.body.clone(),
            tags: a.tags.clone(),
            category_id: Some(category),
            visibility: Visibility::Internal,
            state: ArticleState::Published,
            revision: 1,
            source_ticket: None,
            author,
            edited_by: Some(author),
            created_at: Timestamp::from_millis(0),
            updated_at: Timestamp::from_millis(0),
            flagged_outdated: false,
            phrasings: Vec::new(),
        }));
    }
    for (name, id) in &categories {
        store.upsert_category(*id, name)?;
    }
    store.write_confirmed(&changes)?;
    let baseline = Ngram::of(&articles);

    let mut latency = Histogram::<u64>::new(3)?;
    let mut by_type: BTreeMap<String, Tally> = BTreeMap::new();
    let mut old_by_type: BTreeMap<String, Tally> = BTreeMap::new();
    let mut ngram_by_type: BTreeMap<String, Tally> = BTreeMap::new();
    let mut strong = (0u32, 0u32); // (strong top suggestions, of them right)
    let mut nothing = (0u32, 0u32); // (uncovered shown "nothing fits", answerable shown so)
    let (mut uncovered, mut answerable) = (0u32, 0u32);
    // With --verbose: each call's best hit, its features and whether it is right, to
    // recalibrate `suggest::CALIBRATION`.
    let mut features = Vec::new();
    // Warm the index once, so the latency is that of a call typed, not of the first build.
    store.suggest_kb_articles("warm up", LIMIT)?;
    for c in &calls {
        let text = format!("{}\n{}", c.subject, c.description);
        let t0 = Instant::now();
        let got = store.suggest_kb_articles(&text, LIMIT)?;
        latency.record(t0.elapsed().as_micros().max(1) as u64)?;
        let ranked: Vec<&str> = got.hits.iter().map(|h| ids[&h.id].as_str()).collect();
        let old: Vec<String> =
            store.suggest_kb_articles_bm25(&text, LIMIT)?.iter().map(|h| ids[&h.id].clone()).collect();
        let ngram = baseline.rank(&text);
        if let Some(h) = got.hits.first() {
            let right = c.article.as_deref() == Some(ids[&h.id].as_str());
            features.push(json!({"call": c.id, "type": c.kind, "right": right,
                "coverage": h.features.coverage, "margin": h.features.margin, "score": h.features.score}));
        }
        match &c.article {
            Some(want) => {
                answerable += 1;
                by_type.entry(c.kind.clone()).or_default().add(rank_of(&ranked, want));
                old_by_type.entry(c.kind.clone()).or_default().add(rank_of(&old, want));
                ngram_by_type.entry(c.kind.clone()).or_default().add(rank_of(&ngram, want));
                if got.fit == Fit::None {
                    nothing.1 += 1;
                }
                if got.fit == Fit::Strong {
                    strong.0 += 1;
                    strong.1 += u32::from(ranked.first() == Some(&want.as_str()));
                }
                if verbose && ranked.first() != Some(&want.as_str()) {
                    let f = got.hits.first().map(|h| h.features).unwrap_or_default();
                    println!(
                        "MISS {} [{}] want {want} at {:?}, got {:?} ({:?} {:.2} cov {:.2} margin {:.2}): {}",
                        c.id,
                        c.kind,
                        rank_of(&ranked, want),
                        ranked.first(),
                        got.fit,
                        got.hits.first().map_or(0.0, |h| h.confidence),
                        f.coverage,
                        f.margin,
                        text.replace('\n', " / ")
                    );
                }
            }
            None => {
                uncovered += 1;
                if got.fit == Fit::None {
                    nothing.0 += 1;
                } else {
                    if got.fit == Fit::Strong {
                        strong.0 += 1;
                    }
                    if verbose {
                        let h = &got.hits[0];
                        println!(
                            "FITS-UNCOVERED {} {:?} {:.2} cov {:.2} margin {:.2} -> {}: {}",
                            c.id,
                            got.fit,
                            h.confidence,
                            h.features.coverage,
                            h.features.margin,
                            ids[&h.id],
                            text.replace('\n', " / ")
                        );
                    }
                }
            }
        }
    }
    let all = |m: &BTreeMap<String, Tally>| m.values().fold(Tally::default(), |a, t| a.plus(t));
    let ms = |q: f64| latency.value_at_quantile(q) as f64 / 1000.0;
    let share = |n: u32, of: u32| if of == 0 { 0.0 } else { f64::from(n) / f64::from(of) };

    let mut md = String::from(
        "| Type | calls | R@1 | R@3 | MRR | former ranker R@1 / R@3 | char-4-gram TF-IDF R@1 / R@3 |\n|---|---|---|---|---|---|---|\n",
    );
    let mut types = serde_json::Map::new();
    for (kind, t) in by_type.iter().chain(std::iter::once((&"all answerable".to_owned(), &all(&by_type)))) {
        let old = old_by_type.get(kind).copied().unwrap_or_else(|| all(&old_by_type));
        let ng = ngram_by_type.get(kind).copied().unwrap_or_else(|| all(&ngram_by_type));
        md.push_str(&format!(
            "| {kind} | {} | {:.2} | {:.2} | {:.2} | {:.2} / {:.2} | {:.2} / {:.2} |\n",
            t.n,
            t.r1(),
            t.r3(),
            t.mrr(),
            old.r1(),
            old.r3(),
            ng.r1(),
            ng.r3()
        ));
        types.insert(
            kind.clone(),
            json!({"calls": t.n, "r1": t.r1(), "r3": t.r3(), "mrr": t.mrr(),
                   "former": {"r1": old.r1(), "r3": old.r3(), "mrr": old.mrr()},
                   "char4_tfidf": {"r1": ng.r1(), "r3": ng.r3(), "mrr": ng.mrr()}}),
        );
    }
    md.push_str(&format!(
        "\nUncovered calls shown \"nothing fits\": {}/{} ({:.0} %, target ≥ 80 %); answerable calls shown so: {}/{} ({:.0} %, target ≤ 10 %); a \"strong\" top suggestion is right {}/{} ({:.0} %, target ≥ 90 %).\n\
         Latency of one suggestion (whole call text, top {LIMIT}): p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms ({} articles).\n",
        nothing.0,
        uncovered,
        100.0 * share(nothing.0, uncovered),
        nothing.1,
        answerable,
        100.0 * share(nothing.1, answerable),
        strong.1,
        strong.0,
        100.0 * share(strong.1, strong.0),
        ms(0.5),
        ms(0.95),
        ms(0.99),
        articles.len()
    ));
    println!("{md}");
    std::fs::create_dir_all(&out)?;
    let result = json!({
        "set": set.display().to_string(),
        "articles": articles.len(),
        "calls": calls.len(),
        "types": types,
        "uncovered_nothing_fits": share(nothing.0, uncovered),
        "answerable_nothing_fits": share(nothing.1, answerable),
        "strong_precision": share(strong.1, strong.0),
        "strong_count": strong.0,
        "latency_ms": {"p50": ms(0.5), "p95": ms(0.95), "p99": ms(0.99)},
    });
    std::fs::write(out.join("kb.json"), serde_json::to_string_pretty(&result)?)?;
    std::fs::write(out.join("kb.md"), md)?;
    if verbose {
        std::fs::write(out.join("kb-features.json"), serde_json::to_string(&features)?)?;
    }
    Ok(())
}

fn rank_of<S: AsRef<str>>(ranked: &[S], want: &str) -> Option<usize> {
    ranked.iter().position(|k| k.as_ref() == want).map(|i| i + 1)
}

#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    n: u32,
    at1: u32,
    at3: u32,
    rr: f64,
}

impl Tally {
    fn add(&mut self, rank: Option<usize>) {
        self.n += 1;
        if let Some(r) = rank {
            self.at1 += u32::from(r == 1);
            self.at3 += u32::from(r <= 3);
            self.rr += 1.0 / r as f64;
        }
    }
    fn plus(self, o: &Tally) -> Tally {
        Tally { n: self.n + o.n, at1: self.at1 + o.at1, at3: self.at3 + o.at3, rr: self.rr + o.rr }
    }
    fn r1(&self) -> f64 {
        f64::from(self.at1) / f64::from(self.n.max(1))
    }
    fn r3(&self) -> f64 {
        f64::from(self.at3) / f64::from(self.n.max(1))
    }
    fn mrr(&self) -> f64 {
        self.rr / f64::from(self.n.max(1))
    }
}

/// The naive baseline: character 4-grams of the lower-cased text, TF-IDF, cosine.
struct Ngram {
    docs: Vec<(String, HashMap<String, f64>)>,
    idf: HashMap<String, f64>,
}

fn grams(text: &str) -> HashMap<String, f64> {
    let chars: Vec<char> = format!(" {} ", text.to_lowercase()).chars().collect();
    let mut tf = HashMap::new();
    for w in chars.windows(4) {
        *tf.entry(w.iter().collect::<String>()).or_insert(0.0) += 1.0;
    }
    tf
}

impl Ngram {
    fn of(articles: &[EvalArticle]) -> Ngram {
        let raw: Vec<(String, HashMap<String, f64>)> = articles
            .iter()
            .map(|a| (a.key.clone(), grams(&format!("{} {} {}", a.title, a.tags.join(" "), a.body))))
            .collect();
        let mut df: HashMap<String, f64> = HashMap::new();
        for (_, g) in &raw {
            for k in g.keys() {
                *df.entry(k.clone()).or_insert(0.0) += 1.0;
            }
        }
        let n = raw.len() as f64;
        let idf: HashMap<String, f64> = df.into_iter().map(|(k, d)| (k, (n / d).ln() + 1.0)).collect();
        let docs = raw.into_iter().map(|(k, g)| (k, normalised(g, &idf))).collect();
        Ngram { docs, idf }
    }

    fn rank(&self, text: &str) -> Vec<String> {
        let q = normalised(grams(text), &self.idf);
        let mut scored: Vec<(f64, &String)> = self
            .docs
            .iter()
            .map(|(k, d)| (q.iter().map(|(g, w)| w * d.get(g).copied().unwrap_or(0.0)).sum(), k))
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        scored.into_iter().take(LIMIT as usize).map(|(_, k)| k.clone()).collect()
    }
}

fn normalised(tf: HashMap<String, f64>, idf: &HashMap<String, f64>) -> HashMap<String, f64> {
    let weighted: HashMap<String, f64> =
        tf.into_iter().filter_map(|(g, t)| idf.get(&g).map(|i| (g, (1.0 + t.ln()) * i))).collect();
    let norm = weighted.values().map(|w| w * w).sum::<f64>().sqrt().max(1e-9);
    weighted.into_iter().map(|(g, w)| (g, w / norm)).collect()
}
