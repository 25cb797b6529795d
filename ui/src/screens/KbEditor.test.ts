import { beforeEach, describe, expect, it } from 'vitest';
import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import KbEditor from './KbEditor.svelte';
import { app } from '../lib/app.svelte';
import { appError, fakeBackend, SESSION } from '../ipc/fake';
import type { KbArticleView, KbEdit, Role } from '../ipc';

const NEW: KbEdit = {
  article_id: null,
  base_revision: null,
  title: '',
  body: '',
  tags: [],
  category_id: null,
  visibility: 'internal',
  source_ticket: null,
};

const EXISTING: KbEdit = {
  article_id: 'k1',
  base_revision: 3,
  title: 'VPN drops',
  body: 'Old text',
  tags: ['vpn'],
  category_id: 'c1',
  visibility: 'internal',
  source_ticket: null,
};

function theirs(overrides: Partial<KbArticleView> = {}): KbArticleView {
  return {
    id: 'k1',
    title: 'VPN drops every hour',
    body_html: '<p>Their text</p>',
    body: 'Their text',
    tags: ['vpn'],
    category_id: 'c1',
    category: 'Network',
    visibility: 'internal',
    state: 'published',
    revision: 5,
    flagged_outdated: false,
    author: 'Bert Second',
    edited_by: 'Bert Second',
    updated_at: 1_000,
    source_ticket: null,
    usage: { suggested: 0, used: 0, resolved_with: 0 },
    actions: ['edit'],
    phrasings: [],
    ...overrides,
  };
}

function signIn(role: Role) {
  app.session = { ...SESSION, agent: { ...SESSION.agent!, role } };
}

const saved = (articleId = 'k1') => ({
  type: 'saved',
  article_id: articleId,
  delivery: { state: 'confirmed' },
  published: false,
});

describe('KbEditor', () => {
  beforeEach(() => {
    app.route = { name: 'kb_edit', edit: NEW };
    app.referenceData = { categories: [{ id: 'c1', name: 'Network' }], departments: [], agents: [] };
    signIn('second_level');
  });

  it('reports a missing title and saves nothing', async () => {
    const backend = fakeBackend({ save_kb_article: () => saved(), preview_markdown: () => '' });
    const user = userEvent.setup();
    render(KbEditor, { edit: NEW });
    await user.type(screen.getByTestId('kb-edit-body'), 'Some text');
    await user.click(screen.getByTestId('kb-save-draft'));

    const title = screen.getByTestId('kb-edit-title');
    expect(title).toHaveAttribute('aria-invalid', 'true');
    expect(title).toHaveAccessibleDescription('Required.');
    expect(title).toHaveFocus();
    expect(backend.callsTo('save_kb_article')).toEqual([]);
    expect(app.route.name).toBe('kb_edit');
  });

  it('saves the typed edit on top of its revision, drops the draft and shows the article', async () => {
    const backend = fakeBackend({ save_kb_article: () => saved('k1'), preview_markdown: () => '<p>x</p>' });
    const user = userEvent.setup();
    render(KbEditor, { edit: EXISTING });
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('Edit KB article');
    // Only publishers see "Save and publish": second level does.
    expect(screen.getByTestId('kb-save-publish')).toBeInTheDocument();

    await user.clear(screen.getByTestId('kb-edit-title'));
    await user.type(screen.getByTestId('kb-edit-title'), '  VPN drops every hour ');
    await user.clear(screen.getByTestId('kb-edit-tags'));
    await user.type(screen.getByTestId('kb-edit-tags'), 'vpn, , certificate ,');
    await user.selectOptions(screen.getByTestId('kb-edit-visibility'), 'public');
    await user.type(screen.getByTestId('kb-edit-body'), ' and new');
    await user.keyboard('{Control>}{Enter}{/Control}');

    await waitFor(() => expect(app.route).toEqual({ name: 'kb', articleId: 'k1' }));
    expect(backend.callsTo('save_kb_article')).toEqual([
      {
        edit: {
          article_id: 'k1',
          base_revision: 3,
          title: 'VPN drops every hour',
          body: 'Old text and new',
          tags: ['vpn', 'certificate'],
          category_id: 'c1',
          visibility: 'public',
          source_ticket: null,
        },
        publish: false,
      },
    ]);
    expect(backend.callsTo('discard_draft')).toContainEqual({ key: 'kb-edit:k1' });
  });

  it('shows both versions on a conflict and saves the merge on top of the current revision', async () => {
    let attempts = 0;
    const backend = fakeBackend({
      preview_markdown: () => '',
      save_kb_article: ({ edit }) => {
        attempts += 1;
        return attempts === 1 ? { type: 'conflict', mine: edit, theirs: theirs() } : saved('k1');
      },
    });
    const user = userEvent.setup();
    render(KbEditor, { edit: EXISTING });
    await user.clear(screen.getByTestId('kb-edit-body'));
    await user.type(screen.getByTestId('kb-edit-body'), 'My fix');
    await user.click(screen.getByTestId('kb-save-draft'));

    const panel = await screen.findByTestId('kb-conflict');
    expect(panel).toHaveTextContent('revision 3; the current one is 5');
    expect(within(panel).getByTestId('kb-conflict-mine')).toHaveTextContent('My fix');
    expect(within(panel).getByTestId('kb-conflict-theirs')).toHaveTextContent('Current version (revision 5, Bert Second)');
    expect(within(panel).getByTestId('kb-conflict-theirs')).toHaveTextContent('Their text');
    // The agent's own text stays in the editor to merge from.
    expect(screen.getByTestId('kb-edit-body')).toHaveValue('My fix');
    expect(app.route.name).toBe('kb_edit');

    await user.type(screen.getByTestId('kb-edit-body'), ' merged');
    await user.click(screen.getByTestId('kb-save-draft'));
    await waitFor(() => expect(app.route).toEqual({ name: 'kb', articleId: 'k1' }));
    const second = backend.callsTo('save_kb_article')[1].edit as KbEdit;
    expect(second.base_revision).toBe(5);
    expect(second.body).toBe('My fix merged');
  });

  it('opened with the current version, starts in merge mode and can start from its text', async () => {
    const backend = fakeBackend({ preview_markdown: () => '', save_kb_article: () => saved('k1'), load_draft: () => 'x' });
    const user = userEvent.setup();
    render(KbEditor, { edit: { ...EXISTING, body: 'Mine' }, theirs: theirs() });
    expect(screen.getByTestId('kb-conflict')).toBeInTheDocument();
    expect(screen.getByTestId('kb-edit-body')).toHaveValue('Mine');
    await user.click(screen.getByTestId('kb-conflict-use-theirs'));
    expect(screen.getByTestId('kb-edit-body')).toHaveValue('Their text');
    expect(screen.getByTestId('kb-edit-title')).toHaveValue('VPN drops every hour');
    await user.click(screen.getByTestId('kb-save-publish'));
    await waitFor(() => expect(backend.callsTo('save_kb_article')).toHaveLength(1));
    expect(backend.callsTo('save_kb_article')[0]).toMatchObject({ edit: { base_revision: 5, body: 'Their text' }, publish: true });
    // A stored draft does not replace the conflicting edit.
    expect(backend.callsTo('load_draft')).toEqual([]);
  });

  it('shows a validation error from the backend at its field', async () => {
    fakeBackend({
      preview_markdown: () => '',
      save_kb_article: () =>
        appError('validation', 'title: contains control characters', 'title', { code: 'control_characters', params: { field: 'title' } }),
    });
    const user = userEvent.setup();
    render(KbEditor, { edit: NEW });
    await user.type(screen.getByTestId('kb-edit-title'), 'Printer');
    await user.click(screen.getByTestId('kb-save-draft'));

    const title = screen.getByTestId('kb-edit-title');
    await waitFor(() => expect(title).toHaveAccessibleDescription('Title contains control characters.'));
    expect(title).toHaveAttribute('aria-invalid', 'true');
    expect(screen.queryByTestId('kb-edit-message')).toBeNull();
    expect(app.route.name).toBe('kb_edit');
  });

  it('stays and says why when the hub refused the save', async () => {
    fakeBackend({
      preview_markdown: () => '',
      save_kb_article: () => ({
        type: 'saved',
        article_id: 'k9',
        delivery: { state: 'refused', reason: 'an expert may not publish articles', problem: { code: 'forbidden', params: { role: 'expert' } } },
        published: false,
      }),
    });
    const user = userEvent.setup();
    render(KbEditor, { edit: NEW });
    await user.type(screen.getByTestId('kb-edit-title'), 'Printer');
    await user.click(screen.getByTestId('kb-save-draft'));
    expect(await screen.findByTestId('kb-edit-message')).toHaveTextContent('The hub refused the change: The role “Expert” may not do this.');
    expect(screen.getByTestId('kb-edit-message')).toHaveAttribute('role', 'alert');
    expect(app.route.name).toBe('kb_edit');
  });

  it('restores the stored draft and keeps saving what is typed', async () => {
    const draft: KbEdit = { ...EXISTING, base_revision: 2, title: 'Draft title', body: 'Draft body', tags: ['a', 'b'] };
    const backend = fakeBackend({
      preview_markdown: ({ body }) => `<p>${String(body).toUpperCase()}</p>`,
      load_draft: ({ key }) => (key === 'kb-edit:k1' ? JSON.stringify(draft) : null),
    });
    const user = userEvent.setup();
    render(KbEditor, { edit: EXISTING });
    await waitFor(() => expect(screen.getByTestId('kb-edit-title')).toHaveValue('Draft title'));
    expect(screen.getByTestId('kb-edit-body')).toHaveValue('Draft body');
    expect(screen.getByTestId('kb-edit-tags')).toHaveValue('a, b');
    expect(screen.getByTestId('kb-edit-message')).toHaveTextContent('Your unsaved changes were restored.');
    // The preview is the backend's rendering of the body.
    await waitFor(() => expect(screen.getByTestId('kb-preview').innerHTML).toContain('<p>DRAFT BODY</p>'));

    await user.type(screen.getByTestId('kb-edit-body'), '!');
    await waitFor(() => {
      const last = backend.callsTo('save_draft').at(-1);
      expect(last?.key).toBe('kb-edit:k1');
      expect(JSON.parse(String(last?.body))).toMatchObject({ body: 'Draft body!', base_revision: 2 });
    });
  });

  it('offers only "Save draft" to those who do not publish', async () => {
    signIn('expert');
    fakeBackend({ preview_markdown: () => '' });
    render(KbEditor, { edit: NEW });
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('New KB article');
    expect(screen.getByTestId('kb-save-draft')).toBeInTheDocument();
    expect(screen.queryByTestId('kb-save-publish')).toBeNull();
  });
});
