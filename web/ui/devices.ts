/**
 * The microphone and camera pickers' option lists, from `navigator.mediaDevices.enumerateDevices()`.
 * No DOM: the control bar renders the choices.
 */

/** The part of `MediaDeviceInfo` the pickers use. */
export interface DeviceLike {
  readonly deviceId: string;
  readonly kind: string;
  readonly label: string;
}

/** What a picker lists. */
export type PickerKind = 'audioinput' | 'videoinput';

/** One option of a picker: `value` '' is the browser's default device. */
export interface DeviceChoice {
  value: string;
  label: string;
}

const NOUN: Record<PickerKind, string> = { audioinput: 'Microphone', videoinput: 'Camera' };

/**
 * The options of the `kind` picker: "Default" first, then each device once. Labels are empty
 * before the site may use the device: those read "Microphone 1", "Camera 2". Entries without
 * an id (the same situation) can't be chosen and are left out, and so are Chrome's `default`
 * and `communications` aliases (the default is the first option). A `selected` id no longer
 * present stays listed, marked as disconnected, so the picker doesn't silently show another.
 */
export function deviceChoices(devices: readonly DeviceLike[], kind: PickerKind, selected = ''): DeviceChoice[] {
  const noun = NOUN[kind];
  const alias = devices.find((d) => d.kind === kind && d.deviceId === 'default' && d.label !== '');
  const defaultName = alias?.label.replace(/^default\s*[-–—:]\s*/i, '');
  const choices: DeviceChoice[] = [{ value: '', label: defaultName ? `Default (${defaultName})` : 'Default' }];
  const seen = new Set<string>();
  for (const d of devices) {
    if (d.kind !== kind || d.deviceId === '' || d.deviceId === 'default' || d.deviceId === 'communications' || seen.has(d.deviceId)) continue;
    seen.add(d.deviceId);
    choices.push({ value: d.deviceId, label: d.label.trim() || `${noun} ${seen.size}` });
  }
  if (selected !== '' && !seen.has(selected)) choices.push({ value: selected, label: `${noun} (disconnected)` });
  return choices;
}
