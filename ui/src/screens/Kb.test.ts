import { beforeEach, describe, expect, it } from 'vitest';
import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import Kb from './Kb.svelte';
import { app } from '../lib/app.svelte';
import { fakeBackend, SESSION } from '../ipc/fake';
import type { KbArticleView, KbListItem, Role } from '../ipc';

function item(id: string, overrides: Partial<KbListItem> = {}): KbListItem {
  return {
    id,
    title: `Article ${id}`,
    state: 'published',
    visibility: 'internal',
    category: 'Network',
    tags: [],
    flagged_outdated: false,
    snippet: [],
    usage: { suggested: 0, used: 0, resolved_with: 0 },
    updated_at: 1_000,
    ...overrides,
  };
}

function article(overrides: Partial<KbArticleView> = {}): KbArticleView {
  return {
    id: 'k1',
    title: 'VPN drops every hour',
    body_html: '<p>Renew the <strong>certificate</strong>. See <a href="https://example.com/vpn">the guide</a>.</p>',
    body: 'Renew the **certificate**. See [the guide](https://example.com/vpn).',
    tags: ['vpn'],
    category_id: 'c1',
    category: 'Network',
    visibility: 'internal',
    state: 'published',
    revision: 3,
    flagged_outdated: false,
    author: 'Bert Second',
    edited_by: 'Bert Second',
    updated_at: 1_000,
    source_ticket: { id: 't42', name: 'K7-0042' },
    usage: { suggested: 5, used: 2, resolved_with: 1 },
    actions: ['edit', 'publish', 'archive', 'flag_outdated'],
    phrasings: [],
    ...overrides,
  };
}

function signIn(role: Role) {
  app.session = { ...SESSION, agent: { ...SESSION.agent!, role } };
}

const BASE = {
  list_kb_tags: () => [{ tag: 'vpn', articles: 2 }],
  list_kb_conflicts: () => [],
};

describe('Kb', () => {
  beforeEach(() => {
    app.route = { name: 'kb' };
    app.referenceData = { categories: [{ id: 'c1', name: 'Network' }], departments: [], agents: [] };
    signIn('first_level');
  });

  it('searches as the agent types and shows the ranked hits with highlighted snippets', async () => {
    const backend = fakeBackend({
      ...BASE,
      list_kb: ({ query }) => {
        const text = (query as { text: string }).text;
        return text === ''
          ? { total: 2, offset: 0, items: [item('k1'), item('k2')] }
          : {
              total: 1,
              offset: 0,
              items: [
                item('k2', {
                  title: 'Printer offline',
                  snippet: [
                    { text: 'restart the ', hit: false },
                    { text: 'spooler', hit: true },
                  ],
                }),
              ],
            };
      },
    });
    const user = userEvent.setup();
    render(Kb);
    await waitFor(() => expect(screen.getAllByTestId('kb-item')).toHaveLength(2));
    // First level: published only (the backend decides), no state filter, no "New article".
    expect(screen.queryByTestId('kb-state')).toBeNull();
    expect(screen.queryByTestId('kb-new')).toBeNull();

    await user.type(screen.getByTestId('kb-search'), 'spooler');
    await waitFor(() => expect(screen.getAllByTestId('kb-item')).toHaveLength(1));
    const hit = screen.getByTestId('kb-item');
    expect(hit).toHaveAttribute('data-id', 'k2');
    expect(hit).toHaveTextContent('Printer offline');
    expect(hit.querySelector('mark')).toHaveTextContent('spooler');
    expect(screen.getByTestId('kb-count')).toHaveTextContent('1 articles');
    // Debounced: not one request per keystroke, and the last one carries the whole text.
    const queries = backend.callsTo('list_kb');
    expect(queries.length).toBeLessThan(1 + 'spooler'.length);
    expect(queries.at(-1)).toEqual({
      query: { text: 'spooler', category_id: null, tag: null, state: null },
      offset: 0,
      limit: 50,
    });
  });

  it('lets writers filter by state and loads more when there are more articles', async () => {
    signIn('second_level');
    const backend = fakeBackend({
      ...BASE,
      list_kb: ({ offset }) => {
        const from = Number(offset);
        return { total: 60, offset: from, items: Array.from({ length: from === 0 ? 50 : 10 }, (_, i) => item(`k${from + i}`)) };
      },
    });
    const user = userEvent.setup();
    render(Kb);
    await waitFor(() => expect(screen.getAllByTestId('kb-item')).toHaveLength(50));
    await user.click(screen.getByTestId('kb-more'));
    await waitFor(() => expect(screen.getAllByTestId('kb-item')).toHaveLength(60));
    expect(screen.queryByTestId('kb-more')).toBeNull();

    await user.selectOptions(screen.getByTestId('kb-state'), 'draft');
    await waitFor(() =>
      expect(backend.callsTo('list_kb').at(-1)).toEqual({
        query: { text: '', category_id: null, tag: null, state: 'draft' },
        offset: 0,
        limit: 50,
      }),
    );
    expect(screen.getByTestId('kb-new')).toBeInTheDocument();
  });

  it('opens an article with its sanitised body and only the actions it offers', async () => {
    fakeBackend({
      ...BASE,
      list_kb: () => ({ total: 1, offset: 0, items: [item('k1')] }),
      get_kb_article: () => article({ actions: ['flag_outdated'] }),
    });
    const user = userEvent.setup();
    render(Kb);
    expect(screen.getByTestId('kb-view')).toHaveTextContent('Choose an article.');
    await user.click(await screen.findByTestId('kb-item'));

    expect(await screen.findByTestId('kb-view-title')).toHaveTextContent('VPN drops every hour');
    expect(app.route).toEqual({ name: 'kb', articleId: 'k1' });
    const body = screen.getByTestId('kb-view-body');
    expect(body.querySelector('strong')).toHaveTextContent('certificate');
    expect(screen.getByTestId('kb-usage')).toHaveAttribute('data-used', '2');
    expect(screen.getByTestId('kb-source-ticket')).toHaveTextContent('K7-0042');
    expect(screen.getByTestId('kb-flag-btn')).toBeInTheDocument();
    expect(screen.queryByTestId('kb-edit-btn')).toBeNull();
    expect(screen.queryByTestId('kb-publish-btn')).toBeNull();
    expect(screen.queryByTestId('kb-archive-btn')).toBeNull();

    // A link in the article must not navigate the app window.
    const link = within(body).getByRole('link', { name: 'the guide' });
    const click = new MouseEvent('click', { bubbles: true, cancelable: true });
    link.dispatchEvent(click);
    expect(click.defaultPrevented).toBe(true);
  });

  it('shows a KB writer the callers words kept with the article, and removes a bad one', async () => {
    signIn('second_level');
    let phrasings = [
      { id: 'p2', text: 'Tunnel geht nicht auf', added_at: 2_000, ticket: { id: 't7', name: 'K7-0007' } },
      { id: 'p1', text: 'VPN fliegt raus', added_at: 1_000, ticket: null },
    ];
    const backend = fakeBackend({
      ...BASE,
      list_kb: () => ({ total: 1, offset: 0, items: [item('k1')] }),
      get_kb_article: () => article({ phrasings }),
      remove_kb_phrasing: (args) => {
        phrasings = phrasings.filter((p) => p.id !== args.phrasingId);
        return null;
      },
    });
    const user = userEvent.setup();
    render(Kb, { articleId: 'k1' });
    const list = await screen.findByTestId('kb-phrasings');
    expect(within(list).getAllByTestId('kb-phrasing').map((li) => li.querySelector('.phrasing-text')?.textContent)).toEqual([
      'Tunnel geht nicht auf',
      'VPN fliegt raus',
    ]);
    await user.click(within(list).getAllByTestId('kb-phrasing-remove')[1]);
    expect(backend.callsTo('remove_kb_phrasing')).toEqual([{ articleId: 'k1', phrasingId: 'p1' }]);
    await waitFor(() => expect(screen.getAllByTestId('kb-phrasing')).toHaveLength(1));
  });

  it('shows no phrasings section when the backend sends none (not a KB writer)', async () => {
    fakeBackend({ ...BASE, list_kb: () => ({ total: 1, offset: 0, items: [item('k1')] }), get_kb_article: () => article() });
    render(Kb, { articleId: 'k1' });
    await screen.findByTestId('kb-view-title');
    expect(screen.queryByTestId('kb-phrasings')).toBeNull();
  });

  it('opens the article named by the route, runs an action and reloads it', async () => {
    signIn('second_level');
    let published = false;
    const backend = fakeBackend({
      ...BASE,
      list_kb: () => ({ total: 0, offset: 0, items: [] }),
      get_kb_article: () =>
        article(published ? { state: 'published', actions: ['edit', 'archive'] } : { state: 'draft', actions: ['edit', 'publish'] }),
      publish_kb_article: () => {
        published = true;
        return null;
      },
    });
    const user = userEvent.setup();
    render(Kb, { articleId: 'k1' });
    expect(await screen.findByTestId('kb-view-state')).toHaveAttribute('data-state', 'draft');
    await user.click(screen.getByTestId('kb-publish-btn'));
    await waitFor(() => expect(screen.getByTestId('kb-view-state')).toHaveAttribute('data-state', 'published'));
    expect(backend.callsTo('publish_kb_article')).toEqual([{ id: 'k1' }]);
    expect(screen.queryByTestId('kb-publish-btn')).toBeNull();

    await user.click(screen.getByTestId('kb-edit-btn'));
    expect(app.route).toEqual({
      name: 'kb_edit',
      edit: {
        article_id: 'k1',
        base_revision: 3,
        title: 'VPN drops every hour',
        body: 'Renew the **certificate**. See [the guide](https://example.com/vpn).',
        tags: ['vpn'],
        category_id: 'c1',
        visibility: 'internal',
        source_ticket: null,
      },
    });
  });

  it('lists refused edits and opens the merge editor for one', async () => {
    signIn('second_level');
    const mine = {
      article_id: 'k1',
      base_revision: 2,
      title: 'VPN drops every hour',
      body: 'My fix',
      tags: [],
      category_id: null,
      visibility: 'internal' as const,
      source_ticket: null,
    };
    const theirs = article();
    fakeBackend({
      ...BASE,
      list_kb: () => ({ total: 0, offset: 0, items: [] }),
      list_kb_conflicts: () => [{ mine, theirs }],
    });
    const user = userEvent.setup();
    render(Kb);
    const banner = await screen.findByTestId('kb-conflicts');
    expect(banner).toHaveTextContent('1 of your edits need merging');
    await user.click(within(banner).getByTestId('kb-conflict-merge'));
    expect(app.route).toEqual({ name: 'kb_edit', edit: mine, theirs });
  });
});
