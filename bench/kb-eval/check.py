#!/usr/bin/env python3
"""Validate the KB suggestion evaluation set (articles.json, calls.json).

Standard library only. Exits with status 1 and lists every problem if the
set is invalid; prints the counts per type and language either way.
"""
import json
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
TYPES = ["direct", "paraphrase", "typo", "compound", "other_language", "uncovered"]
LANGS = {"de", "en"}
MIN_PER_TYPE = {"direct": 40, "paraphrase": 40, "typo": 30, "compound": 30,
                "other_language": 40, "uncovered": 45}
MIN_EN_TO_DE = 28   # English call, German article
MIN_DE_TO_EN = 12   # German call, English article
MIN_ARTICLES = 64
MIN_CALLS = 220
MIN_CALLS_PER_ARTICLE = 2
KEY_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
ID_RE = re.compile(r"^c\d{3,}$")
# Words shared with the KB domain; at least a third of the uncovered calls
# should contain one of them (near misses).
DOMAIN_WORDS = ["router", "vertrag", "rechnung", "drucker", "wlan", "sim", "e-mail",
                "mail", "vpn", "glasfaser", "fibre", "festnetz", "rufnummer", "techniker",
                "contract", "invoice", "printer", "abbuch", "scanner", "tv", "handy"]

errors = []


def err(msg):
    errors.append(msg)


def load(name):
    path = HERE / name
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
        data = json.loads(text)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        print(f"FATAL: {name}: {e}")
        sys.exit(1)
    if not isinstance(data, list):
        print(f"FATAL: {name} is not a JSON array")
        sys.exit(1)
    if "\\u00" in text:
        err(f"{name}: contains \\u escapes, write with ensure_ascii=False")
    return data


articles = load("articles.json")
calls = load("calls.json")

# ---------------- articles ----------------
keys = {}
for i, a in enumerate(articles):
    where = f"article #{i}"
    if not isinstance(a, dict):
        err(f"{where}: not an object")
        continue
    expected = {"key", "lang", "category", "title", "tags", "body"}
    if set(a) != expected:
        err(f"{where}: fields {sorted(a)} != {sorted(expected)}")
    key = a.get("key")
    where = f"article {key!r}"
    if not isinstance(key, str) or not KEY_RE.match(key):
        err(f"{where}: key is not lowercase-kebab")
    if key in keys:
        err(f"{where}: duplicate key")
    keys[key] = a
    if a.get("lang") not in LANGS:
        err(f"{where}: invalid lang {a.get('lang')!r}")
    for f in ("category", "title", "body"):
        if not isinstance(a.get(f), str) or not a.get(f, "").strip():
            err(f"{where}: empty {f}")
    tags = a.get("tags")
    if not isinstance(tags, list) or not 2 <= len(tags) <= 5:
        err(f"{where}: needs 2-5 tags")
    else:
        for t in tags:
            if not isinstance(t, str) or t != t.lower() or not t.strip():
                err(f"{where}: tag {t!r} not lowercase")
        if len(set(tags)) != len(tags):
            err(f"{where}: duplicate tags")
    words = len(re.findall(r"\w+", a.get("body", "")))
    if not 120 <= words <= 300:
        err(f"{where}: body has {words} words (120-300 expected)")

if len(articles) < MIN_ARTICLES:
    err(f"only {len(articles)} articles (min {MIN_ARTICLES})")

# ---------------- calls ----------------
ids = set()
type_counts = Counter()
lang_counts = Counter()
type_lang = Counter()
per_article = Counter()
en_to_de = de_to_en = 0
uncovered_near = 0
for i, c in enumerate(calls):
    where = f"call #{i}"
    if not isinstance(c, dict):
        err(f"{where}: not an object")
        continue
    expected = {"id", "type", "lang", "subject", "description", "article"}
    if set(c) != expected:
        err(f"{where}: fields {sorted(c)} != {sorted(expected)}")
    cid = c.get("id")
    where = f"call {cid!r}"
    if not isinstance(cid, str) or not ID_RE.match(cid):
        err(f"{where}: id must look like c001")
    if cid in ids:
        err(f"{where}: duplicate id")
    ids.add(cid)
    typ, lang, art = c.get("type"), c.get("lang"), c.get("article")
    if typ not in TYPES:
        err(f"{where}: invalid type {typ!r}")
    if lang not in LANGS:
        err(f"{where}: invalid lang {lang!r}")
    for f in ("subject", "description"):
        if not isinstance(c.get(f), str) or not c.get(f, "").strip():
            err(f"{where}: empty {f}")
    nsub = len(str(c.get("subject", "")).split())
    if not 2 <= nsub <= 8:
        err(f"{where}: subject has {nsub} words (2-8 expected)")
    type_counts[typ] += 1
    lang_counts[lang] += 1
    type_lang[(typ, lang)] += 1
    if typ == "uncovered":
        if art is not None:
            err(f"{where}: uncovered call must have article null")
        text = (str(c.get("subject")) + " " + str(c.get("description"))).lower()
        if any(w in text for w in DOMAIN_WORDS):
            uncovered_near += 1
        continue
    if art is None:
        err(f"{where}: {typ} call must name an article")
        continue
    if art not in keys:
        err(f"{where}: unknown article {art!r}")
        continue
    per_article[art] += 1
    alang = keys[art]["lang"]
    if typ == "other_language":
        if lang == alang:
            err(f"{where}: other_language call has same lang as article ({lang})")
        elif lang == "en":
            en_to_de += 1
        else:
            de_to_en += 1
    elif lang != alang:
        err(f"{where}: {typ} call lang {lang} differs from article lang {alang}")

if len(calls) < MIN_CALLS:
    err(f"only {len(calls)} calls (min {MIN_CALLS})")
for t, m in MIN_PER_TYPE.items():
    if type_counts[t] < m:
        err(f"type {t}: {type_counts[t]} calls (min {m})")
if en_to_de < MIN_EN_TO_DE:
    err(f"other_language en->de: {en_to_de} (min {MIN_EN_TO_DE})")
if de_to_en < MIN_DE_TO_EN:
    err(f"other_language de->en: {de_to_en} (min {MIN_DE_TO_EN})")
for k in keys:
    if per_article[k] < MIN_CALLS_PER_ARTICLE:
        err(f"article {k!r} answers only {per_article[k]} call(s)")
if type_counts["uncovered"] and uncovered_near * 3 < type_counts["uncovered"]:
    err(f"only {uncovered_near} uncovered calls share KB words (need a third)")

# ---------------- report ----------------
alangs = Counter(a.get("lang") for a in articles)
print(f"articles: {len(articles)} (de {alangs['de']}, en {alangs['en']})")
print(f"calls:    {len(calls)} (de {lang_counts['de']}, en {lang_counts['en']})")
print(f"{'type':16} {'total':>5} {'de':>4} {'en':>4}")
for t in TYPES:
    print(f"{t:16} {type_counts[t]:5} {type_lang[(t, 'de')]:4} {type_lang[(t, 'en')]:4}")
print(f"other_language: en call -> de article {en_to_de}, de call -> en article {de_to_en}")
print(f"uncovered calls sharing KB words: {uncovered_near}/{type_counts['uncovered']}")
if per_article:
    dist = Counter(per_article[k] for k in keys)
    print("calls per article:", ", ".join(f"{n}x{cnt}" for n, cnt in sorted(dist.items())))

if errors:
    print(f"\nFAILED with {len(errors)} problem(s):")
    for e in errors:
        print("  -", e)
    sys.exit(1)
print("\nOK")
