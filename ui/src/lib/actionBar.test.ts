import { describe, expect, it } from 'vitest';
import { BAR_ACTIONS, barActions } from './actionBar';

describe('the action bar', () => {
  it('holds what the role can ever take, in the bar’s order, whatever the ticket offers now', () => {
    const firstLevel = ['log_contact', 'change_status', 'claim', 'escalate', 'resolve', 'mark_customer_informed', 'reopen'] as const;
    expect(barActions(firstLevel)).toEqual(['claim', 'resolve', 'escalate', 'mark_customer_informed', 'reopen', 'log_contact', 'change_status']);
    expect(barActions(firstLevel, ['add_note'])).toEqual(barActions(firstLevel, ['add_note', 'reopen', 'resolve']));
    expect(barActions([...BAR_ACTIONS, 'add_note', 'answer_consult'])).toEqual([...BAR_ACTIONS]);
  });

  it('never hides an action the backend offers', () => {
    expect(barActions(['claim'], ['request_consult'])).toEqual(['claim', 'request_consult']);
  });
});
