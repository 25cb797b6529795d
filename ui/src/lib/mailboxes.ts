// Pure logic of the mailbox form (admin screen, E-Mail tab): the defaults a new mailbox
// starts with, the form's text fields from a stored mailbox, the ports that go with each
// kind of encryption, and the form the hub takes.
import type { MailboxForm, MailboxView, MailSecurity } from '../ipc';

export type MailServerKind = 'imap' | 'smtp';

/** The usual port for a server and its encryption: IMAP 993 (TLS) / 143, SMTP 465 (TLS) / 587. */
export function defaultPort(kind: MailServerKind, security: MailSecurity): number {
  if (kind === 'imap') return security === 'tls' ? 993 : 143;
  return security === 'tls' ? 465 : 587;
}

/**
 * The port after the encryption changed: the new encryption's usual port when the field
 * still held the old one's (a port the admin typed stays).
 */
export function portAfterSecurityChange(kind: MailServerKind, port: string, from: MailSecurity, to: MailSecurity): string {
  return port.trim() === String(defaultPort(kind, from)) ? String(defaultPort(kind, to)) : port;
}

/** One server's fields as the form edits them (the port as text, so a half-typed one stays). */
export interface ServerDraft {
  host: string;
  port: string;
  security: MailSecurity;
  login: string;
  password: string;
}

/** The whole form as it is typed. */
export interface MailboxDraft {
  name: string;
  address: string;
  display_name: string;
  imap: ServerDraft;
  folder: string;
  move: boolean;
  processed_folder: string;
  smtp: ServerDraft;
  category_id: string;
  acknowledge: boolean;
  language: string;
  acknowledgement: string;
  reopen_days: string;
}

/** A new mailbox: IMAP 993/TLS, SMTP 587/STARTTLS, INBOX, flag processed mail, acknowledge, 14 days. */
export function newMailboxDraft(language: string): MailboxDraft {
  return {
    name: '',
    address: '',
    display_name: '',
    imap: { host: '', port: '993', security: 'tls', login: '', password: '' },
    folder: 'INBOX',
    move: false,
    processed_folder: '',
    smtp: { host: '', port: '587', security: 'starttls', login: '', password: '' },
    category_id: '',
    acknowledge: true,
    language,
    acknowledgement: '',
    reopen_days: '14',
  };
}

/** A stored mailbox's fields; the passwords stay empty (the hub never sends them back). */
export function draftOf(mailbox: MailboxView): MailboxDraft {
  return {
    name: mailbox.name,
    address: mailbox.address,
    display_name: mailbox.display_name ?? '',
    imap: { ...mailbox.imap, port: String(mailbox.imap.port), password: '' },
    folder: mailbox.folder,
    move: mailbox.processed.action === 'move',
    processed_folder: mailbox.processed.action === 'move' ? mailbox.processed.folder : '',
    smtp: { ...mailbox.smtp, port: String(mailbox.smtp.port), password: '' },
    category_id: mailbox.category_id ?? '',
    acknowledge: mailbox.acknowledge,
    language: mailbox.language,
    acknowledgement: mailbox.acknowledgement ?? '',
    reopen_days: String(mailbox.reopen_days),
  };
}

/** A whole number from the text, or NaN (the hub refuses what is not positive). */
function wholeNumber(text: string): number {
  const value = text.trim();
  return /^\d+$/.test(value) ? Number(value) : NaN;
}

/** A port from 1 to 65535, or NaN. */
export function parsePort(text: string): number {
  const port = wholeNumber(text);
  return port >= 1 && port <= 65535 ? port : NaN;
}

/** What the form refuses before asking the hub, by the hub's field names. */
export type DraftProblem = 'required' | 'invalid';

export function checkDraft(draft: MailboxDraft): Record<string, DraftProblem> {
  const problems: Record<string, DraftProblem> = {};
  const required: [string, string][] = [
    ['name', draft.name],
    ['address', draft.address],
    ['imap_host', draft.imap.host],
    ['imap_login', draft.imap.login],
    ['folder', draft.folder],
    ['smtp_host', draft.smtp.host],
  ];
  if (draft.move) required.push(['processed_folder', draft.processed_folder]);
  for (const [field, value] of required) if (value.trim() === '') problems[field] = 'required';
  if (Number.isNaN(parsePort(draft.imap.port))) problems.imap_port = 'invalid';
  if (Number.isNaN(parsePort(draft.smtp.port))) problems.smtp_port = 'invalid';
  if (Number.isNaN(wholeNumber(draft.reopen_days))) problems.reopen_days = 'invalid';
  return problems;
}

/**
 * The form the hub takes. Empty optional texts are null; empty passwords stay empty (on a
 * change they keep the stored ones; on a new mailbox an empty SMTP password is the IMAP one).
 */
export function formOf(draft: MailboxDraft): MailboxForm {
  const server = (s: ServerDraft) => ({
    host: s.host.trim(),
    port: parsePort(s.port),
    security: s.security,
    login: s.login.trim(),
    password: s.password,
  });
  const optional = (text: string) => (text.trim() === '' ? null : text.trim());
  return {
    name: draft.name.trim(),
    address: draft.address.trim(),
    display_name: optional(draft.display_name),
    imap: server(draft.imap),
    folder: draft.folder.trim(),
    processed: draft.move ? { action: 'move', folder: draft.processed_folder.trim() } : { action: 'flag' },
    smtp: server(draft.smtp),
    category_id: draft.category_id === '' ? null : draft.category_id,
    acknowledge: draft.acknowledge,
    language: draft.language,
    acknowledgement: optional(draft.acknowledgement),
    reopen_days: wholeNumber(draft.reopen_days),
  };
}
