import { beforeEach, describe, expect, it } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import { tick } from 'svelte';
import Consults from './Consults.svelte';
import { app } from '../lib/app.svelte';
import { SESSION, fakeBackend } from '../ipc/fake';
import { setLocale } from '../lib/i18n/index.svelte';

describe('Consults', () => {
  beforeEach(() => {
    setLocale('en');
    app.referenceData = { categories: [], departments: [], agents: [] };
    app.session = {
      ...SESSION,
      // A first sign-in knows the department's id before the first pull brings its name.
      agent: { ...SESSION.agent!, role: 'expert', department_id: 'd-net' },
    };
  });

  it('names the department once the reference data knows it, never by its id', async () => {
    fakeBackend({ list_consults: () => [] });
    render(Consults);
    const heading = await screen.findByRole('heading', { level: 1 });
    expect(heading).toHaveTextContent('Open consults');
    expect(heading).not.toHaveTextContent('d-net');

    app.referenceData = { categories: [], departments: [{ id: 'd-net', name: 'Netzwerk' }], agents: [] };
    await tick();
    expect(heading).toHaveTextContent('Questions for Netzwerk');
  });
});
