import { beforeEach, describe, expect, it } from 'vitest';
import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import Settings from './Settings.svelte';
import { SESSION, appError, fakeBackend } from '../ipc/fake';
import { app } from '../lib/app.svelte';
import { setLocale } from '../lib/i18n/index.svelte';

describe('Settings: calling a number', () => {
  beforeEach(() => {
    setLocale('de');
    app.session = { ...SESSION, language: 'de' };
  });

  it('shows the template (tel:{number} by default) and saves a softphone one', async () => {
    const backend = fakeBackend();
    const user = userEvent.setup();
    render(Settings);
    const field = screen.getByTestId('settings-dial-template');
    await waitFor(() => expect(field).toHaveValue('tel:{number}'));
    await user.clear(field);
    await user.type(field, 'sip:{{number}@pbx.example.org');
    await user.click(screen.getByTestId('settings-dial-save'));
    expect(await screen.findByTestId('settings-dial-saved')).toBeVisible();
    expect(backend.callsTo('set_dial_template')).toEqual([{ template: 'sip:{number}@pbx.example.org' }]);
  });

  it('shows the refusal at the field and keeps what was typed', async () => {
    const backend = fakeBackend({ set_dial_template: () => appError('validation', 'scheme not allowed', 'template') });
    const user = userEvent.setup();
    render(Settings);
    const field = screen.getByTestId('settings-dial-template');
    await waitFor(() => expect(field).toHaveValue('tel:{number}'));

    // No placeholder: said here, nothing sent.
    await user.clear(field);
    await user.type(field, 'sip:pbx');
    await user.click(screen.getByTestId('settings-dial-save'));
    expect(field).toHaveAttribute('aria-invalid', 'true');
    expect(field).toHaveAccessibleDescription(expect.stringContaining('{number}'));
    expect(backend.callsTo('set_dial_template')).toEqual([]);

    await user.clear(field);
    await user.type(field, 'https://evil/{{number}');
    await user.click(screen.getByTestId('settings-dial-save'));
    await waitFor(() => expect(field).toHaveAccessibleDescription(expect.stringContaining('und der Rufnummer')));
    expect(field).toHaveValue('https://evil/{number}');
  });
});
