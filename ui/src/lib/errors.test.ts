import { afterEach, describe, expect, it } from 'vitest';
import { failureText, fieldLabel, problemText, refusalText } from './errors';
import { setLocale } from './i18n/index.svelte';
import { AppError, type ErrorCode } from '../ipc';

// Every code the backend can send, with the parameters it sends (a missing code fails to compile).
const SAMPLES: Record<ErrorCode, Record<string, string>> = {
  required: { field: 'subject' },
  too_long: { field: 'subject', max: '200' },
  control_characters: { field: 'title' },
  too_many: { field: 'tags', max: '20' },
  not_an_email: { field: 'email' },
  not_a_phone_number: { field: 'phone' },
  in_past: { field: 'due' },
  in_future: { field: 'informed_at' },
  needs_reopen: { field: 'status' },
  not_possible_now: { field: 'level' },
  invalid: { field: 'hub_url' },
  invalid_transition: { from: 'open', to: 'closed' },
  not_found: { what: 'ticket' },
  forbidden: { role: 'expert' },
  already_claimed: { who: 'Karl' },
  already_answered: {},
  merged: {},
  stale_revision: {},
  already_exists: {},
  already_linked: {},
  incompatible_hub: { hub: '2.0', ours: '1.4' },
  profile_in_use: {},
  too_short: { field: 'new_password', min: '10' },
  not_positive: { field: 'first_response_minutes' },
  invalid_date: { field: 'holidays', value: '2026-02-30' },
  unknown_time_zone: { field: 'time_zone', value: 'Mars/Olympus' },
  ends_before_start: { field: 'hours' },
  last_admin: { field: 'role' },
  wrong_password: { field: 'current_password' },
  password_change_required: {},
};

describe('problem texts', () => {
  afterEach(() => setLocale('en'));

  it('word every code in both languages, with its parameters filled in', () => {
    for (const locale of ['de', 'en'] as const) {
      setLocale(locale);
      for (const [code, params] of Object.entries(SAMPLES)) {
        const text = problemText({ code: code as ErrorCode, params });
        expect(text, `${locale} ${code}`).not.toMatch(/[{}]|undefined/);
        expect(text.length, `${locale} ${code}`).toBeGreaterThan(5);
      }
    }
  });

  it('name the field and the limit in the agent’s language', () => {
    setLocale('de');
    expect(problemText({ code: 'too_long', params: { field: 'subject', max: '200' } })).toBe(
      'Betreff: zu lang, höchstens 200 Zeichen.',
    );
    expect(problemText({ code: 'already_claimed', params: { who: 'Karl' } })).toBe('Karl hat das Ticket bereits übernommen.');
    expect(problemText({ code: 'invalid_transition', params: { from: 'open', to: 'closed' } })).toContain('„Offen“');
    expect(fieldLabel('no_such_field')).toBe('Eingabe');
    expect(problemText({ code: 'too_short', params: { field: 'new_password', min: '10' } })).toBe(
      'Neues Passwort: zu kurz, mindestens 10 Zeichen.',
    );
    expect(problemText({ code: 'unknown_time_zone', params: { field: 'time_zone', value: 'Mars/Olympus' } })).toBe(
      'Zeitzone: Diese Zeitzone ist unbekannt.',
    );
  });

  it('never show the backend’s English message', () => {
    setLocale('de');
    const raw = new AppError('validation', 'subject: is required', 'subject');
    expect(failureText(raw)).toBe('Diese Eingabe ist ungültig.');
    expect(failureText(new AppError('conflict', 'K7-1 is already claimed by Karl'))).not.toContain('claimed');
    expect(failureText(new AppError('validation', 'x', 'subject', { code: 'required', params: { field: 'subject' } }))).toBe(
      'Betreff: Pflichtfeld.',
    );
    expect(refusalText(null)).toBe('Vom Hub abgelehnt.');
    expect(failureText(new AppError('password_change_required', 'x'))).toContain('Einmalpasswort');
  });
});
