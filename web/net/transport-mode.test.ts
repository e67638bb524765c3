import { describe, expect, it } from 'vitest';
import { parseUrlPreset } from '../app/settings.ts';
import { parseTransportMode, TRANSPORT_MODES } from './transport-mode.ts';

describe('parseTransportMode', () => {
  it('reads each mode, in any case, with the long names too', () => {
    for (const mode of TRANSPORT_MODES) expect(parseTransportMode(mode.toUpperCase())).toBe(mode);
    expect(parseTransportMode(' websocket ')).toBe('ws');
    expect(parseTransportMode('long-poll')).toBe('poll');
  });

  it('falls back to auto for anything else', () => {
    for (const text of [null, '', 'sse', 'h3']) expect(parseTransportMode(text)).toBe('auto');
  });

  it('is the page parameter transport=', () => {
    expect(parseUrlPreset('?transport=poll').transport).toBe('poll');
    expect(parseUrlPreset('?room=r').transport).toBe('auto');
  });
});
