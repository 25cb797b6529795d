import { afterEach, describe, expect, it } from 'vitest';
import en from '../../../messages/en.json';
import de from '../../../messages/de.json';
import { i18n, setLocale, t, translateKey } from './index.svelte';
import { eventKindLabel, detailKeyLabel } from './labels';

type Catalog = Record<string, string>;
const catalogs: Record<string, Catalog> = { en, de };

function messages(catalog: Catalog): Catalog {
  return Object.fromEntries(Object.entries(catalog).filter(([key]) => !key.startsWith('$')));
}

function placeholders(text: string): string[] {
  return [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
}

describe('message catalogs', () => {
  const enKeys = Object.keys(messages(en)).sort();

  it.each(['de'])('%s has exactly the keys of en (no missing, no extra)', (locale) => {
    const keys = Object.keys(messages(catalogs[locale])).sort();
    expect(keys.filter((key) => !enKeys.includes(key))).toEqual([]);
    expect(enKeys.filter((key) => !keys.includes(key))).toEqual([]);
  });

  it.each(['en', 'de'])('%s has no empty messages', (locale) => {
    const empty = Object.entries(messages(catalogs[locale])).filter(([, text]) => text.trim() === '');
    expect(empty).toEqual([]);
  });

  it('uses the same placeholders in every language', () => {
    const mismatched = enKeys.filter(
      (key) => placeholders(messages(en)[key]).join() !== placeholders(messages(de)[key]).join(),
    );
    expect(mismatched).toEqual([]);
  });

  it('labels every timeline event kind and detail key the backend sends', () => {
    const kinds = ['created', 'contact_logged', 'note_added', 'kb_suggested', 'kb_used', 'kb_opened', 'escalated', 'handed_back',
      'handed_over_to_expert', 'returned_from_expert', 'claimed', 'assigned', 'consult_requested', 'consult_answered',
      'status_changed', 'follow_up_set', 'resolved', 'customer_informed', 'reopened', 'kb_article_published_from_ticket'];
    const details = ['reason', 'steps_tried', 'handover_summary', 'instructions', 'summary', 'body', 'notes', 'channel',
      'direction', 'duration_seconds', 'from', 'to', 'question', 'answer', 'department', 'assignee', 'article', 'due'];
    expect(kinds.filter((kind) => !enKeys.includes(`event_${kind}`))).toEqual([]);
    expect(details.filter((key) => !enKeys.includes(`detail_${key}`))).toEqual([]);
  });
});

describe('the i18n layer', () => {
  afterEach(() => setLocale('en'));

  it('switches language at once, with parameters', () => {
    setLocale('en');
    expect(t.call_saved_as({ reference: 'K7-0042' })).toBe('Saved as K7-0042');
    setLocale('de');
    expect(i18n.locale).toBe('de');
    expect(t.call_saved_as({ reference: 'K7-0042' })).toBe('Gespeichert als K7-0042');
    expect(document.documentElement.lang).toBe('de');
  });

  it('falls back to a readable key for unknown backend values', () => {
    expect(translateKey('no_such_key')).toBe('no_such_key');
    expect(eventKindLabel('brand_new_kind')).toBe('brand new kind');
    expect(eventKindLabel('escalated')).toBe('Escalated to 2nd level');
    expect(detailKeyLabel('steps_tried')).toBe('Steps tried');
  });
});
