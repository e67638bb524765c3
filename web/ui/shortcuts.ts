/** Keyboard shortcuts of the call screen: M toggles the microphone. No DOM access beyond the event. */

/** The part of a `KeyboardEvent` the shortcuts read. */
export interface KeyLike {
  readonly key: string;
  readonly code?: string;
  readonly ctrlKey: boolean;
  readonly metaKey: boolean;
  readonly altKey: boolean;
  readonly repeat: boolean;
  readonly defaultPrevented?: boolean;
  readonly target: unknown;
}

/** `<input type>` values that take no typing: keys pressed there are shortcuts. */
const NON_TEXT_INPUTS = new Set(['button', 'checkbox', 'color', 'file', 'image', 'radio', 'range', 'reset', 'submit']);

/** Whether `target` takes typed text (a text input, a textarea, a select, or editable content). */
export function isTextField(target: unknown): boolean {
  if (typeof target !== 'object' || target === null) return false;
  const el = target as { tagName?: unknown; type?: unknown; isContentEditable?: unknown };
  if (el.isContentEditable === true) return true;
  const tag = typeof el.tagName === 'string' ? el.tagName.toUpperCase() : '';
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag !== 'INPUT') return false;
  return !NON_TEXT_INPUTS.has(typeof el.type === 'string' ? el.type.toLowerCase() : 'text');
}

/**
 * Whether `event` is the mute shortcut: M without Ctrl/Alt/Meta (Shift allowed), not a held
 * key's repeat, outside text fields. On non-Latin layouts the physical M key (`code` KeyM) counts.
 */
export function isMuteShortcut(event: KeyLike): boolean {
  if (event.ctrlKey || event.metaKey || event.altKey || event.repeat || event.defaultPrevented === true) return false;
  if (isTextField(event.target)) return false;
  const key = event.key.toLowerCase();
  return /^[a-z]$/.test(key) ? key === 'm' : event.code === 'KeyM';
}
