// Required fields say so twice: aria-required on the control for assistive technology,
// and the `required` class on its label, which app.css turns into a visible mark.
import { describe, expect, it } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import EscalateDialog from './EscalateDialog.svelte';
import LogContactDialog, { type ContactFields } from './LogContactDialog.svelte';
import SolveDialog from './SolveDialog.svelte';
import TextDialog from './TextDialog.svelte';

const noop = () => {};

function expectRequired(label: string) {
  const control = screen.getByLabelText(label);
  expect(control).toHaveAttribute('aria-required', 'true');
  expect(document.querySelector(`label[for="${control.id}"]`)).toHaveClass('required');
}

function expectOptional(label: string) {
  const control = screen.getByLabelText(label);
  expect(control).not.toHaveAttribute('aria-required');
  expect(document.querySelector(`label[for="${control.id}"]`)).not.toHaveClass('required');
}

describe('required fields', () => {
  it('are marked in the escalation dialog: all three texts', () => {
    const value = $state({ reason: '', steps_tried: '', handover_summary: '' });
    render(EscalateDialog, {
      value,
      onsubmit: noop,
      onclose: noop,
    });
    expectRequired('Reason');
    expectRequired('Steps tried');
    expectRequired('Handover summary');
  });

  it('are marked in the solve dialog', () => {
    const value = $state({ summary: '' });
    render(SolveDialog, { value, title: 'Resolve', submitLabel: 'Resolve', onsubmit: noop, onclose: noop });
    expectRequired('Solution summary');
  });

  it('are marked in the contact dialog, and only the notes are required', () => {
    const value = $state<ContactFields>({ channel: 'phone', direction: 'outbound', duration: '', notes: '' });
    render(LogContactDialog, {
      value,
      onsubmit: noop,
      onclose: noop,
    });
    expectRequired('Notes');
    expectOptional('Duration (min or mm:ss)');
  });

  it('follow the text dialog: the department and a required text, not an optional one', () => {
    const props = { title: 'Ask', submitLabel: 'Ask', testid: 'consult', text: '', onsubmit: noop, onclose: noop };
    const { unmount } = render(TextDialog, { ...props, label: 'Question', departments: [{ id: 'd1', name: 'IT' }] });
    expectRequired('Department');
    expectRequired('Question');
    unmount();
    render(TextDialog, { ...props, label: 'Note', optional: true });
    expectOptional('Note');
  });
});
