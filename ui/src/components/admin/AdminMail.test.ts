import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import Admin from '../../screens/Admin.svelte';
import type { MailboxForm, MailboxHealthView, MailboxView, QuarantinedMailView } from '../../ipc';
import { SESSION, SYNC, appError, fakeBackend, problem, type Handler } from '../../ipc/fake';
import { app } from '../../lib/app.svelte';
import { setLocale } from '../../lib/i18n/index.svelte';

const HEALTHY: MailboxHealthView = {
  state: 'ok',
  problem: null,
  detail: null,
  last_fetch_at: Date.UTC(2026, 11, 3, 13, 30),
  last_error_at: null,
  fetched: 1284,
  quarantined: 1,
  idle: true,
};

function mailbox(overrides: Partial<MailboxView> = {}): MailboxView {
  return {
    id: 'mb-1',
    name: 'Kundendienst',
    address: 'support@firma.example',
    display_name: 'Firma Kundendienst',
    imap: { host: 'imap.firma.example', port: 993, security: 'tls', login: 'support@firma.example', password_set: true },
    folder: 'INBOX',
    processed: { action: 'flag' },
    smtp: { host: 'smtp.firma.example', port: 587, security: 'starttls', login: 'support@firma.example', password_set: true },
    category_id: 'c1',
    acknowledge: true,
    language: 'de',
    acknowledgement: null,
    reopen_days: 14,
    status: HEALTHY,
    ...overrides,
  };
}

const SUPPORT = mailbox();
const BILLING = mailbox({
  id: 'mb-2',
  name: 'Buchhaltung',
  address: 'rechnung@firma.example',
  status: {
    ...HEALTHY,
    state: 'failing',
    problem: 'login_refused',
    detail: 'a1 NO [AUTHENTICATIONFAILED] Invalid credentials',
    last_error_at: Date.UTC(2026, 11, 3, 14, 0),
    idle: false,
  },
});
const FRESH = mailbox({
  id: 'mb-3',
  name: 'Vertrieb',
  address: 'vertrieb@firma.example',
  status: { ...HEALTHY, state: 'pending', last_fetch_at: null, fetched: 0, quarantined: 0, idle: false },
});

const TOO_LARGE: QuarantinedMailView = {
  id: 7,
  mailbox_id: 'mb-1',
  mailbox_name: 'Kundendienst',
  uid: 4711,
  message_id: '<scan@printer.example>',
  reason: 'too_large',
  detail: '38.2 MB, limit 25 MB',
  size: 40_054_784,
  from: 'scanner@kunde.example',
  subject: 'Scan vom Drucker',
  at: Date.UTC(2026, 11, 3, 9, 0),
};
const OWN: QuarantinedMailView = {
  ...TOO_LARGE,
  id: 8,
  uid: 4712,
  reason: 'from_own_address',
  detail: null,
  size: 2048,
  from: null,
  subject: null,
  at: Date.UTC(2026, 11, 3, 10, 0),
};

function backend(handlers: Record<string, Handler> = {}, list: MailboxView[] = [SUPPORT]) {
  return fakeBackend({
    admin_list_agents: () => [],
    admin_list_departments: () => [],
    admin_list_mailboxes: () => list,
    admin_list_quarantine: () => [],
    admin_add_mailbox: ({ form }) => {
      const f = form as MailboxForm;
      return mailbox({
        ...f,
        id: 'mb-new',
        imap: { ...f.imap, password_set: true },
        smtp: { ...f.smtp, password_set: false },
        status: FRESH.status,
      });
    },
    admin_change_mailbox: ({ id, form }) => {
      const f = form as MailboxForm;
      return mailbox({ ...f, id: id as string, imap: SUPPORT.imap, smtp: SUPPORT.smtp });
    },
    admin_remove_mailbox: () => null,
    ...handlers,
  });
}

async function openTab(user: ReturnType<typeof userEvent.setup>) {
  render(Admin);
  await user.click(screen.getByTestId('admin-tab-mail'));
}

/** Fills the fields every new mailbox needs (IMAP password included). */
async function fillRequired(user: ReturnType<typeof userEvent.setup>) {
  await user.type(screen.getByTestId('mailbox-name'), 'Kundendienst');
  await user.type(screen.getByTestId('mailbox-address'), 'support@firma.example');
  await user.type(screen.getByTestId('mailbox-imap-host'), 'imap.firma.example');
  await user.type(screen.getByTestId('mailbox-imap-login'), 'support@firma.example');
  await user.type(screen.getByTestId('mailbox-imap-password'), 'geheim-1');
  await user.type(screen.getByTestId('mailbox-smtp-host'), 'smtp.firma.example');
  await user.type(screen.getByTestId('mailbox-smtp-login'), 'support@firma.example');
}

describe('Admin: the mailboxes', () => {
  beforeEach(() => {
    setLocale('de');
    app.session = { ...SESSION, language: 'de', agent: { ...SESSION.agent!, role: 'admin' } };
    app.sync = { ...SYNC, connection: 'online' };
    app.referenceData = { categories: [{ id: 'c1', name: 'Netzwerk' }], departments: [], agents: [] };
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('shows each mailbox with its state: connected, failing with the server’s words, not fetched yet', async () => {
    backend({}, [SUPPORT, BILLING, FRESH]);
    const user = userEvent.setup();
    await openTab(user);
    const rows = await screen.findAllByTestId('mailbox-row');
    expect(rows.map((row) => row.dataset.name)).toEqual(['Kundendienst', 'Buchhaltung', 'Vertrieb']);

    const ok = within(rows[0]).getByTestId('mailbox-state');
    expect(ok).toHaveAttribute('data-state', 'ok');
    expect(ok).toHaveAttribute('role', 'status');
    expect(ok).toHaveTextContent('Verbunden');
    expect(within(rows[0]).getByTestId('mailbox-last-fetch')).toHaveTextContent(/^Zuletzt abgerufen: 03\.12\.2026, \d\d:30$/);
    expect(within(rows[0]).getByTestId('mailbox-mode')).toHaveTextContent('sofort an (IMAP IDLE)');
    expect(within(rows[0]).getByTestId('mailbox-counts')).toHaveTextContent('Abgerufen: 1.284 · In Quarantäne: 1');
    expect(within(rows[0]).queryByTestId('mailbox-detail')).toBeNull();

    const failing = within(rows[1]).getByTestId('mailbox-state');
    expect(failing).toHaveAttribute('data-state', 'failing');
    expect(failing).toHaveTextContent(/^Anmeldung abgelehnt$/);
    const detail = within(rows[1]).getByTestId('mailbox-detail');
    expect(detail.tagName).toBe('CODE');
    expect(detail).toHaveTextContent('a1 NO [AUTHENTICATIONFAILED] Invalid credentials');

    const pending = within(rows[2]).getByTestId('mailbox-state');
    expect(pending).toHaveAttribute('data-state', 'pending');
    expect(pending).toHaveTextContent('Noch nicht abgerufen');
    expect(within(rows[2]).queryByTestId('mailbox-counts')).toBeNull();
  });

  it('names each fetch problem in its own words', async () => {
    const failing = (problemKind: MailboxHealthView['problem'], id: string) =>
      mailbox({ id, name: id, status: { ...BILLING.status, problem: problemKind } });
    backend({}, [failing('unreachable', 'a'), failing('folder_refused', 'b'), failing('no_key', 'c'), failing('server', 'd')]);
    const user = userEvent.setup();
    await openTab(user);
    const states = (await screen.findAllByTestId('mailbox-state')).map((s) => s.textContent?.trim());
    expect(states).toEqual(['Server nicht erreichbar', 'Ordner nicht gefunden', 'Dem Hub fehlt der Mail-Schlüssel', 'Fehler des Mailservers']);
  });

  it('adds a mailbox with the usual defaults, moving fetched mail, the IMAP password for SMTP too', async () => {
    const fake = backend();
    const user = userEvent.setup();
    await openTab(user);
    await screen.findAllByTestId('mailbox-row');
    await user.click(screen.getByTestId('mailbox-add'));
    const dialog = await screen.findByTestId('mailbox-dialog');
    expect(screen.getByTestId('mailbox-imap-port')).toHaveValue('993');
    expect(screen.getByTestId('mailbox-imap-security')).toHaveValue('tls');
    expect(screen.getByTestId('mailbox-smtp-port')).toHaveValue('587');
    expect(screen.getByTestId('mailbox-smtp-security')).toHaveValue('starttls');
    expect(screen.getByTestId('mailbox-folder')).toHaveValue('INBOX');
    expect(screen.getByTestId('mailbox-smtp-password-hint')).toHaveTextContent('dasselbe Passwort wie für IMAP');
    expect(within(dialog).queryByTestId('mailbox-imap-password-keep')).toBeNull();

    await fillRequired(user);
    await user.click(screen.getByTestId('mailbox-processed-move'));
    await user.type(screen.getByTestId('mailbox-processed-folder'), 'Erledigt');
    await user.selectOptions(screen.getByTestId('mailbox-category'), 'c1');
    await user.click(screen.getByTestId('mailbox-save'));

    await waitFor(() => expect(fake.callsTo('admin_add_mailbox')).toHaveLength(1));
    expect(fake.callsTo('admin_add_mailbox')[0]).toEqual({
      form: {
        name: 'Kundendienst',
        address: 'support@firma.example',
        display_name: null,
        imap: { host: 'imap.firma.example', port: 993, security: 'tls', login: 'support@firma.example', password: 'geheim-1' },
        folder: 'INBOX',
        processed: { action: 'move', folder: 'Erledigt' },
        smtp: { host: 'smtp.firma.example', port: 587, security: 'starttls', login: 'support@firma.example', password: '' },
        category_id: 'c1',
        acknowledge: true,
        language: 'de',
        acknowledgement: null,
        reopen_days: 14,
      } satisfies MailboxForm,
    });
    await waitFor(() => expect(screen.queryByTestId('mailbox-dialog')).toBeNull());
    const added = screen.getAllByTestId('mailbox-row').at(-1)!;
    expect(within(added).getByTestId('mailbox-state')).toHaveAttribute('data-state', 'pending');
  });

  it('switches a usual port with the encryption, and keeps a port the admin typed', async () => {
    const fake = backend();
    const user = userEvent.setup();
    await openTab(user);
    await user.click(await screen.findByTestId('mailbox-add'));
    const imapPort = screen.getByTestId('mailbox-imap-port');
    const smtpPort = screen.getByTestId('mailbox-smtp-port');
    await user.selectOptions(screen.getByTestId('mailbox-imap-security'), 'starttls');
    expect(imapPort).toHaveValue('143');
    await user.selectOptions(screen.getByTestId('mailbox-smtp-security'), 'tls');
    expect(smtpPort).toHaveValue('465');
    await user.clear(smtpPort);
    await user.type(smtpPort, '2525');
    await user.selectOptions(screen.getByTestId('mailbox-smtp-security'), 'starttls');
    expect(smtpPort).toHaveValue('2525');

    // A port that is no port is refused here, at its field, before the hub is asked.
    await fillRequired(user);
    await user.clear(imapPort);
    await user.type(imapPort, '99999');
    await user.click(screen.getByTestId('mailbox-save'));
    expect(imapPort).toHaveAttribute('aria-invalid', 'true');
    expect(fake.callsTo('admin_add_mailbox')).toEqual([]);
  });

  it('shows the hub’s refusal at its field and keeps what was typed', async () => {
    const fake = backend({
      admin_add_mailbox: ({ form }) => {
        const f = form as MailboxForm;
        if (f.smtp.port === 587) appError('validation', 'smtp_port', null, problem('not_positive', { field: 'smtp_port' }));
        appError('conflict', 'name exists', null, problem('already_exists', { field: 'name' }));
      },
    });
    const user = userEvent.setup();
    await openTab(user);
    await user.click(await screen.findByTestId('mailbox-add'));
    await fillRequired(user);
    await user.click(screen.getByTestId('mailbox-save'));

    const smtpPort = screen.getByTestId('mailbox-smtp-port');
    await waitFor(() => expect(smtpPort).toHaveAttribute('aria-invalid', 'true'));
    expect(smtpPort).toHaveAccessibleDescription(expect.stringContaining('SMTP-Port: Bitte eine Zahl größer als null eingeben.'));
    expect(screen.getByTestId('mailbox-name')).not.toHaveAttribute('aria-invalid');

    await user.clear(smtpPort);
    await user.type(smtpPort, '25');
    await user.click(screen.getByTestId('mailbox-save'));
    const name = screen.getByTestId('mailbox-name');
    await waitFor(() => expect(name).toHaveAttribute('aria-invalid', 'true'));
    expect(name).toHaveAccessibleDescription(expect.stringContaining('Ein Postfach mit diesem Namen gibt es bereits.'));
    expect(smtpPort).not.toHaveAttribute('aria-invalid');
    // Everything typed is still there, the password too.
    expect(name).toHaveValue('Kundendienst');
    expect(screen.getByTestId('mailbox-imap-host')).toHaveValue('imap.firma.example');
    expect(screen.getByTestId('mailbox-imap-password')).toHaveValue('geheim-1');
    expect(smtpPort).toHaveValue('25');
    expect(screen.getByTestId('mailbox-dialog')).toBeVisible();
    expect(fake.callsTo('admin_add_mailbox')).toHaveLength(2);
  });

  it('shows a refusal for a field that is not shown (acknowledgement switched off) above the buttons', async () => {
    backend({
      admin_add_mailbox: () => appError('validation', 'too long', null, problem('too_long', { field: 'acknowledgement', max: '4000' })),
    });
    const user = userEvent.setup();
    await openTab(user);
    await user.click(await screen.findByTestId('mailbox-add'));
    await fillRequired(user);
    await user.type(screen.getByTestId('mailbox-acknowledgement'), 'Danke!');
    await user.click(screen.getByTestId('mailbox-save'));
    const field = screen.getByTestId('mailbox-acknowledgement');
    await waitFor(() => expect(field).toHaveAttribute('aria-invalid', 'true'));
    expect(field).toHaveAccessibleDescription(expect.stringContaining('4000'));

    await user.click(screen.getByTestId('mailbox-acknowledge'));
    expect(screen.queryByTestId('mailbox-acknowledgement')).toBeNull();
    await user.click(screen.getByTestId('mailbox-save'));
    expect(await screen.findByTestId('mailbox-form-error')).toHaveTextContent('4000');
  });

  it('says the hub needs a mail key when it has none', async () => {
    backend({
      admin_add_mailbox: () => appError('conflict', 'no mail key', null, problem('not_possible_now', { what: 'mail_key' })),
    });
    const user = userEvent.setup();
    await openTab(user);
    await user.click(await screen.findByTestId('mailbox-add'));
    await fillRequired(user);
    await user.click(screen.getByTestId('mailbox-save'));
    const banner = await screen.findByTestId('mailbox-key-missing');
    expect(banner).toHaveAttribute('role', 'alert');
    expect(banner).toHaveTextContent('Der Hub hat keinen Mail-Schlüssel');
    expect(banner).toHaveTextContent('(mail_key)');
    expect(banner).toHaveTextContent('helpline-hub mailbox key');
    expect(screen.getByTestId('mailbox-name')).toHaveValue('Kundendienst');
  });

  it('changes a mailbox without ever showing its passwords: empty keeps the stored ones', async () => {
    const fake = backend();
    const user = userEvent.setup();
    await openTab(user);
    const row = (await screen.findAllByTestId('mailbox-row'))[0];
    await user.click(within(row).getByTestId('mailbox-edit'));
    const dialog = await screen.findByTestId('mailbox-dialog');
    expect(dialog).toHaveTextContent('Postfach Kundendienst ändern');
    expect(screen.getByTestId('mailbox-name')).toHaveValue('Kundendienst');
    expect(screen.getByTestId('mailbox-imap-host')).toHaveValue('imap.firma.example');
    expect(screen.getByTestId('mailbox-imap-password')).toHaveValue('');
    expect(screen.getByTestId('mailbox-smtp-password')).toHaveValue('');
    expect(screen.getByTestId('mailbox-imap-password')).toHaveAccessibleDescription('Leer lassen, um das gespeicherte Passwort zu behalten.');
    expect(screen.getByTestId('mailbox-smtp-password')).toHaveAccessibleDescription('Leer lassen, um das gespeicherte Passwort zu behalten.');

    await user.clear(screen.getByTestId('mailbox-folder'));
    await user.type(screen.getByTestId('mailbox-folder'), 'Support');
    await user.click(screen.getByTestId('mailbox-save'));
    await waitFor(() => expect(fake.callsTo('admin_change_mailbox')).toHaveLength(1));
    expect(fake.callsTo('admin_change_mailbox')[0]).toEqual({
      id: 'mb-1',
      form: {
        name: 'Kundendienst',
        address: 'support@firma.example',
        display_name: 'Firma Kundendienst',
        imap: { host: 'imap.firma.example', port: 993, security: 'tls', login: 'support@firma.example', password: '' },
        folder: 'Support',
        processed: { action: 'flag' },
        smtp: { host: 'smtp.firma.example', port: 587, security: 'starttls', login: 'support@firma.example', password: '' },
        category_id: 'c1',
        acknowledge: true,
        language: 'de',
        acknowledgement: null,
        reopen_days: 14,
      } satisfies MailboxForm,
    });
    await waitFor(() => expect(screen.queryByTestId('mailbox-dialog')).toBeNull());
  });

  it('removes a mailbox only after a confirmation that says tickets and sent mail stay', async () => {
    const fake = backend({}, [SUPPORT, BILLING]);
    const user = userEvent.setup();
    await openTab(user);
    const billing = (await screen.findAllByTestId('mailbox-row'))[1];
    await user.click(within(billing).getByTestId('mailbox-remove'));
    const confirm = await screen.findByTestId('mailbox-confirm-dialog');
    expect(confirm).toHaveTextContent('Postfach Buchhaltung entfernen?');
    expect(confirm).toHaveTextContent('Tickets und gesendete E-Mails bleiben erhalten.');
    await user.click(within(confirm).getByText('Abbrechen'));
    expect(fake.callsTo('admin_remove_mailbox')).toEqual([]);
    expect(screen.getAllByTestId('mailbox-row')).toHaveLength(2);

    await user.click(within(billing).getByTestId('mailbox-remove'));
    await user.click(within(await screen.findByTestId('mailbox-confirm-dialog')).getByTestId('mailbox-confirm'));
    await waitFor(() => expect(screen.getAllByTestId('mailbox-row')).toHaveLength(1));
    expect(fake.callsTo('admin_remove_mailbox')).toEqual([{ id: 'mb-2' }]);
    expect(screen.getByTestId('mailbox-row')).toHaveAttribute('data-name', 'Kundendienst');
  });

  it('lists the mail that made no ticket, newest first, with its reason', async () => {
    backend({ admin_list_quarantine: () => [TOO_LARGE, OWN] });
    const user = userEvent.setup();
    await openTab(user);
    const rows = await screen.findAllByTestId('quarantine-row');
    expect(rows.map((row) => within(row).getByTestId('quarantine-reason').textContent)).toEqual([
      'Vom eigenen Postfach gesendet',
      'Zu groß',
    ]);
    expect(rows[1]).toHaveTextContent('scanner@kunde.example');
    expect(rows[1]).toHaveTextContent('Scan vom Drucker');
    expect(rows[1]).toHaveTextContent('Kundendienst');
    expect(rows[1]).toHaveTextContent('38 MB');
    expect(rows[1]).toHaveTextContent('03.12.2026');
    expect(within(rows[1]).getByTestId('quarantine-detail').tagName).toBe('CODE');
    expect(within(rows[1]).getByTestId('quarantine-detail')).toHaveTextContent('38.2 MB, limit 25 MB');
    expect(rows[0]).toHaveTextContent('(ohne Betreff)');
    expect(rows[0]).toHaveTextContent('(unbekannt)');
    expect(rows[0]).toHaveTextContent('2 kB');
    expect(within(rows[0]).queryByTestId('quarantine-detail')).toBeNull();
  });

  it('says so when no mail is in quarantine and no mailbox is set up', async () => {
    backend({}, []);
    const user = userEvent.setup();
    await openTab(user);
    expect(await screen.findByTestId('mailbox-none')).toHaveTextContent('Noch kein Postfach eingerichtet.');
    expect(screen.getByTestId('quarantine-none')).toBeVisible();
    expect(screen.queryByTestId('quarantine-row')).toBeNull();
  });

  it('reloads the list every 5 seconds while the tab is open, and on Refresh', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    let state: MailboxView = FRESH;
    const fake = backend({ admin_list_mailboxes: () => [state] });
    const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
    const { unmount } = render(Admin);
    await user.click(screen.getByTestId('admin-tab-mail'));
    expect(await screen.findByTestId('mailbox-state')).toHaveAttribute('data-state', 'pending');
    const before = fake.callsTo('admin_list_mailboxes').length;

    state = { ...FRESH, status: HEALTHY };
    await vi.advanceTimersByTimeAsync(5_000);
    await waitFor(() => expect(screen.getByTestId('mailbox-state')).toHaveAttribute('data-state', 'ok'));
    expect(fake.callsTo('admin_list_mailboxes').length).toBe(before + 1);

    state = BILLING;
    await user.click(screen.getByTestId('mailbox-refresh'));
    await waitFor(() => expect(screen.getByTestId('mailbox-state')).toHaveAttribute('data-state', 'failing'));

    // A reload that fails keeps the list, with a note.
    fake.on({ admin_list_mailboxes: () => appError('offline', 'hub unreachable') });
    await user.click(screen.getByTestId('mailbox-refresh'));
    expect(await screen.findByTestId('mailbox-reload-failed')).toBeVisible();
    expect(screen.getByTestId('mailbox-row')).toHaveAttribute('data-name', 'Buchhaltung');

    // Another tab (or leaving the screen) stops the reloading.
    await user.click(screen.getByTestId('admin-tab-settings'));
    const afterLeaving = fake.callsTo('admin_list_mailboxes').length;
    await vi.advanceTimersByTimeAsync(15_000);
    unmount();
    await vi.advanceTimersByTimeAsync(15_000);
    expect(fake.callsTo('admin_list_mailboxes').length).toBe(afterLeaving);
  });

  it('has no serious axe violations in the list and the form', async () => {
    const axe = (await import('axe-core')).default;
    backend({ admin_list_quarantine: () => [TOO_LARGE] }, [SUPPORT, BILLING, FRESH]);
    const user = userEvent.setup();
    const { container } = render(Admin);
    await user.click(screen.getByTestId('admin-tab-mail'));
    await screen.findAllByTestId('mailbox-row');
    await user.click(screen.getAllByTestId('mailbox-edit')[1]);
    await user.click(await screen.findByTestId('mailbox-processed-move'));
    const options: import('axe-core').RunOptions = {
      runOnly: ['wcag2a', 'wcag2aa'],
      rules: { 'color-contrast': { enabled: false } },
    };
    for (const root of [container, screen.getByTestId('mailbox-dialog')]) {
      const result = await axe.run(root, options);
      const serious = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      expect(serious.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
    }
  });
});
