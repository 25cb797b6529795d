import { describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { createRawSnippet } from 'svelte';
import Dialog from './Dialog.svelte';

const body = createRawSnippet(() => ({
  render: () => '<div><input aria-label="First" /><button type="button">Last</button></div>',
}));

describe('Dialog', () => {
  it('is a labelled modal dialog that starts in its first field', () => {
    render(Dialog, { title: 'Escalate', onclose: () => {}, children: body });
    const dialog = screen.getByRole('dialog', { name: 'Escalate' });
    expect(dialog).toHaveAttribute('aria-modal', 'true');
    expect(screen.getByLabelText('First')).toHaveFocus();
  });

  it('keeps Tab and Shift+Tab inside', async () => {
    const user = userEvent.setup();
    render(Dialog, { title: 'Escalate', onclose: () => {}, children: body });
    await user.tab();
    expect(screen.getByText('Last')).toHaveFocus();
    await user.tab();
    expect(screen.getByLabelText('First')).toHaveFocus();
    await user.tab({ shift: true });
    expect(screen.getByText('Last')).toHaveFocus();
  });

  it('closes on Escape', async () => {
    const user = userEvent.setup();
    const onclose = vi.fn();
    render(Dialog, { title: 'Escalate', onclose, children: body });
    await user.keyboard('{Escape}');
    expect(onclose).toHaveBeenCalledTimes(1);
  });
});
