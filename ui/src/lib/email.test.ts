import { describe, expect, it } from 'vitest';
import { customerAttachments, parseReplyDraft, replyDraft, replySubject } from './email';
import { looksLikeEmail, parseAddresses, validateEmailReply } from './validation';
import { formatBytes } from './format';
import type { EmailView, EventView } from '../ipc';

const file = (sha: string, name: string) => ({ sha256: sha.repeat(64), name, content_type: 'text/plain', size: 10 });

function mailEvent(id: string, inbound: boolean, attachments: EmailView['attachments']): EventView {
  const email: EmailView = {
    inbound, from: 'a@b.de', from_name: null, to: [], cc: [], subject: '', text: '', quoted: '', attachments,
    automatic: false, problems: [], delivery: inbound ? null : 'queued',
  };
  return { id, at: 0, author: 'x', kind: inbound ? 'email_received' : 'email_reply_queued', details: [], pending: false, email };
}

describe('e-mail replies', () => {
  it('put "Re: " before the subject once', () => {
    expect(replySubject('Drucker')).toBe('Re: Drucker');
    expect(replySubject('Re: Drucker')).toBe('Re: Drucker');
    expect(replySubject('RE:Drucker')).toBe('RE:Drucker');
    expect(replySubject('AW: Drucker')).toBe('AW: Drucker');
    expect(replySubject('  ')).toBe('');
    expect(replySubject('Reset a password')).toBe('Re: Reset a password');
  });

  it('offer the customer’s attachments once each, not the agents’', () => {
    const events = [
      mailEvent('1', true, [file('a', 'one.txt'), file('b', 'two.txt')]),
      mailEvent('2', false, [file('c', 'sent.txt')]),
      mailEvent('3', true, [file('a', 'one again.txt')]),
      { ...mailEvent('4', true, []), email: null },
    ];
    expect(customerAttachments(events).map((a) => a.name)).toEqual(['one.txt', 'two.txt']);
  });

  it('split and check addresses as the rules do', () => {
    expect(parseAddresses(' a@b.de, c@d.org;e@f.com ,, ')).toEqual(['a@b.de', 'c@d.org', 'e@f.com']);
    expect(looksLikeEmail('a@b.de')).toBe(true);
    for (const bad of ['a@b', '@b.de', 'a b@c.de', 'a@b@c.de', 'a@.de', 'a@b.']) expect(looksLikeEmail(bad)).toBe(false);
    expect(validateEmailReply({ to: '', cc: '', subject: '', body: '' })).toEqual({ to: 'required', subject: 'required', body: 'required' });
    expect(validateEmailReply({ to: 'a@b.de, x', cc: 'y', subject: 'Re: x', body: 'Hi' })).toEqual({ to: 'not_an_email', cc: 'not_an_email' });
    const many = Array.from({ length: 21 }, (_, i) => `a${i}@b.de`).join(',');
    expect(validateEmailReply({ to: many, cc: '', subject: 's', body: 'b' })).toEqual({ to: 'too_many' });
  });

  it('keep a draft only when something was typed, and read it back safely', () => {
    const prefilled = { to: 'a@b.de', subject: 'Re: x' };
    const fields = { ...prefilled, cc: '', body: '', kb_article_id: null, attachments: [] };
    expect(replyDraft(fields, prefilled)).toBeNull();
    const typed = { ...fields, body: 'Hallo' };
    expect(parseReplyDraft(replyDraft(typed, prefilled))).toEqual(typed);
    expect(parseReplyDraft('not json')).toBeNull();
    expect(parseReplyDraft(null)).toBeNull();
    expect(parseReplyDraft('{"body": 3, "attachments": [1, "s"]}')).toEqual({ to: '', cc: '', subject: '', body: '', kb_article_id: null, attachments: ['s'] });
  });

  it('give file sizes for people', () => {
    expect(formatBytes(820, 'en-GB')).toBe('820 byte');
    expect(formatBytes(2_048, 'en-GB')).toBe('2 kB');
    expect(formatBytes(1_536_000, 'de-DE')).toBe('1,5 MB');
    expect(formatBytes(50 * 1024 * 1024, 'de-DE')).toBe('50 MB');
  });
});
