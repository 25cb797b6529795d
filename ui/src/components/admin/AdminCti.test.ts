import { beforeEach, describe, expect, it } from 'vitest';
import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import Admin from '../../screens/Admin.svelte';
import type { AdminAgentView, AgentChangeForm, CtiIntegration, NewAgentForm } from '../../ipc';
import { SESSION, SYNC, appError, fakeBackend } from '../../ipc/fake';
import { app } from '../../lib/app.svelte';
import { setLocale } from '../../lib/i18n/index.svelte';

const PBX: CtiIntegration = { id: 'cti-1', name: 'Asterisk', allowed_sources: [], created_at: 1_000, token_made_at: 1_000 };
const ANNA: AdminAgentView = {
  id: 'a1',
  name: 'Anna Agent',
  login: 'anna',
  role: 'first_level',
  department_id: null,
  languages: [],
  active: true,
  phone_identities: ['201'],
  phone_queues: ['support'],
};

function backend() {
  let tokens = 0;
  return fakeBackend({
    admin_list_cti: () => [PBX],
    admin_add_cti: ({ name, allowedSources }) => ({
      integration: { ...PBX, id: 'cti-2', name, allowed_sources: allowedSources },
      token: `secret-${++tokens}`,
    }),
    admin_rotate_cti: ({ id }) => ({ integration: { ...PBX, id, token_made_at: 2_000 }, token: `secret-${++tokens}` }),
    admin_remove_cti: () => null,
    admin_change_cti: ({ id, change }) => {
      const sources = (change as { allowed_sources: string[] | null }).allowed_sources ?? [];
      if (sources.includes('nonsense')) {
        appError('validation', 'allowed_sources: not an address or network', 'allowed_sources');
      }
      return { ...PBX, id: id as string, allowed_sources: sources };
    },
    admin_list_agents: () => [ANNA],
    admin_list_departments: () => [],
    admin_add_agent: ({ form }) => ({ ...ANNA, ...(form as NewAgentForm), id: 'a2' }),
    admin_change_agent: ({ form }) => {
      const f = form as AgentChangeForm;
      return { ...ANNA, phone_identities: f.phone_identities ?? ANNA.phone_identities, phone_queues: f.phone_queues ?? ANNA.phone_queues };
    },
  });
}

describe('Admin: the phone system', () => {
  beforeEach(() => {
    setLocale('de');
    app.session = { ...SESSION, hub_url: 'https://hub.example.org/', language: 'de', agent: { ...SESSION.agent!, role: 'admin' } };
    app.sync = { ...SYNC, connection: 'online' };
  });

  it('adds an integration and shows its URL with the token once', async () => {
    const fake = backend();
    const user = userEvent.setup();
    render(Admin);
    await user.click(screen.getByTestId('admin-tab-cti'));
    expect(await screen.findAllByTestId('cti-row')).toHaveLength(1);
    expect(screen.getByTestId('cti-row')).toHaveTextContent('Beliebig');

    await user.click(screen.getByTestId('cti-add-submit'));
    expect(screen.getByTestId('cti-add-name')).toHaveAccessibleDescription(expect.stringContaining('Pflichtfeld'));
    expect(fake.callsTo('admin_add_cti')).toEqual([]);

    await user.type(screen.getByTestId('cti-add-name'), '3CX');
    await user.type(screen.getByTestId('cti-add-sources'), '192.0.2.10, 192.0.2.0/24{Enter}192.0.2.10');
    await user.click(screen.getByTestId('cti-add-submit'));
    expect(fake.callsTo('admin_add_cti')).toEqual([{ name: '3CX', allowedSources: ['192.0.2.10', '192.0.2.0/24'] }]);

    const dialog = await screen.findByTestId('cti-token-dialog');
    expect(within(dialog).getByTestId('cti-url')).toHaveValue('https://hub.example.org/v1/cti/secret-1');
    expect(within(dialog).getByTestId('cti-once')).toHaveTextContent('Sie wird nur jetzt angezeigt.');
    await user.click(within(dialog).getByTestId('cti-copy'));
    expect(await within(dialog).findByRole('status')).toBeVisible();
    await user.click(within(dialog).getByTestId('cti-token-close'));

    // Gone for good: the list shows the integration, never its token.
    expect(screen.queryByTestId('cti-token-dialog')).toBeNull();
    expect(screen.getAllByTestId('cti-row')).toHaveLength(2);
    expect(document.body).not.toHaveTextContent('secret-1');
  });

  it('changes the allowed sources in place; a refusal keeps the text', async () => {
    const fake = backend();
    const user = userEvent.setup();
    render(Admin);
    await user.click(screen.getByTestId('admin-tab-cti'));
    const row = await screen.findByTestId('cti-row');
    await user.click(within(row).getByTestId('cti-edit-sources'));
    const field = within(row).getByTestId('cti-sources-edit');
    await user.type(field, 'nonsense');
    await user.click(within(row).getByTestId('cti-sources-save'));
    await waitFor(() => expect(field).toHaveAttribute('aria-invalid', 'true'));
    expect(field).toHaveValue('nonsense');
    await user.clear(field);
    await user.type(field, '192.0.2.10{enter}10.0.0.0/8');
    await user.click(within(row).getByTestId('cti-sources-save'));
    await waitFor(() => expect(screen.getByTestId('cti-row')).toHaveTextContent('192.0.2.10, 10.0.0.0/8'));
    expect(fake.callsTo('admin_change_cti').at(-1)).toEqual({
      id: 'cti-1',
      change: { name: null, allowed_sources: ['192.0.2.10', '10.0.0.0/8'] },
    });
  });

  it('rotates and removes only after a confirmation', async () => {
    const fake = backend();
    const user = userEvent.setup();
    render(Admin);
    await user.click(screen.getByTestId('admin-tab-cti'));
    await user.click(await screen.findByTestId('cti-rotate'));
    const confirm = await screen.findByTestId('cti-confirm-dialog');
    expect(confirm).toHaveTextContent('gilt sofort nicht mehr');
    expect(fake.callsTo('admin_rotate_cti')).toEqual([]);
    await user.click(within(confirm).getByTestId('cti-confirm'));
    expect(await screen.findByTestId('cti-token-dialog')).toHaveTextContent('Die alte Adresse gilt nicht mehr.');
    expect(screen.getByTestId('cti-url')).toHaveValue('https://hub.example.org/v1/cti/secret-1');
    await user.click(screen.getByTestId('cti-token-close'));

    await user.click(screen.getByTestId('cti-remove'));
    await user.click(within(await screen.findByTestId('cti-confirm-dialog')).getByText('Abbrechen'));
    expect(fake.callsTo('admin_remove_cti')).toEqual([]);
    await user.click(screen.getByTestId('cti-remove'));
    await user.click(within(await screen.findByTestId('cti-confirm-dialog')).getByTestId('cti-confirm'));
    await waitFor(() => expect(screen.queryByTestId('cti-row')).toBeNull());
    expect(fake.callsTo('admin_remove_cti')).toEqual([{ id: 'cti-1' }]);
    expect(screen.getByTestId('cti-none')).toBeVisible();
  });

  it("sets an agent's phone identities and queues, comma or line separated", async () => {
    const fake = backend();
    const user = userEvent.setup();
    render(Admin);
    const row = await screen.findByTestId('agent-row');
    expect(within(row).getByTestId('agent-phone')).toHaveTextContent('201');
    expect(within(row).getByTestId('agent-phone')).toHaveTextContent('support');

    await user.click(screen.getByTestId('agent-edit-anna'));
    const identities = screen.getByTestId('agent-edit-identities');
    expect(identities).toHaveValue('201');
    await user.type(identities, ', anna@example.org{Enter}Anna Agent');
    await user.click(screen.getByTestId('agent-edit-submit'));
    await waitFor(() => expect(fake.callsTo('admin_change_agent')).toHaveLength(1));
    // Only what changed: the queues stay as they were.
    expect(fake.callsTo('admin_change_agent')[0].form).toMatchObject({
      phone_identities: ['201', 'anna@example.org', 'Anna Agent'],
      phone_queues: null,
    });

    await user.type(screen.getByTestId('agent-add-login'), 'ben');
    await user.type(screen.getByTestId('agent-add-name'), 'Ben Becker');
    await user.type(screen.getByTestId('agent-add-password'), 'lang genug 123');
    await user.type(screen.getByTestId('agent-add-identities'), '202');
    await user.type(screen.getByTestId('agent-add-queues'), 'support,billing');
    await user.click(screen.getByTestId('agent-add-submit'));
    await waitFor(() => expect(fake.callsTo('admin_add_agent')).toHaveLength(1));
    expect(fake.callsTo('admin_add_agent')[0].form).toMatchObject({ phone_identities: ['202'], phone_queues: ['support', 'billing'] });
  });
});
