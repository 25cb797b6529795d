// E-mail on a ticket: the reply's subject and the files a reply may pass on. Pure logic;
// the conversation itself comes from the backend (`EventView.email`).
import type { AttachmentRef, EventView } from '../ipc';

/** A reply's subject: "Re: " before the ticket's subject, unless it is a reply already ("Re:", "AW:", "Antw:"). */
export function replySubject(subject: string): string {
  const s = subject.trim();
  if (s === '') return '';
  return /^(re|aw|antw|sv|ref)\s*:/i.test(s) ? s : `Re: ${s}`;
}

/** The files the customer's mails on this ticket carried, once each (by content), oldest first. */
export function customerAttachments(events: EventView[]): AttachmentRef[] {
  const seen = new Set<string>();
  const out: AttachmentRef[] = [];
  for (const event of events) {
    if (!event.email?.inbound) continue;
    for (const attachment of event.email.attachments) {
      if (seen.has(attachment.sha256)) continue;
      seen.add(attachment.sha256);
      out.push(attachment);
    }
  }
  return out;
}

/** The reply form as the agent types it (addresses as text), kept as a draft. */
export interface ReplyFields {
  to: string;
  cc: string;
  subject: string;
  body: string;
  kb_article_id: string | null;
  /** The SHA-256 of each attachment passed on. */
  attachments: string[];
}

/** The draft's text (JSON), or null when nothing was typed beyond the prefilled fields. */
export function replyDraft(fields: ReplyFields, prefilled: { to: string; subject: string }): string | null {
  const untouched =
    fields.body.trim() === '' &&
    fields.cc.trim() === '' &&
    fields.to === prefilled.to &&
    fields.subject === prefilled.subject &&
    fields.attachments.length === 0;
  return untouched ? null : JSON.stringify(fields);
}

/** A draft read back; null when it is not one (an older or damaged value). */
export function parseReplyDraft(text: string | null): ReplyFields | null {
  if (!text) return null;
  try {
    const value = JSON.parse(text) as Partial<ReplyFields>;
    if (typeof value !== 'object' || value === null) return null;
    const str = (v: unknown) => (typeof v === 'string' ? v : '');
    return {
      to: str(value.to),
      cc: str(value.cc),
      subject: str(value.subject),
      body: str(value.body),
      kb_article_id: typeof value.kb_article_id === 'string' ? value.kb_article_id : null,
      attachments: Array.isArray(value.attachments) ? value.attachments.filter((a): a is string => typeof a === 'string') : [],
    };
  } catch {
    return null;
  }
}
