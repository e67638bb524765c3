import { describe, expect, it } from 'vitest';
import type { LogFields, Logger } from './logger.ts';
import { throttleLog } from './log-throttle.ts';

function recorder(): { log: Logger; lines: Array<[string, LogFields | undefined]> } {
  const lines: Array<[string, LogFields | undefined]> = [];
  const put = (msg: string, fields?: LogFields): void => void lines.push([msg, fields]);
  return { log: { debug: put, info: put, warn: put, error: put }, lines };
}

describe('throttleLog', () => {
  it('lets N lines of one message through per second and says how many it held back', () => {
    let t = 0;
    const { log, lines } = recorder();
    const throttled = throttleLog(log, 3, () => t);
    for (let i = 0; i < 100; i++) throttled.info('connection refused', { i });
    throttled.info('other line');
    expect(lines.map(([m]) => m)).toEqual(['connection refused', 'connection refused', 'connection refused', 'other line']);
    t = 1000;
    throttled.info('connection refused', { i: 100 });
    expect(lines.at(-1)).toEqual(['connection refused', { i: 100, suppressed: 97 }]);
    throttled.info('connection refused', { i: 101 });
    expect(lines.at(-1)).toEqual(['connection refused', { i: 101 }]);
  });
});
