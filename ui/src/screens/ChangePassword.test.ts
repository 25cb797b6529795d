import { beforeEach, describe, expect, it } from 'vitest';
import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import App from '../App.svelte';
import { app } from '../lib/app.svelte';
import { setLocale } from '../lib/i18n/index.svelte';
import { SESSION, appError, fakeBackend, problem } from '../ipc/fake';

describe('the mandatory password change', () => {
  beforeEach(() => {
    app.session = null;
    app.route = { name: 'call' };
    setLocale('de');
  });

  it('shows nothing but the password form until the agent chose their own', async () => {
    const oneTime = { ...SESSION, language: 'de' as const, must_change_password: true };
    const fake = fakeBackend({
      get_session: () => oneTime,
      change_own_password: ({ currentPassword }) =>
        currentPassword === 'Xk7pQ2mN9rTz'
          ? { ...oneTime, must_change_password: false }
          : appError('validation', 'wrong', 'current_password', problem('wrong_password', { field: 'current_password' })),
    });
    const user = userEvent.setup();
    render(App);

    expect(await screen.findByTestId('must-change-password')).toHaveTextContent('Einmalpasswort');
    expect(screen.queryByTestId('nav-queue')).toBeNull();
    expect(screen.queryByTestId('call-subject')).toBeNull();

    // Checked here first: too short, then not repeated the same.
    await user.type(screen.getByTestId('password-current'), 'falsch');
    await user.type(screen.getByTestId('password-new'), 'kurz');
    await user.type(screen.getByTestId('password-repeat'), 'kurz');
    await user.click(screen.getByTestId('password-submit'));
    expect(screen.getByTestId('password-new')).toHaveAccessibleDescription(/Zu kurz: mindestens 10 Zeichen\./);
    await user.clear(screen.getByTestId('password-new'));
    await user.type(screen.getByTestId('password-new'), 'mein neues Passwort');
    await user.click(screen.getByTestId('password-submit'));
    expect(screen.getByTestId('password-repeat')).toHaveAccessibleDescription('Die beiden Eingaben stimmen nicht überein.');
    expect(fake.callsTo('change_own_password')).toEqual([]);

    // The hub's refusal at its field, with nothing typed lost.
    await user.clear(screen.getByTestId('password-repeat'));
    await user.type(screen.getByTestId('password-repeat'), 'mein neues Passwort');
    await user.click(screen.getByTestId('password-submit'));
    const current = screen.getByTestId('password-current');
    await waitFor(() => expect(current).toHaveAccessibleDescription('Das aktuelle Passwort stimmt nicht.'));
    expect(screen.getByTestId('password-new')).toHaveValue('mein neues Passwort');

    await user.clear(current);
    await user.type(current, 'Xk7pQ2mN9rTz');
    await user.click(screen.getByTestId('password-submit'));
    expect(await screen.findByTestId('nav-queue')).toBeVisible();
    expect(screen.queryByTestId('must-change-password')).toBeNull();
    expect(fake.calls.filter((c) => c.cmd === 'change_own_password').at(-1)?.args).toEqual({ currentPassword: 'Xk7pQ2mN9rTz', newPassword: 'mein neues Passwort' });
  });

  it('lets every agent change their password in the settings', async () => {
    const fake = fakeBackend({ get_session: () => ({ ...SESSION, language: 'de' }), change_own_password: () => ({ ...SESSION, language: 'de' }) });
    const user = userEvent.setup();
    render(App);
    await user.click(await screen.findByTestId('nav-settings'));
    await user.type(screen.getByTestId('password-current'), 'altes Passwort 1');
    await user.type(screen.getByTestId('password-new'), 'neues Passwort 22');
    await user.type(screen.getByTestId('password-repeat'), 'neues Passwort 22');
    await user.click(screen.getByTestId('password-submit'));
    expect(await screen.findByTestId('password-changed')).toHaveTextContent('Passwort geändert.');
    expect(fake.callsTo('change_own_password')).toHaveLength(1);
    expect(screen.getByTestId('password-current')).toHaveValue('');
  });
});
