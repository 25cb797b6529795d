import { beforeEach, describe, expect, it } from 'vitest';
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import KbGaps from './KbGaps.svelte';
import { app } from '../lib/app.svelte';
import { SESSION, fakeBackend } from '../ipc/fake';
import { setLocale } from '../lib/i18n/index.svelte';
import type { KbEdit, KnowledgeGapView } from '../ipc';

function ticket(id: string, reference: string, subject: string) {
  return { id, reference, subject, status: 'open' as const, escalated: true, created_at: 1_000 };
}

const GAPS: KnowledgeGapView[] = [
  {
    category: { id: 'c-print', name: 'Drucker' },
    words: ['Etiketten', 'Lager'],
    tickets: [ticket('t1', 'K7-0001', 'Etiketten leer'), ticket('t2', 'K7-0002', 'Zebra druckt leer')],
  },
  { category: null, words: ['Scanner'], tickets: [ticket('t3', 'K7-0003', 'Scanner speichert nicht')] },
];

const EDIT: KbEdit = {
  article_id: null,
  base_revision: null,
  title: 'Etiketten leer',
  body: '## Problem',
  tags: [],
  category_id: 'c-print',
  visibility: 'internal',
  source_ticket: 't1',
};

describe('KbGaps', () => {
  beforeEach(() => {
    setLocale('de');
    app.session = { ...SESSION, agent: { ...SESSION.agent!, role: 'second_level' } };
    app.route = { name: 'kb_gaps' };
  });

  it('lists the gaps under their category, with the words, the calls and their count', async () => {
    fakeBackend({ list_knowledge_gaps: () => GAPS });
    render(KbGaps);
    const cards = await screen.findAllByTestId('kb-gap');
    expect(cards).toHaveLength(2);
    expect(screen.getByRole('heading', { level: 2, name: 'Drucker' })).toBeInTheDocument();
    expect(screen.getByRole('heading', { level: 2, name: 'Ohne Kategorie' })).toBeInTheDocument();
    expect(within(cards[0]).getByTestId('kb-gap-words')).toHaveTextContent('EtikettenLager');
    expect(cards[0]).toHaveTextContent('2 Anrufe');
    expect(cards[1]).toHaveTextContent('1 Anruf');
    expect(within(cards[0]).getAllByTestId('kb-gap-ticket').map((b) => b.textContent?.trim())).toEqual(['K7-0001', 'K7-0002']);
  });

  it('starts a draft from all the calls of a gap, with German headings, and opens the editor', async () => {
    const backend = fakeBackend({ list_knowledge_gaps: () => GAPS, draft_kb_from_gap: () => EDIT });
    render(KbGaps);
    const [first] = await screen.findAllByTestId('kb-gap-draft');
    await fireEvent.click(first);
    await screen.findByTestId('kb-gaps');
    await new Promise((r) => setTimeout(r, 0));
    const [args] = backend.callsTo('draft_kb_from_gap');
    expect(args.ticketIds).toEqual(['t1', 't2']);
    expect((args.headings as { problem: string }).problem).toBe('Problem');
    expect(app.route).toEqual({ name: 'kb_edit', edit: EDIT });
  });

  it('says so when nothing is missing', async () => {
    fakeBackend({ list_knowledge_gaps: () => [] });
    render(KbGaps);
    expect(await screen.findByTestId('kb-gaps-empty')).toHaveTextContent('Keine Lücken');
  });

  it('a refusal is shown in the agent language, not thrown', async () => {
    fakeBackend({
      list_knowledge_gaps: () => {
        throw { kind: 'forbidden', message: 'a first-level agent may not write KB articles', field: null, problem: null };
      },
    });
    render(KbGaps);
    expect(await screen.findByRole('alert')).not.toHaveTextContent('may not');
  });
});
