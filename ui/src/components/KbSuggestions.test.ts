import { describe, expect, it, vi } from 'vitest';
import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import KbSuggestions from './KbSuggestions.svelte';
import type { KbSuggestion } from '../ipc';

const SUGGESTIONS: KbSuggestion[] = [
  {
    id: 'kb1',
    title: 'Drucker zeigt Papierstau',
    snippet: [
      { text: 'Wenn der ', hit: false },
      { text: 'Papierstau', hit: true },
      { text: ' bleibt <b>trotz</b> Öffnen', hit: false },
    ],
    fit: 'strong',
    confidence: 0.92,
  },
  {
    id: 'kb2',
    title: 'VPN reconnect',
    snippet: [{ text: '<img src=x onerror=alert(1)>', hit: true }],
    fit: 'possible',
    confidence: 0.4,
  },
];

describe('KbSuggestions', () => {
  it('renders ranked titles and marks hits as text, never as HTML', () => {
    render(KbSuggestions, { suggestions: SUGGESTIONS, onopen: () => {} });
    const items = screen.getAllByTestId('kb-suggestion');
    expect(items).toHaveLength(2);
    expect(items[0]).toHaveTextContent('Drucker zeigt Papierstau');

    const marks = items[0].querySelectorAll('mark');
    expect([...marks].map((m) => m.textContent)).toEqual(['Papierstau']);
    expect(items[0]).toHaveTextContent('bleibt <b>trotz</b> Öffnen');
    expect(items[0].querySelector('b')).toBeNull();

    const dangerous = items[1].querySelector('mark')!;
    expect(dangerous.textContent).toBe('<img src=x onerror=alert(1)>');
    expect(items[1].querySelector('img')).toBeNull();
  });

  it('opens an article on click and on Enter', async () => {
    const user = userEvent.setup();
    const onopen = vi.fn();
    render(KbSuggestions, { suggestions: SUGGESTIONS, onopen });
    const [first, second] = screen.getAllByTestId('kb-suggestion');

    await user.click(first);
    expect(onopen).toHaveBeenLastCalledWith('kb1');

    second.focus();
    await user.keyboard('{Enter}');
    expect(onopen).toHaveBeenLastCalledWith('kb2');
    expect(onopen).toHaveBeenCalledTimes(2);
  });

  it('moves between suggestions with the arrow keys', async () => {
    const user = userEvent.setup();
    render(KbSuggestions, { suggestions: SUGGESTIONS, onopen: () => {} });
    const [first, second] = screen.getAllByTestId('kb-suggestion');
    first.focus();
    await user.keyboard('{ArrowDown}');
    expect(second).toHaveFocus();
    await user.keyboard('{ArrowUp}');
    expect(first).toHaveFocus();
  });

  it('shows an empty state and no items when there are no suggestions', () => {
    render(KbSuggestions, { suggestions: [], onopen: () => {} });
    expect(screen.queryAllByTestId('kb-suggestion')).toHaveLength(0);
    expect(within(screen.getByTestId('kb-suggestions')).queryAllByRole('button')).toHaveLength(0);
    expect(screen.getByTestId('kb-empty')).toBeVisible();
  });

  it('marks how well each article fits and says plainly when none does', () => {
    const { unmount } = render(KbSuggestions, { suggestions: SUGGESTIONS, onopen: () => {} });
    expect(screen.getAllByTestId('kb-fit').map((e) => e.dataset.fit)).toEqual(['strong', 'possible']);
    expect(screen.queryByTestId('kb-nothing-fits')).toBeNull();
    unmount();
    render(KbSuggestions, { suggestions: [], nothingFits: true, onopen: () => {} });
    expect(screen.getByTestId('kb-nothing-fits')).toBeInTheDocument();
    expect(screen.queryByTestId('kb-empty')).toBeNull();
  });
});
