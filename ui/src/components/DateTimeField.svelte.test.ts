// The date-time field in the two dialogs that use it: it speaks the app's language, not
// the OS locale, keeps what was typed, and says "invalid" for what it cannot read.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import FollowUpDialog from './FollowUpDialog.svelte';
import InformedDialog from './InformedDialog.svelte';
import { setLocale } from '../lib/i18n/index.svelte';

afterEach(() => setLocale('en'));

describe('FollowUpDialog', () => {
  it('reads the time in English, keeps a half-typed one in the value, and calls it invalid', async () => {
    const value = $state({ due: '', note: '' });
    const onsubmit = vi.fn();
    const user = userEvent.setup();
    render(FollowUpDialog, { value, onsubmit, onclose: () => {} });
    const due = screen.getByTestId('follow-up-due');
    expect(due).toHaveAttribute('placeholder', 'DD/MM/YYYY hh:mm');
    expect(due).toHaveAttribute('aria-required', 'true');

    await user.type(due, '3/12/20');
    await user.tab();
    // The draft holds the text as typed, so nothing is lost when the form is closed.
    expect(value.due).toBe('3/12/20');
    expect(screen.getByTestId('follow-up-dialog')).toHaveTextContent('Not a valid value.');
    expect(due).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByTestId('follow-up-submit')).toBeDisabled();

    await user.type(due, '99 9:05');
    await user.tab();
    // On leaving the field it shows what it understood, written out in full.
    expect(due).toHaveValue('03/12/2099 09:05');
    expect(screen.getByTestId('follow-up-dialog')).not.toHaveTextContent('Not a valid value.');
    await user.click(screen.getByTestId('follow-up-submit'));
    expect(onsubmit).toHaveBeenCalledTimes(1);
  });

  it('speaks German when the app does, whatever the OS locale', async () => {
    setLocale('de');
    const value = $state({ due: '', note: '' });
    const user = userEvent.setup();
    render(FollowUpDialog, { value, onsubmit: () => {}, onclose: () => {} });
    const due = screen.getByTestId('follow-up-due');
    expect(due).toHaveAttribute('placeholder', 'TT.MM.JJJJ hh:mm');
    await user.type(due, '3.12.2099 14.30');
    await user.tab();
    expect(due).toHaveValue('03.12.2099 14:30');
    await user.clear(due);
    await user.type(due, '01.01.2020 08:00');
    await waitFor(() => expect(screen.getByTestId('follow-up-dialog')).toHaveTextContent('Bitte einen Zeitpunkt in der Zukunft wählen.'));
  });
});

describe('InformedDialog', () => {
  it('starts at now in the app language and refuses an unreadable or future time', async () => {
    const onsubmit = vi.fn();
    const user = userEvent.setup();
    render(InformedDialog, { onsubmit, onclose: () => {} });
    const when = screen.getByTestId('informed-time');
    expect(when).toHaveAttribute('aria-required', 'true');
    expect((when as HTMLInputElement).value).toMatch(/^\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}$/);

    await user.clear(when);
    await user.type(when, 'yesterday');
    expect(screen.getByTestId('informed-dialog')).toHaveTextContent('Not a valid value.');
    await user.click(screen.getByTestId('informed-submit'));
    expect(onsubmit).not.toHaveBeenCalled();

    await user.clear(when);
    await user.type(when, '01/01/2099 10:00');
    expect(screen.getByTestId('informed-dialog')).toHaveTextContent('This time lies in the future.');

    await user.clear(when);
    await user.type(when, '02/01/2025 10:00');
    await user.click(screen.getByTestId('informed-submit'));
    expect(onsubmit).toHaveBeenCalledWith('phone', new Date(2025, 0, 2, 10, 0).getTime());
  });
});
