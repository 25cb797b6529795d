// The message catalogues against each other and the German one against docs/glossary.md:
// the same keys and placeholders in both languages, no English left in the German texts,
// and none of the terms the glossary replaces. Each check returns its findings as
// "key: what" lines, so a failure names the key and the word.
import { describe, expect, it } from 'vitest';
import en from '../../../messages/en.json';
import de from '../../../messages/de.json';

type Catalogue = Record<string, string>;

function messages(catalogue: Catalogue): Catalogue {
  return Object.fromEntries(Object.entries(catalogue).filter(([key]) => !key.startsWith('$')));
}

const EN = messages(en);
const DE = messages(de);

const PLACEHOLDER = /\{(\w+)\}/g;

function placeholders(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => m[1]).sort();
}

/** A term as a whole word (or words): letters or digits on either side make it part of another word. */
function wholeWord(term: string): RegExp {
  const escaped = term.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/ +/g, '\\s+');
  return new RegExp(`(?<![\\p{L}\\p{N}])${escaped}(?![\\p{L}\\p{N}])`, 'iu');
}

function missingKeys(a: Catalogue, b: Catalogue, aName = 'en', bName = 'de'): string[] {
  return [
    ...Object.keys(a).filter((key) => !(key in b)).map((key) => `${key}: only in ${aName}`),
    ...Object.keys(b).filter((key) => !(key in a)).map((key) => `${key}: only in ${bName}`),
  ];
}

function placeholderMismatches(english: Catalogue, german: Catalogue): string[] {
  return Object.keys(english)
    .filter((key) => key in german)
    .filter((key) => placeholders(english[key]).join() !== placeholders(german[key]).join())
    .map((key) => `${key}: en ${listed(placeholders(english[key]))} ≠ de ${listed(placeholders(german[key]))}`);
}

function listed(names: string[]): string {
  return names.length > 0 ? names.map((name) => `{${name}}`).join(' ') : '(none)';
}

// Common English UI words and phrases that have no business in a German text. Only words
// that are not also German words: "an", "in", "was", "also", "Tag" are left out on purpose.
const COMMON_ENGLISH = [
  'the', 'and', 'or', 'of', 'to', 'with', 'your', 'you', 'for', 'from', 'this', 'that', 'is', 'are', 'be', 'not',
  'yes', 'please', 'ok', 'save', 'saved', 'cancel', 'open', 'opened', 'close', 'closed', 'new', 'search', 'searching',
  'sign in', 'sign out', 'signed in', 'log in', 'log out', 'logout', 'username', 'password', 'settings', 'queue',
  'queues', 'pending', 'escalate', 'escalate to', 'escalated', 'escalation', 'resolve', 'resolved', 'solved',
  'failed', 'error', 'warning', 'success', 'done', 'knowledge base', 'article', 'articles', 'draft', 'drafts',
  'publish', 'published', 'archive', 'archived', 'edit', 'delete', 'remove', 'add', 'submit', 'send', 'retry',
  'loading', 'back', 'next', 'previous', 'help', 'select', 'choose', 'show', 'hide', 'more', 'all', 'none',
  'customer', 'caller', 'call', 'contact', 'note', 'notes', 'summary', 'reason', 'priority', 'category',
  'subject', 'description', 'department', 'expert', 'consult', 'consults', 'follow up', 'follow-up', 'assignee',
  'claim', 'claimed', 'unclaimed', 'due', 'overdue', 'today', 'never', 'sync', 'synced', 'syncing', 'unsynced',
  'changes', 'rejected', 'refused', 'merge', 'conflict', 'preview', 'title', 'tags', 'visibility', 'internal',
  'public', 'language', 'shortcut', 'keyboard', 'timeline', 'handover', 'hand back', 'hand over', 'answer',
  'question', 'waiting', 'duration', 'direction', 'inbound', 'outbound', 'phone', 'email', 'walk-in', 'urgent',
  'high', 'low', 'mine', 'matches', 'results', 'update', 'download', 'upload', 'details', 'ctrl', 'escape',
];

// English words that are normal in a German call-centre UI (or are German words as well),
// so neither the list above nor the words of en.json count them. Each needs a reason.
const ALLOWED_IN_GERMAN = new Set([
  // Call-centre and IT German uses these as they are (docs/glossary.md).
  'ticket', 'tickets', 'hub', 'level', 'sla', 'chat', 'online', 'offline', 'status', 'team', 'agent', 'demo',
  'filter', 'markdown', 'revision', 'dialog', 'text', 'name', 'normal', 'problem', 'start', 'starts', 'version',
  // "E-Mail" is two words here ("E" and "Mail"); "Cc" is the copy line of every German mail program.
  'mail', 'cc',
  // German words that English spells the same: "an", "in", "was", "also", "alt", "Tag" (day),
  // "per" ("per E-Mail antworten").
  'an', 'in', 'was', 'also', 'alt', 'tag', 'per',
  // The product's name, "Min." / "mm:ss" in the duration field's hint, and "hh:mm" in the
  // date-time field's ("TT.MM.JJJJ hh:mm", as German forms write it).
  'helpline', 'min', 'mm', 'ss', 'hh',
  // Key names: "Enter" is what German keyboards and manuals say too ("Strg+Enter"); the
  // accelerator syntax the shortcut field expects is English (CommandOrControl+Shift+H).
  'enter', 'commandorcontrol', 'shift',
  // The dashboard: "Median" is the German statistical term too, "CSV" the file format's name.
  'median', 'csv',
  // The phone system's settings: the URL schemes an agent types (tel:, sip:), and the
  // technical names German IT uses as they are (CTI, IP address, URL, token, JSON).
  'tel', 'sip', 'cti', 'ip', 'url', 'token', 'json',
  // The mailboxes' settings: "E-Mails" is the plural of "E-Mail" (two words here again), and
  // the mail protocols and their words German IT uses as they are (IMAP, SMTP, IDLE, server,
  // port, SSL/TLS, STARTTLS). "Optional" is German as well.
  'mails', 'imap', 'smtp', 'idle', 'server', 'port', 'ssl', 'tls', 'starttls', 'optional',
]);

/** Every word of the English catalogue (placeholders and one-letter words aside), plus the common list. */
function englishTerms(english: Catalogue): string[] {
  const words = new Set(COMMON_ENGLISH.map((w) => w.toLowerCase()));
  for (const text of Object.values(english)) {
    for (const word of text.replace(PLACEHOLDER, ' ').match(/[\p{L}\p{N}]+/gu) ?? []) {
      if (word.length > 1 && !/\p{N}/u.test(word)) words.add(word.toLowerCase());
    }
  }
  return [...words].filter((w) => !ALLOWED_IN_GERMAN.has(w));
}

function englishInGerman(german: Catalogue, english: Catalogue = EN): string[] {
  const patterns = englishTerms(english).map(wholeWord);
  const found: string[] = [];
  for (const [key, text] of Object.entries(german)) {
    const bare = text.replace(PLACEHOLDER, ' ');
    for (const pattern of patterns) {
      const hit = bare.match(pattern);
      if (hit) found.push(`${key}: English "${hit[0]}" in "${text}"`);
    }
  }
  return found;
}

// What docs/glossary.md rules out (its "Not: …" notes). `allowedIn` limits a term to the
// keys it belongs to.
const GLOSSARY_RULES: { term: RegExp; use: string; allowedIn?: (key: string) => boolean }[] = [
  { term: wholeWord('WDB'), use: 'Wissensdatenbank' },
  { term: wholeWord('KB'), use: 'Wissensdatenbank' },
  { term: /wissensbasis/iu, use: 'Wissensdatenbank' },
  { term: /stufe/iu, use: '1st/2nd/3rd Level, Level' },
  { term: wholeWord('Ebene'), use: '1st/2nd/3rd Level, Level' },
  { term: /nachfass/iu, use: 'Wiedervorlage' },
  { term: /konsult/iu, use: 'Expertenanfrage' },
  { term: wholeWord('Anfrage'), use: 'Expertenanfrage' },
  { term: wholeWord('Anfragen'), use: 'Expertenanfragen' },
  { term: /referenz/iu, use: 'Vorgangsnummer' },
  { term: /ticketnummer/iu, use: 'Vorgangsnummer' },
  // Except "Unbekannte Nummer", what phones show for a caller without a number (a phone
  // number elsewhere is a "Rufnummer").
  { term: wholeWord('Nummer'), use: 'Vorgangsnummer', allowedIn: (key) => key === 'call_unknown_number' },
  { term: /ticketliste/iu, use: 'Warteschlange' },
  { term: wholeWord('genutzt'), use: 'verwendet' },
  { term: wholeWord('Dashboard'), use: 'Kennzahlen' },
  { term: wholeWord('Übersicht'), use: 'Kennzahlen' },
  { term: /desktop/iu, use: 'Rechner ("auf diesem Rechner")' },
  { term: /ausstehend/iu, use: 'what is pending, e.g. "Nicht synchronisierte Änderungen"' },
  { term: wholeWord('Anlage'), use: 'Anhang' },
  { term: wholeWord('Anlagen'), use: 'Anhänge' },
  { term: /fehlgeschlagen/iu, use: 'Nicht zustellbar (an e-mail reply), or say what failed' },
  { term: wholeWord('versendet'), use: 'Gesendet' },
  // "Übernehmen" is claiming a ticket and nothing else (a generic button says "Anwenden").
  {
    term: /übernahme|übernehm|übernomm|übernimm/iu,
    use: 'Anwenden, Zusammenführen, … (Übernehmen only for claiming a ticket)',
    allowedIn: (key) => /^(ticket_claim|event_claimed|queue_unclaimed|change_claim$|problem_already_claimed$)/.test(key),
  },
  // A sync that is still running is not "synchronisiert".
  {
    term: wholeWord('synchronisiert'),
    use: 'Synchronisierung läuft … (synchronisiert only when done)',
    allowedIn: (key) => key !== 'connection_syncing',
  },
];

/** The whole word a match lies in ("Eskalationsstufe" for "stufe"). */
function enclosingWord(text: string, hit: RegExpMatchArray): string {
  const from = hit.index ?? 0;
  const to = from + hit[0].length;
  const before = text.slice(0, from).match(/[\p{L}\p{N}]*$/u)?.[0] ?? '';
  const after = text.slice(to).match(/^[\p{L}\p{N}]*/u)?.[0] ?? '';
  return before + hit[0] + after;
}

function glossaryViolations(german: Catalogue): string[] {
  const found: string[] = [];
  for (const [key, text] of Object.entries(german)) {
    for (const rule of GLOSSARY_RULES) {
      const hit = text.match(rule.term);
      if (hit && !rule.allowedIn?.(key)) found.push(`${key}: "${enclosingWord(text, hit)}" → ${rule.use}`);
    }
  }
  return found;
}

describe('the message catalogues', () => {
  it('have the same keys in German and English', () => {
    expect(missingKeys(EN, DE)).toEqual([]);
  });

  it('use the same placeholders in German and English', () => {
    expect(placeholderMismatches(EN, DE)).toEqual([]);
  });

  it('say nothing in English in the German texts', () => {
    expect(englishInGerman(DE)).toEqual([]);
  });

  it('use the glossary’s German terms', () => {
    expect(glossaryViolations(DE)).toEqual([]);
  });

  it('keep the English list and the allow-list apart', () => {
    expect(COMMON_ENGLISH.filter((w) => ALLOWED_IN_GERMAN.has(w.toLowerCase()))).toEqual([]);
  });
});

describe('the catalogue checks', () => {
  it('name a key missing on either side', () => {
    expect(missingKeys({ a: 'A', b: 'B' }, { a: 'A', c: 'C' })).toEqual(['b: only in en', 'c: only in de']);
  });

  it('name a key whose placeholders differ', () => {
    expect(placeholderMismatches({ k: 'Saved as {reference}' }, { k: 'Gespeichert als {referenz}' })).toEqual([
      'k: en {reference} ≠ de {referenz}',
    ]);
  });

  it('find English words, whole words only, in any case', () => {
    expect(englishInGerman({ k: 'Bitte SAVE drücken' }, {})).toEqual(['k: English "SAVE" in "Bitte SAVE drücken"']);
    expect(englishInGerman({ k: 'Zur knowledge base' }, {})).toEqual(['k: English "knowledge base" in "Zur knowledge base"']);
    expect(englishInGerman({ k: 'Neuer Kontakt' }, { k: 'New contact' })).toEqual([]);
    // Inside a German word, an allowed word, and a placeholder are no findings.
    expect(englishInGerman({ k: 'Notiz, Ticket, {note}' }, {})).toEqual([]);
    expect(englishInGerman({ k: 'Gespeichert' }, { k: 'Saved as' })).toEqual([]);
    expect(englishInGerman({ k: 'Entwurf gespeichert as' }, { k: 'Saved as' })).toEqual([
      'k: English "as" in "Entwurf gespeichert as"',
    ]);
  });

  it('find the terms the glossary rules out', () => {
    expect(glossaryViolations({ a: 'WDB-Artikel', b: 'KB: Drucker', c: 'Eskalationsstufe', d: 'KBytes' })).toEqual([
      'a: "WDB" → Wissensdatenbank',
      'b: "KB" → Wissensdatenbank',
      'c: "Eskalationsstufe" → 1st/2nd/3rd Level, Level',
    ]);
    expect(glossaryViolations({ apply: 'Übernehmen', ticket_claim: 'Übernehmen' })).toEqual([
      'apply: "Übernehmen" → Anwenden, Zusammenführen, … (Übernehmen only for claiming a ticket)',
    ]);
    expect(glossaryViolations({ connection_syncing: 'Synchronisiert', status_last_sync: 'Zuletzt synchronisiert' })).toEqual([
      'connection_syncing: "Synchronisiert" → Synchronisierung läuft … (synchronisiert only when done)',
    ]);
  });
});
