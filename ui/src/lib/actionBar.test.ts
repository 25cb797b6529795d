import { describe, expect, it } from 'vitest';
import { BAR_ACTIONS, barActions } from './actionBar';

describe('the action bar', () => {
  it('holds what a role can ever take, in the bar’s order, whatever the ticket offers now', () => {
    expect(barActions('first_level')).toEqual(['claim', 'resolve', 'escalate', 'mark_customer_informed', 'reopen', 'log_contact', 'change_status']);
    expect(barActions('first_level', ['add_note'])).toEqual(barActions('first_level', ['add_note', 'reopen', 'resolve']));
    expect(barActions('expert')).toContain('return_from_expert');
    expect(barActions('expert')).not.toContain('escalate');
    expect(barActions('supervisor')).toEqual([...BAR_ACTIONS]);
  });

  it('never hides an action the backend offers, and holds everything without a known role', () => {
    expect(barActions('first_level', ['request_consult'])).toContain('request_consult');
    expect(barActions(undefined)).toEqual([...BAR_ACTIONS]);
  });
});
