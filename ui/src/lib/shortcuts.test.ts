import { describe, expect, it, vi } from 'vitest';
import { registerShortcuts, runShortcut, shortcutFor, type KeyLike } from './shortcuts';

function key(init: Partial<KeyLike>): KeyLike {
  return { key: '', code: '', altKey: false, ctrlKey: false, metaKey: false, target: document.body, ...init };
}

describe('shortcutFor', () => {
  const input = document.createElement('input');
  const checkbox = Object.assign(document.createElement('input'), { type: 'checkbox' });

  it('maps plain keys only when not typing', () => {
    expect(shortcutFor(key({ key: '?' }))).toBe('help');
    expect(shortcutFor(key({ key: '/' }))).toBe('focus_filter');
    expect(shortcutFor(key({ key: '/', target: input }))).toBeNull();
    expect(shortcutFor(key({ key: '?', target: document.createElement('textarea') }))).toBeNull();
    expect(shortcutFor(key({ key: '?', target: document.createElement('select') }))).toBe('help');
    expect(shortcutFor(key({ key: '/', target: checkbox }))).toBe('focus_filter');
  });

  it('maps Alt combinations everywhere, by physical key', () => {
    expect(shortcutFor(key({ key: 'n', code: 'KeyN', altKey: true, target: input }))).toBe('new_contact');
    expect(shortcutFor(key({ key: 'œ', code: 'KeyQ', altKey: true }))).toBe('queue');
    expect(shortcutFor(key({ key: 's', code: 'KeyS', altKey: true }))).toBe('solved');
    expect(shortcutFor(key({ key: 'e', code: 'KeyE', altKey: true }))).toBe('escalate');
    expect(shortcutFor(key({ key: 'f', code: 'KeyF', altKey: true }))).toBe('follow_up');
    expect(shortcutFor(key({ key: 'd', code: 'KeyD', altKey: true }))).toBe('dashboard');
    expect(shortcutFor(key({ key: 'x', code: 'KeyX', altKey: true }))).toBeNull();
  });

  it('leaves Ctrl and Cmd combinations to the system', () => {
    expect(shortcutFor(key({ key: 's', code: 'KeyS', ctrlKey: true }))).toBeNull();
  });

  it('Escape always closes', () => {
    expect(shortcutFor(key({ key: 'Escape', target: input }))).toBe('close');
  });
});

describe('shortcut registry', () => {
  it('lets the latest registration win and falls back when it is released', () => {
    const form = vi.fn();
    const ticket = vi.fn();
    const releaseForm = registerShortcuts({ solved: form });
    const releaseTicket = registerShortcuts({ solved: ticket });
    expect(runShortcut('solved')).toBe(true);
    expect(ticket).toHaveBeenCalledTimes(1);
    releaseTicket();
    runShortcut('solved');
    expect(form).toHaveBeenCalledTimes(1);
    releaseForm();
    expect(runShortcut('solved')).toBe(false);
  });
});
