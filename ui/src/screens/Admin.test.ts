import { beforeEach, describe, expect, it } from 'vitest';
import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import Admin from './Admin.svelte';
import { app } from '../lib/app.svelte';
import { setLocale } from '../lib/i18n/index.svelte';
import { SESSION, SYNC, appError, fakeBackend, problem } from '../ipc/fake';
import type { AdminAgentView, NewAgentForm, SlaSettingsView } from '../ipc';

const ANNA: AdminAgentView = {
  id: 'a1',
  name: 'Anna Agent',
  login: 'anna',
  role: 'first_level',
  department_id: null,
  languages: [],
  active: true,
  phone_identities: ['201', 'anna@example.org'],
  phone_queues: [],
};
const ADMIN: AdminAgentView = { ...ANNA, id: 'a9', name: 'Ada Admin', login: 'admin', role: 'admin' };
const SLA: SlaSettingsView = {
  policy_name: 'Standard',
  targets: [
    { priority: 'urgent', first_response_minutes: 30, resolution_minutes: 240 },
    { priority: 'high', first_response_minutes: 60, resolution_minutes: 480 },
    { priority: 'normal', first_response_minutes: 240, resolution_minutes: 1620 },
    { priority: 'low', first_response_minutes: 480, resolution_minutes: 2700 },
  ],
  time_zone: 'Europe/Berlin',
  hours: [1, 2, 3, 4, 5].map((weekday) => ({ weekday, start_minute: 480, end_minute: 1020 })),
  holidays: ['2026-12-24'],
};
const DUE = Date.UTC(2026, 11, 3, 15, 0);

function backend() {
  return fakeBackend({
    admin_list_agents: () => [ANNA, ADMIN],
    admin_list_departments: () => [{ id: 'd-net', name: 'Netzwerk' }],
    admin_add_agent: ({ form }) => {
      const f = form as NewAgentForm;
      return { ...ANNA, id: 'a2', login: f.login, name: f.name, role: f.role, department_id: f.department_id };
    },
    admin_reset_password: ({ login }) => ({ agent: login === 'anna' ? ANNA : ADMIN, password: 'Xk7pQ2mN9rTz' }),
    admin_get_sla: () => SLA,
    admin_preview_sla: ({ settings }) =>
      (settings as SlaSettingsView).targets.map((t) => ({
        priority: t.priority,
        first_response_due: DUE,
        resolution_due: DUE + 3_600_000,
      })),
    admin_put_sla: ({ settings }) => settings,
  });
}

describe('Admin', () => {
  beforeEach(() => {
    setLocale('de');
    app.session = { ...SESSION, language: 'de', agent: { ...SESSION.agent!, role: 'admin', login: 'admin' } };
    app.sync = { ...SYNC, connection: 'online' };
    app.route = { name: 'admin' };
  });

  it('lists the agents and adds one with exactly what was typed', async () => {
    const fake = backend();
    const user = userEvent.setup();
    render(Admin);
    const rows = await screen.findAllByTestId('agent-row');
    expect(rows[0]).toHaveTextContent('Anna Agent');
    expect(rows[0]).toHaveTextContent('1st Level');
    expect(rows[1]).toHaveTextContent('Administration');

    await user.type(screen.getByTestId('agent-add-login'), 'sven');
    await user.type(screen.getByTestId('agent-add-name'), 'Sven Ott');
    await user.selectOptions(screen.getByTestId('agent-add-role'), 'expert');
    await user.type(screen.getByTestId('agent-add-password'), 'lang genug 123');
    await user.click(screen.getByTestId('agent-add-submit'));
    // An expert needs a department: refused here, nothing sent, nothing lost.
    expect(await screen.findByText('Ein Experte braucht eine Abteilung.')).toBeVisible();
    expect(fake.callsTo('admin_add_agent')).toEqual([]);
    expect(screen.getByTestId('agent-add-login')).toHaveValue('sven');

    await user.selectOptions(screen.getByTestId('agent-add-department'), 'd-net');
    await user.click(screen.getByTestId('agent-add-submit'));
    expect(await screen.findByTestId('agent-added')).toHaveTextContent('Sven Ott (sven) wurde angelegt.');
    expect(fake.callsTo('admin_add_agent')).toEqual([
      {
        form: {
          login: 'sven',
          name: 'Sven Ott',
          role: 'expert',
          department_id: 'd-net',
          languages: [],
          password: 'lang genug 123',
          phone_identities: [],
          phone_queues: [],
        },
      },
    ]);
    expect(screen.getAllByTestId('agent-row')).toHaveLength(3);
  });

  it('shows the hub’s refusal at its field and keeps the form', async () => {
    const fake = backend();
    fake.on({
      admin_add_agent: () =>
        appError('conflict', 'the login "anna" is already taken', 'login', problem('already_exists', { field: 'login' })),
    });
    const user = userEvent.setup();
    render(Admin);
    await user.type(await screen.findByTestId('agent-add-login'), 'anna');
    await user.type(screen.getByTestId('agent-add-name'), 'Anna Zwei');
    await user.type(screen.getByTestId('agent-add-password'), 'lang genug 123');
    await user.click(screen.getByTestId('agent-add-submit'));

    const login = screen.getByTestId('agent-add-login');
    await waitFor(() => expect(login).toHaveAttribute('aria-invalid', 'true'));
    expect(login).toHaveAccessibleDescription('Das wurde bereits erfasst.');
    expect(login).toHaveValue('anna');
    expect(screen.getByTestId('agent-add-name')).toHaveValue('Anna Zwei');
    expect(screen.getByTestId('agent-add-password')).toHaveValue('lang genug 123');
  });

  it('shows a reset’s one-time password once, with a copy button and the note to change it', async () => {
    const fake = backend();
    const user = userEvent.setup();
    render(Admin);
    await user.click(await screen.findByTestId('agent-reset-anna'));
    const confirm = await screen.findByTestId('reset-dialog');
    expect(confirm).toHaveTextContent('meldet den Agenten auf allen Rechnern ab');
    expect(fake.callsTo('admin_reset_password')).toEqual([]);
    await user.click(within(confirm).getByTestId('reset-confirm'));

    const dialog = await screen.findByTestId('otp-dialog');
    expect(within(dialog).getByTestId('otp-password')).toHaveValue('Xk7pQ2mN9rTz');
    expect(dialog).toHaveTextContent('Es wird nur jetzt angezeigt.');
    expect(dialog).toHaveTextContent('Bei der nächsten Anmeldung muss der Agent es durch ein eigenes Passwort ersetzen.');
    await user.click(within(dialog).getByTestId('otp-copy'));
    expect(await within(dialog).findByRole('status')).toBeVisible();
    expect(fake.callsTo('admin_reset_password')).toEqual([{ login: 'anna' }]);

    await user.click(within(dialog).getByTestId('otp-close'));
    expect(screen.queryByTestId('otp-dialog')).toBeNull();
    expect(screen.queryByText('Xk7pQ2mN9rTz')).toBeNull();
  });

  it('previews the due times while the admin types, and says open tickets keep theirs', async () => {
    const fake = backend();
    const user = userEvent.setup();
    render(Admin);
    await user.click(screen.getByTestId('admin-tab-sla'));
    expect(await screen.findByText(/Offene Tickets behalten ihre Fälligkeit/)).toBeVisible();
    const zone = screen.getByTestId('sla-time-zone');
    expect(zone).toHaveValue('Europe/Berlin');
    await user.clear(zone);
    await user.type(zone, 'Asia/Tokyo');
    await waitFor(() =>
      expect(fake.callsTo('admin_preview_sla').at(-1)).toEqual({
        settings: { ...SLA, time_zone: 'Asia/Tokyo' },
      }),
    );
    expect(await screen.findByTestId('sla-preview-urgent')).toHaveTextContent(/^Dringend: erste Reaktion .*2026/);
    // Typed quickly: one preview for the whole word (debounced), not one per key.
    expect(fake.callsTo('admin_preview_sla').length).toBeLessThan(4);

    // A time of day that is none is pointed at before the hub is asked.
    const start = screen.getByTestId('sla-day-1-0-start');
    await user.clear(start);
    await user.type(start, '25:00');
    await waitFor(() => expect(start).toHaveAttribute('aria-invalid', 'true'));
    expect(start).toHaveAccessibleDescription(/Montag: Bitte eine Uhrzeit/);
  });

  it('shows a refusal of the SLA settings at its field', async () => {
    const fake = backend();
    fake.on({
      admin_preview_sla: () =>
        appError('validation', 'not a zone', 'time_zone', problem('unknown_time_zone', { field: 'time_zone', value: 'Mars' })),
    });
    const user = userEvent.setup();
    render(Admin);
    await user.click(screen.getByTestId('admin-tab-sla'));
    const zone = await screen.findByTestId('sla-time-zone');
    await user.clear(zone);
    await user.type(zone, 'Mars');
    await waitFor(() => expect(zone).toHaveAccessibleDescription(/Zeitzone: Diese Zeitzone ist unbekannt\./));
    expect(zone).toHaveValue('Mars');
  });

  it('says that saving needs the hub while offline, and keeps the forms', async () => {
    backend();
    app.sync = { ...SYNC, connection: 'offline' };
    render(Admin);
    expect(await screen.findByTestId('admin-offline')).toHaveTextContent('sobald Sie wieder online sind');
    expect(screen.getByRole('tablist')).toBeInTheDocument();
  });

  it('switches per-agent figures on with the works council note', async () => {
    const fake = backend();
    fake.on({ admin_get_settings: () => ({ agent_figures: false }), admin_put_settings: ({ settings }) => settings });
    const user = userEvent.setup();
    render(Admin);
    await user.click(screen.getByTestId('admin-tab-settings'));
    const toggle = await screen.findByTestId('org-agent-figures');
    expect(toggle).not.toBeChecked();
    expect(screen.getByTestId('org-settings')).toHaveTextContent('Betriebsrat');
    await user.click(toggle);
    await user.click(screen.getByTestId('org-settings-save'));
    expect(await screen.findByTestId('org-settings-saved')).toBeVisible();
    expect(fake.callsTo('admin_put_settings')).toEqual([{ settings: { agent_figures: true } }]);
  });
});
