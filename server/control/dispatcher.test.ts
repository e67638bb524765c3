import { describe, expect, it } from 'vitest';
import { BUILTIN_TYPES } from '../../protocol/index.ts';
import { createLogger } from '../logger.ts';
import { RelayMetrics } from '../relay-metrics.ts';
import { registerBuiltins } from './builtins.ts';
import { ControlDispatcher } from './dispatcher.ts';

function dispatcher(): ControlDispatcher {
  const d = new ControlDispatcher({
    maxControlBytes: 1024,
    controlRatePerSecond: 50,
    maxControlErrors: 10,
    roomOf: () => undefined,
    closePeer: () => undefined,
    metrics: new RelayMetrics({ connections: () => 0, rooms: () => 0, peers: () => 0, peerDrops: () => [] }),
    log: createLogger({ level: 'silent' }),
  });
  registerBuiltins(d, { maxChatChars: 100 });
  return d;
}

describe('ControlDispatcher', () => {
  it('registers every built-in type in the table, so extensions cannot take them', () => {
    const d = dispatcher();
    for (const type of BUILTIN_TYPES) expect(() => d.handle(type, () => undefined)).toThrow(new TypeError(`control type is built in [type:${type}]`));
  });

  it('refuses a second handler of the same extension type', () => {
    const d = dispatcher();
    d.handle('record', () => undefined);
    expect(() => d.handle('record', () => undefined)).toThrow(new TypeError('control type already handled [type:record]'));
  });
});
