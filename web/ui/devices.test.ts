import { describe, expect, it } from 'vitest';
import { deviceChoices, type DeviceLike } from './devices.ts';

const mic = (deviceId: string, label = ''): DeviceLike => ({ deviceId, kind: 'audioinput', label });
const cam = (deviceId: string, label = ''): DeviceLike => ({ deviceId, kind: 'videoinput', label });
const speaker = (deviceId: string, label = ''): DeviceLike => ({ deviceId, kind: 'audiooutput', label });

describe('deviceChoices', () => {
  it('lists "Default" first, then the devices of the kind with their labels', () => {
    const devices = [mic('a', 'USB Mic'), cam('c1', 'FaceTime HD'), speaker('s', 'Speakers'), mic('b', 'Headset')];
    expect(deviceChoices(devices, 'audioinput')).toEqual([
      { value: '', label: 'Default' },
      { value: 'a', label: 'USB Mic' },
      { value: 'b', label: 'Headset' },
    ]);
    expect(deviceChoices(devices, 'videoinput')).toEqual([
      { value: '', label: 'Default' },
      { value: 'c1', label: 'FaceTime HD' },
    ]);
  });

  it('numbers devices without a label (before permission)', () => {
    expect(deviceChoices([mic('a'), mic('b', '  '), cam('c')], 'audioinput').map((c) => c.label)).toEqual(['Default', 'Microphone 1', 'Microphone 2']);
    expect(deviceChoices([cam('x'), cam('y')], 'videoinput').map((c) => c.label)).toEqual(['Default', 'Camera 1', 'Camera 2']);
  });

  it('leaves out entries without an id, duplicates and the default/communications aliases', () => {
    const devices = [mic(''), mic('default', 'Default - Built-in Mic'), mic('communications', 'Communications - Headset'), mic('a', 'Built-in Mic'), mic('a', 'Built-in Mic')];
    expect(deviceChoices(devices, 'audioinput')).toEqual([
      { value: '', label: 'Default (Built-in Mic)' },
      { value: 'a', label: 'Built-in Mic' },
    ]);
  });

  it('offers only "Default" when nothing can be listed', () => {
    expect(deviceChoices([], 'audioinput')).toEqual([{ value: '', label: 'Default' }]);
    expect(deviceChoices([mic(''), cam('')], 'videoinput')).toEqual([{ value: '', label: 'Default' }]);
  });

  it('keeps a chosen device that went away, marked as disconnected', () => {
    expect(deviceChoices([mic('a', 'USB Mic')], 'audioinput', 'gone')).toEqual([
      { value: '', label: 'Default' },
      { value: 'a', label: 'USB Mic' },
      { value: 'gone', label: 'Microphone (disconnected)' },
    ]);
    expect(deviceChoices([mic('a', 'USB Mic')], 'audioinput', 'a')).toHaveLength(2);
  });
});
