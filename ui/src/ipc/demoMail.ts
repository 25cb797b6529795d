// The demo backend's mailboxes (`npm run dev`, admin screen, E-Mail tab): one that works
// (IDLE), one whose server refuses the sign-in, and a mail that made no ticket. A new or
// changed mailbox is "fetched" a few seconds later, as the hub would.
import { appError, type Handler } from './fake';
import type { MailboxForm, MailboxView, MailServerForm, MailServerView, QuarantinedMailView } from './bindings';

const MINUTE = 60_000;

function server(form: MailServerForm, before: MailServerView | null): MailServerView {
  const { password, ...rest } = form;
  return { ...rest, password_set: password !== '' || (before?.password_set ?? false) };
}

function initial(): MailboxView[] {
  const now = Date.now();
  return [
    {
      id: 'mb-support',
      name: 'Kundendienst',
      address: 'support@helpline.example',
      display_name: 'Helpline Kundendienst',
      imap: { host: 'imap.helpline.example', port: 993, security: 'tls', login: 'support@helpline.example', password_set: true },
      folder: 'INBOX',
      processed: { action: 'flag' },
      smtp: { host: 'smtp.helpline.example', port: 587, security: 'starttls', login: 'support@helpline.example', password_set: false },
      category_id: null,
      acknowledge: true,
      language: 'de',
      acknowledgement: null,
      reopen_days: 14,
      status: { state: 'ok', problem: null, detail: null, last_fetch_at: now - 2 * MINUTE, last_error_at: null, fetched: 1284, quarantined: 1, idle: true },
    },
    {
      id: 'mb-billing',
      name: 'Buchhaltung',
      address: 'rechnung@helpline.example',
      display_name: null,
      imap: { host: 'mail.helpline.example', port: 143, security: 'starttls', login: 'rechnung', password_set: true },
      folder: 'INBOX',
      processed: { action: 'move', folder: 'Erledigt' },
      smtp: { host: 'mail.helpline.example', port: 587, security: 'starttls', login: 'rechnung', password_set: false },
      category_id: 'cat-bill',
      acknowledge: false,
      language: 'de',
      acknowledgement: null,
      reopen_days: 30,
      status: {
        state: 'failing',
        problem: 'login_refused',
        detail: 'a1 NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)',
        last_fetch_at: now - 3 * 24 * 60 * MINUTE,
        last_error_at: now - 40 * MINUTE,
        fetched: 212,
        quarantined: 0,
        idle: false,
      },
    },
  ];
}

export function demoMail(): Record<string, Handler> {
  let mailboxes = initial();
  const quarantine: QuarantinedMailView[] = [
    {
      id: 1,
      mailbox_id: 'mb-support',
      mailbox_name: 'Kundendienst',
      uid: 4711,
      message_id: '<scan-0042@printer.example>',
      reason: 'too_large',
      detail: '38.2 MB, limit 25 MB',
      size: 40_054_784,
      from: 'scanner@kunde.example',
      subject: 'Scan vom Drucker',
      at: Date.now() - 5 * 60 * MINUTE,
    },
  ];
  /** The hub fetches a new or changed mailbox within a few seconds. */
  function fetchSoon(id: string) {
    setTimeout(() => {
      mailboxes = mailboxes.map((m) =>
        m.id === id ? { ...m, status: { ...m.status, state: 'ok', problem: null, detail: null, last_fetch_at: Date.now(), idle: true } } : m,
      );
    }, 4000);
  }
  function check(form: MailboxForm, id: string | null) {
    if (!form.name.trim()) appError('validation', 'name: is required', 'name', { code: 'required', params: { field: 'name' } });
    if (mailboxes.some((m) => m.name === form.name && m.id !== id)) {
      appError('conflict', 'name: already exists', 'name', { code: 'already_exists', params: { field: 'name' } });
    }
    if (!form.address.includes('@')) appError('validation', 'address: not an e-mail', 'address', { code: 'not_an_email', params: { field: 'address' } });
  }
  return {
    admin_list_mailboxes: () => mailboxes,
    admin_list_quarantine: () => quarantine,
    admin_add_mailbox: ({ form }) => {
      const f = form as MailboxForm;
      check(f, null);
      const mailbox: MailboxView = {
        ...f,
        id: `mb-${mailboxes.length + 1}-${Date.now()}`,
        imap: server(f.imap, null),
        smtp: server(f.smtp, null),
        status: { state: 'pending', problem: null, detail: null, last_fetch_at: null, last_error_at: null, fetched: 0, quarantined: 0, idle: false },
      };
      mailboxes = [...mailboxes, mailbox];
      fetchSoon(mailbox.id);
      return mailbox;
    },
    admin_change_mailbox: ({ id, form }) => {
      const f = form as MailboxForm;
      const found = mailboxes.find((m) => m.id === id) ?? appError('not_found', 'No such mailbox', null, { code: 'not_found', params: {} });
      check(f, found.id);
      const changed: MailboxView = { ...found, ...f, imap: server(f.imap, found.imap), smtp: server(f.smtp, found.smtp) };
      mailboxes = mailboxes.map((m) => (m.id === id ? changed : m));
      fetchSoon(found.id);
      return changed;
    },
    admin_remove_mailbox: ({ id }) => {
      mailboxes = mailboxes.filter((m) => m.id !== id);
      return null;
    },
  };
}
