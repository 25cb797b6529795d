import { describe, expect, it } from 'vitest';
import type { MailboxView } from '../ipc';
import { checkDraft, defaultPort, draftOf, formOf, newMailboxDraft, parsePort, portAfterSecurityChange } from './mailboxes';

const STORED: MailboxView = {
  id: 'mb-1',
  name: 'Kundendienst',
  address: 'support@firma.example',
  display_name: null,
  imap: { host: 'imap.firma.example', port: 143, security: 'starttls', login: 'support', password_set: true },
  folder: 'INBOX',
  processed: { action: 'move', folder: 'Erledigt' },
  smtp: { host: 'relay.firma.example', port: 25, security: 'none', login: '', password_set: false },
  category_id: null,
  acknowledge: false,
  language: 'en',
  acknowledgement: 'Danke! {reference}',
  reopen_days: 30,
  status: {
    state: 'ok',
    problem: null,
    detail: null,
    last_fetch_at: 1,
    last_error_at: null,
    fetched: 0,
    quarantined: 0,
    idle: false,
  },
};

describe('the mailbox form', () => {
  it('offers the usual ports for each encryption', () => {
    expect([defaultPort('imap', 'tls'), defaultPort('imap', 'starttls'), defaultPort('imap', 'none')]).toEqual([993, 143, 143]);
    expect([defaultPort('smtp', 'tls'), defaultPort('smtp', 'starttls'), defaultPort('smtp', 'none')]).toEqual([465, 587, 587]);
  });

  it('switches only a usual port when the encryption changes', () => {
    expect(portAfterSecurityChange('imap', '993', 'tls', 'starttls')).toBe('143');
    expect(portAfterSecurityChange('imap', '143', 'starttls', 'tls')).toBe('993');
    expect(portAfterSecurityChange('smtp', '587', 'starttls', 'tls')).toBe('465');
    expect(portAfterSecurityChange('smtp', '465', 'tls', 'starttls')).toBe('587');
    expect(portAfterSecurityChange('smtp', '2525', 'starttls', 'tls')).toBe('2525');
    expect(portAfterSecurityChange('imap', '', 'tls', 'starttls')).toBe('');
  });

  it('reads ports from 1 to 65535 only', () => {
    expect(parsePort(' 993 ')).toBe(993);
    expect(parsePort('65535')).toBe(65535);
    expect([parsePort('0'), parsePort('65536'), parsePort('99x'), parsePort(''), parsePort('-1')].every(Number.isNaN)).toBe(true);
  });

  it('starts a new mailbox with the defaults, in the given language', () => {
    const draft = newMailboxDraft('en');
    expect(draft).toMatchObject({ folder: 'INBOX', move: false, acknowledge: true, language: 'en', reopen_days: '14' });
    expect(draft.imap).toMatchObject({ port: '993', security: 'tls' });
    expect(draft.smtp).toMatchObject({ port: '587', security: 'starttls' });
  });

  it('changes a stored mailbox with empty passwords, and sends back what is unchanged', () => {
    const draft = draftOf(STORED);
    expect([draft.imap.password, draft.smtp.password]).toEqual(['', '']);
    expect(formOf(draft)).toEqual({
      name: 'Kundendienst',
      address: 'support@firma.example',
      display_name: null,
      imap: { host: 'imap.firma.example', port: 143, security: 'starttls', login: 'support', password: '' },
      folder: 'INBOX',
      processed: { action: 'move', folder: 'Erledigt' },
      smtp: { host: 'relay.firma.example', port: 25, security: 'none', login: '', password: '' },
      category_id: null,
      acknowledge: false,
      language: 'en',
      acknowledgement: 'Danke! {reference}',
      reopen_days: 30,
    });
  });

  it('flags processed mail unless moving is chosen, and trims what was typed', () => {
    const draft = { ...draftOf(STORED), move: false, name: '  Kundendienst ', display_name: '   ', acknowledgement: ' ' };
    const form = formOf(draft);
    expect(form.processed).toEqual({ action: 'flag' });
    expect([form.name, form.display_name, form.acknowledgement]).toEqual(['Kundendienst', null, null]);
  });

  it('refuses empty required fields, bad ports and days before asking the hub', () => {
    expect(checkDraft(draftOf(STORED))).toEqual({});
    const draft = newMailboxDraft('de');
    draft.move = true;
    draft.smtp.port = '0';
    draft.reopen_days = 'zwei';
    expect(checkDraft(draft)).toEqual({
      name: 'required',
      address: 'required',
      imap_host: 'required',
      imap_login: 'required',
      smtp_host: 'required',
      processed_folder: 'required',
      smtp_port: 'invalid',
      reopen_days: 'invalid',
    });
  });
});
