import { beforeEach, describe, expect, it } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import SlaDue from './SlaDue.svelte';
import { setLocale } from '../lib/i18n/index.svelte';

const DAY = 24 * 3_600_000;

describe('SlaDue', () => {
  beforeEach(() => setLocale('de'));

  it("shows a resolved ticket's resolution, not an SLA that no longer runs", () => {
    render(SlaDue, { due: Date.now() + 4 * DAY, status: 'resolved', resolvedAt: Date.now() - 2 * 3_600_000 });
    const shown = screen.getByText(/Gelöst/);
    expect(shown).toHaveAttribute('data-sla', 'resolved');
    expect(shown).toHaveTextContent(/^Gelöst vor \d+ Stunden?$/);
    expect(document.body).not.toHaveTextContent('in 4 Tagen');
  });

  it('shows the SLA due of an open ticket', () => {
    render(SlaDue, { due: Date.now() + 4 * DAY + 60_000, status: 'open', resolvedAt: null });
    expect(document.body).toHaveTextContent('in 4 Tagen');
  });
});
