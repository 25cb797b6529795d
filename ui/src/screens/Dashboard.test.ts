import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import Dashboard from './Dashboard.svelte';
import { app } from '../lib/app.svelte';
import { SESSION, appError, fakeBackend } from '../ipc/fake';
import { demoAgentFigures, demoDashboard } from '../ipc/demoDashboard';
import { setLocale } from '../lib/i18n/index.svelte';
import type { Dashboard as DashboardData, DashboardFilter, Figure } from '../ipc';

const NOW = new Date(2026, 11, 3, 15, 0).getTime();
const TODAY: DashboardFilter = { period: { type: 'today' }, category_id: null, department_id: null, channel: null };

function figure(key: Figure['key'], overrides: Partial<Figure> = {}): Figure {
  return { key, level: null, unit: 'count', value: 0, count: 0, of: 0, ...overrides };
}

/** The demo's dashboard for a week, with a few figures pinned to known values. */
function dashboard(overrides: Partial<DashboardData> = {}): DashboardData {
  const base = demoDashboard({ ...TODAY, period: { type: 'days7' } }, NOW);
  const figures = base.figures.map((f) => {
    if (f.key === 'first_contact_resolution') return { ...f, value: 0.62, count: 62, of: 100 };
    if (f.key === 'hand_backs') return { ...f, value: null, count: 0, of: 0 };
    if (f.key === 'resolution_median' && f.level === 2) return { ...f, value: 150, count: 12 };
    return f;
  });
  return { ...base, figures, ...overrides };
}

const EMPTY: DashboardData = {
  ...dashboard(),
  coverage: { cached_tickets: 0, oldest_ticket: null, window_start: null, time_zone: 'Europe/Berlin' },
  live: {
    open_by_level: [0, 0, 0],
    open_by_department: [],
    unclaimed_escalations: 0,
    waiting_for_expert: 0,
    longest_expert_wait_since: null,
    sla_at_risk: 0,
    sla_breached: 0,
  },
  figures: [figure('new_tickets')],
  days: [],
  categories: [],
  funnel: { suggested: 0, opened: 0, used: 0, resolved: 0 },
  resolution_times: [],
};

function backend(data: DashboardData = dashboard()) {
  return fakeBackend({ get_dashboard: () => data, list_knowledge_gaps: () => [{}, {}, {}], get_agent_figures: ({ filter }) => demoAgentFigures(filter as DashboardFilter) });
}

describe('Dashboard', () => {
  beforeEach(() => {
    setLocale('de');
    app.session = { ...SESSION, language: 'de', agent: { ...SESSION.agent!, role: 'supervisor' } };
    app.route = { name: 'dashboard' };
    app.queue = 'mine';
    app.orgSettings = null;
    app.referenceData = {
      categories: [
        { id: 'cat-net', name: 'Netzwerk' },
        { id: 'cat-hw', name: 'Hardware' },
        { id: 'cat-bill', name: 'Abrechnung' },
      ],
      departments: [{ id: 'd-it', name: 'IT' }],
      agents: [
        { id: 'a1', name: 'Anna Agent' },
        { id: 'a2', name: 'Ben Becker' },
      ],
    };
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('shows every figure with its German label, value and formula', async () => {
    backend();
    const user = userEvent.setup();
    render(Dashboard);
    const tiles = await screen.findAllByTestId('dash-figure');
    expect(tiles.map((tile) => tile.dataset.key)).toEqual([
      'new_tickets',
      'repeat_contacts',
      'first_contact_resolution',
      'escalation_rate',
      'expert_involvement',
      'consults',
      'expert_handovers',
      'hand_backs',
      'reopen_rate',
      'sla_compliance',
      'kb_deflection',
    ]);
    const fcr = tiles[2];
    expect(fcr).toHaveTextContent('Erstlösungsquote');
    expect(screen.getByTestId('dash-figure-first_contact_resolution')).toHaveTextContent(/^62\s%$/);
    expect(fcr).toHaveTextContent('62 von 100');
    // No value: a dash and why.
    expect(screen.getByTestId('dash-figure-hand_backs')).toHaveTextContent('–');
    expect(tiles[7]).toHaveTextContent('Nicht berechenbar');
    // The formula behind "?".
    const help = within(fcr).getByTestId('dash-help-first_contact_resolution');
    expect(help).toHaveAttribute('aria-expanded', 'false');
    expect(within(fcr).getByTestId('dash-help-text-first_contact_resolution')).not.toBeVisible();
    await user.click(help);
    expect(help).toHaveAttribute('aria-expanded', 'true');
    expect(within(fcr).getByTestId('dash-help-text-first_contact_resolution')).toHaveTextContent('÷ neue Tickets');
    // Times by level, as durations.
    expect(screen.getByTestId('dash-level-resolution_median-2')).toHaveTextContent('2,5 Std.');
    expect(screen.getByTestId('dash-levels')).toHaveTextContent('3rd Level');
  });

  it('says which period and which data the figures come from', async () => {
    backend();
    render(Dashboard);
    const coverage = await screen.findByTestId('dash-coverage');
    expect(coverage).toHaveTextContent('Zeitraum: 27.11.2026 – 03.12.2026');
    expect(coverage).toHaveTextContent('Europe/Berlin');
    expect(coverage).toHaveTextContent('auf diesem Rechner gespeichert sind: 18.432');
    expect(coverage).toHaveTextContent('Gelöste Tickets, die zuletzt vor dem 04.09.2026 geändert wurden');
  });

  it('reloads with the new filter when the period, category or channel changes', async () => {
    const fake = backend();
    const user = userEvent.setup();
    render(Dashboard);
    await screen.findAllByTestId('dash-figure');
    expect(fake.callsTo('get_dashboard')).toEqual([{ filter: TODAY }]);
    expect(screen.getByTestId('dash-period-today')).toHaveAttribute('aria-pressed', 'true');

    await user.click(screen.getByTestId('dash-period-days7'));
    await waitFor(() => expect(fake.callsTo('get_dashboard').at(-1)).toEqual({ filter: { ...TODAY, period: { type: 'days7' } } }));
    expect(screen.getByTestId('dash-period-days7')).toHaveAttribute('aria-pressed', 'true');

    await user.selectOptions(screen.getByTestId('dash-filter-category'), 'Netzwerk');
    await user.selectOptions(screen.getByTestId('dash-filter-channel'), 'Telefon');
    await waitFor(() =>
      expect(fake.callsTo('get_dashboard').at(-1)).toEqual({
        filter: { period: { type: 'days7' }, category_id: 'cat-net', department_id: null, channel: 'phone' },
      }),
    );
  });

  it('asks for a custom period only once both dates read, as whole local days', async () => {
    const fake = backend();
    const user = userEvent.setup();
    render(Dashboard);
    await screen.findAllByTestId('dash-figure');
    await user.click(screen.getByTestId('dash-period-custom'));
    const from = screen.getByTestId('dash-from');
    const to = screen.getByTestId('dash-to');
    await user.clear(from);
    await user.type(from, '10.11.2026');
    await user.clear(to);
    await user.type(to, '01.11.2026');
    await user.click(screen.getByTestId('dash-apply-period'));
    expect(await screen.findByRole('alert')).toHaveTextContent('das zweite nicht vor dem ersten');
    expect(fake.callsTo('get_dashboard')).toHaveLength(1);

    await user.clear(to);
    await user.type(to, '30.11.2026');
    await user.click(screen.getByTestId('dash-apply-period'));
    await waitFor(() =>
      expect(fake.callsTo('get_dashboard').at(-1)).toEqual({
        filter: {
          ...TODAY,
          period: { type: 'custom', from: new Date(2026, 10, 10, 12).getTime(), to: new Date(2026, 10, 30, 12).getTime() },
        },
      }),
    );
  });

  it('reloads when tickets changed and ignores a reply that a newer one overtook', async () => {
    const slow = dashboard({ computed_at: 1 });
    const fresh = dashboard();
    let release: (() => void) | undefined;
    const fake = fakeBackend({
      list_knowledge_gaps: () => [],
      get_dashboard: ({ filter }) => {
        if ((filter as DashboardFilter).period.type === 'days30') {
          return new Promise((resolve) => (release = () => resolve(slow)));
        }
        return fresh;
      },
    });
    const user = userEvent.setup();
    render(Dashboard);
    await screen.findAllByTestId('dash-figure');
    await user.click(screen.getByTestId('dash-period-days30'));
    await user.click(screen.getByTestId('dash-period-days7'));
    await waitFor(() => expect(fake.callsTo('get_dashboard')).toHaveLength(3));
    release?.();
    await new Promise((r) => setTimeout(r, 0));
    expect(screen.getByTestId('dash-computed-at')).not.toHaveTextContent('1970');

    app.ticketsVersion++;
    await waitFor(() => expect(fake.callsTo('get_dashboard')).toHaveLength(4));
  });

  it('opens the queue a live number counts from', async () => {
    backend();
    const user = userEvent.setup();
    render(Dashboard);
    const unclaimed = await screen.findByTestId('dash-live-unclaimed');
    expect(unclaimed).toHaveTextContent('6');
    expect(unclaimed).toHaveAccessibleDescription(/Warteschlange „Eskaliert“/);
    await user.click(unclaimed);
    expect(app.queue).toBe('escalated');
    expect(app.route).toEqual({ name: 'queue' });
  });

  it('opens "all" for the SLA numbers, and shows how long the longest wait for an expert is', async () => {
    backend();
    const user = userEvent.setup();
    render(Dashboard);
    expect(await screen.findByTestId('dash-live-longest-wait')).toHaveTextContent(/Längste Wartezeit: \d/);
    expect(screen.getByTestId('dash-live-open-1')).toHaveTextContent('214');
    expect(screen.getByTestId('dash-live-department-d-it')).toHaveTextContent('IT: 9');
    await user.click(screen.getByTestId('dash-live-sla-breached'));
    expect(app.queue).toBe('all');
    expect(app.route).toEqual({ name: 'queue' });
  });

  it('explains an empty dashboard instead of drawing empty charts', async () => {
    backend(EMPTY);
    render(Dashboard);
    expect(await screen.findByTestId('dash-empty')).toHaveTextContent('Noch keine Tickets auf diesem Rechner');
    expect(screen.queryByTestId('dash-charts')).toBeNull();
    expect(screen.queryByRole('alert')).toBeNull();
    expect(screen.getByTestId('dash-export-csv')).toBeDisabled();
  });

  it('holds every chart’s numbers in a table', async () => {
    backend();
    render(Dashboard);
    const volume = await screen.findByTestId('dash-chart-volume-table');
    expect(within(volume).getAllByRole('row')).toHaveLength(1 + 7);
    expect(within(volume).getAllByRole('columnheader').map((th) => th.textContent)).toEqual(['Tag', 'Neue Tickets', 'Erstlösungsquote']);
    const categories = screen.getByTestId('dash-chart-categories-table');
    expect(within(categories).getAllByRole('rowheader').map((th) => th.textContent)).toEqual([
      'Netzwerk',
      'Hardware',
      'Abrechnung',
      'Ohne Kategorie',
    ]);
    const funnel = screen.getByTestId('dash-chart-funnel-table');
    expect(funnel).toHaveTextContent('Artikel geöffnet');
    const resolution = screen.getByTestId('dash-chart-resolution-table');
    expect(within(resolution).getAllByRole('rowheader')[0]).toHaveTextContent('unter 15 Min.');
    expect(within(resolution).getAllByRole('rowheader').at(-1)).toHaveTextContent('ab 3 Tg.');
  });

  it('links to the missing articles with their count', async () => {
    backend();
    const user = userEvent.setup();
    render(Dashboard);
    expect(await screen.findByTestId('dash-gaps-count')).toHaveTextContent('3');
    await user.click(screen.getByTestId('dash-gaps-open'));
    expect(app.route).toEqual({ name: 'kb_gaps' });
  });

  it('exports the figures as German CSV', async () => {
    backend();
    const blobs: Blob[] = [];
    URL.createObjectURL = vi.fn((blob: Blob) => {
      blobs.push(blob);
      return 'blob:figures';
    });
    URL.revokeObjectURL = vi.fn();
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => {});
    const user = userEvent.setup();
    render(Dashboard);
    await screen.findAllByTestId('dash-figure');
    await user.click(screen.getByTestId('dash-export-csv'));
    expect(click).toHaveBeenCalledTimes(1);
    const text = (await blobs[0].text()).replace(/^\uFEFF/, '');
    const lines = text.split('\r\n');
    expect(lines[0]).toBe('Kennzahl;Level;Wert;Einheit;Anzahl;Gesamt');
    expect(lines).toContain('Erstlösungsquote;;62;Prozent;62;100');
    expect(lines).toContain('An 1st Level zurückgegeben;;;Prozent;0;0');
    expect(lines).toContain('Lösungszeit, Median;2nd Level;150;Minuten;12;');
  });

  it('shows no per-agent numbers unless the organisation allows them', async () => {
    const fake = backend();
    render(Dashboard);
    await screen.findAllByTestId('dash-figure');
    expect(screen.queryByTestId('dash-agents')).toBeNull();
    expect(fake.callsTo('get_agent_figures')).toEqual([]);
  });

  it('shows supervisors the per-agent table when the organisation switched it on', async () => {
    const fake = backend();
    fake.on({ get_org_settings: () => ({ agent_figures: true }) });
    render(Dashboard);
    expect(await screen.findByTestId('dash-agents-table')).toBeVisible();
    expect(fake.callsTo('get_org_settings')).not.toHaveLength(0);
  });

  it('never shows admins the per-agent table (supervisors only)', async () => {
    app.session = { ...SESSION, language: 'de', agent: { ...SESSION.agent!, role: 'admin' } };
    app.orgSettings = { agent_figures: true };
    const fake = backend();
    render(Dashboard);
    await screen.findAllByTestId('dash-figure');
    expect(screen.queryByTestId('dash-agents')).toBeNull();
    expect(fake.callsTo('get_agent_figures')).toEqual([]);
  });

  it('says that the per-agent figures need the hub when offline, not an error', async () => {
    const fake = backend();
    fake.on({ get_agent_figures: () => appError('offline', 'hub unreachable') });
    render(Dashboard, { showAgents: true });
    expect(await screen.findByTestId('dash-agents-offline')).toHaveTextContent('brauchen den Hub');
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('shows the per-agent table where allowed', async () => {
    const fake = backend();
    render(Dashboard, { showAgents: true });
    const table = await screen.findByTestId('dash-agents-table');
    const rows = within(table).getAllByTestId('dash-agent-row');
    expect(rows[0]).toHaveTextContent('Anna Agent');
    expect(rows[0]).toHaveTextContent('05:12');
    expect(rows[2]).toHaveTextContent('Unbekannter Agent');
    expect(fake.callsTo('get_agent_figures')).toEqual([{ filter: TODAY }]);
  });

  it("shows the phone system's calls: answered, missed, talk time and calls per hour", async () => {
    const hour = (h: number) => new Date(2026, 11, 3, h).getTime();
    backend(
      dashboard({
        calls: {
          per_hour: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((h) => ({
            hour_start: hour(h),
            answered: h === 8 ? 5 : h === 10 ? 2 : 0,
            missed: h === 8 ? 1 : 0,
          })),
          inbound: 6,
          outbound: 2,
          answered: 7,
          missed: 1,
          average_talk_seconds: 185,
        },
        coverage: { ...dashboard().coverage, time_zone: Intl.DateTimeFormat().resolvedOptions().timeZone },
      }),
    );
    render(Dashboard);
    const panel = await screen.findByTestId('dash-calls');
    expect(within(panel).getByTestId('dash-calls-answered')).toHaveTextContent('7');
    expect(within(panel).getByTestId('dash-calls-missed')).toHaveTextContent('1');
    expect(within(panel).getByTestId('dash-calls-talk')).toHaveTextContent('03:05');
    const table = within(panel).getByTestId('dash-chart-calls-table');
    // The hours from the first call to the last, answered and missed in the table.
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows.map((r) => r.textContent)).toEqual(['08:0051', '09:0000', '10:0020']);
  });

  it("adds each agent's answered and missed calls and talk time to the per-agent table", async () => {
    backend();
    render(Dashboard, { showAgents: true });
    const table = await screen.findByTestId('dash-agents-table');
    expect(within(table).getByRole('columnheader', { name: 'Verpasste Anrufe' })).toBeVisible();
    const [anna] = within(table).getAllByTestId('dash-agent-row');
    const expected = demoAgentFigures(TODAY)[0];
    expect(within(anna).getByTestId('dash-agent-calls-answered')).toHaveTextContent(String(expected.calls_answered));
    expect(within(anna).getByTestId('dash-agent-calls-missed')).toHaveTextContent(String(expected.calls_missed));
  });
});
