import { describe, expect, it } from 'vitest';
import { isMuteShortcut, isTextField, type KeyLike } from './shortcuts.ts';

const body = { tagName: 'BODY', isContentEditable: false };
const key = (over: Partial<KeyLike> = {}): KeyLike => ({ key: 'm', code: 'KeyM', ctrlKey: false, metaKey: false, altKey: false, repeat: false, defaultPrevented: false, target: body, ...over });

describe('isTextField', () => {
  it('is true for text inputs, textareas, selects and editable content', () => {
    expect(isTextField({ tagName: 'INPUT', type: 'text' })).toBe(true);
    expect(isTextField({ tagName: 'input', type: 'password' })).toBe(true);
    expect(isTextField({ tagName: 'INPUT', type: 'search' })).toBe(true);
    expect(isTextField({ tagName: 'INPUT' })).toBe(true);
    expect(isTextField({ tagName: 'TEXTAREA' })).toBe(true);
    expect(isTextField({ tagName: 'SELECT' })).toBe(true);
    expect(isTextField({ tagName: 'DIV', isContentEditable: true })).toBe(true);
  });

  it('is false for buttons, sliders, checkboxes, the page and non-elements', () => {
    expect(isTextField({ tagName: 'BUTTON' })).toBe(false);
    expect(isTextField({ tagName: 'INPUT', type: 'range' })).toBe(false);
    expect(isTextField({ tagName: 'INPUT', type: 'checkbox' })).toBe(false);
    expect(isTextField(body)).toBe(false);
    expect(isTextField(null)).toBe(false);
    expect(isTextField('input')).toBe(false);
  });
});

describe('isMuteShortcut', () => {
  it('accepts M and Shift+M outside text fields', () => {
    expect(isMuteShortcut(key())).toBe(true);
    expect(isMuteShortcut(key({ key: 'M' }))).toBe(true);
    expect(isMuteShortcut(key({ target: { tagName: 'BUTTON' } }))).toBe(true);
  });

  it('ignores M typed into a text field (chat input, name fields)', () => {
    expect(isMuteShortcut(key({ target: { tagName: 'INPUT', type: 'text' } }))).toBe(false);
    expect(isMuteShortcut(key({ target: { tagName: 'TEXTAREA' } }))).toBe(false);
  });

  it('ignores modified keys, repeats and handled events', () => {
    expect(isMuteShortcut(key({ ctrlKey: true }))).toBe(false);
    expect(isMuteShortcut(key({ metaKey: true }))).toBe(false);
    expect(isMuteShortcut(key({ altKey: true }))).toBe(false);
    expect(isMuteShortcut(key({ repeat: true }))).toBe(false);
    expect(isMuteShortcut(key({ defaultPrevented: true }))).toBe(false);
  });

  it('ignores other keys, and takes the physical M key on non-Latin layouts only', () => {
    expect(isMuteShortcut(key({ key: 'n', code: 'KeyN' }))).toBe(false);
    expect(isMuteShortcut(key({ key: 'ь', code: 'KeyM' }))).toBe(true);
    // AZERTY: the key at KeyM types ",", and "m" sits elsewhere.
    expect(isMuteShortcut(key({ key: ',', code: 'KeyM' }))).toBe(true);
    expect(isMuteShortcut(key({ key: 'm', code: 'Semicolon' }))).toBe(true);
    expect(isMuteShortcut(key({ key: 'q', code: 'KeyM' }))).toBe(false);
  });
});
