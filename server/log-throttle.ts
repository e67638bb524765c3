/**
 * Rate-limited logging for lines a client can cause (refusals): a flood of bad connections
 * must not become a flood of log lines. Per message text, at most `linesPerSecond` lines pass
 * each second; the ones held back are counted and the next line that passes carries
 * `suppressed: N`. The relay's metrics still count every refusal.
 */
import type { LogFields, Logger } from './logger.ts';

/** Lines per second per message by default. */
export const DEFAULT_LOG_LINES_PER_SECOND = 5;

export function throttleLog(log: Logger, linesPerSecond = DEFAULT_LOG_LINES_PER_SECOND, now: () => number = () => performance.now()): Logger {
  const windows = new Map<string, { start: number; lines: number; suppressed: number }>();
  const gate =
    (level: keyof Logger) =>
    (msg: string, fields?: LogFields): void => {
      const t = now();
      let w = windows.get(msg);
      if (w === undefined || t - w.start >= 1000) {
        const suppressed = w?.suppressed ?? 0;
        w = { start: t, lines: 0, suppressed };
        windows.set(msg, w);
        // NOTE: bounded: one entry per distinct message text, and the texts are the relay's own.
      }
      if (w.lines >= linesPerSecond) {
        w.suppressed++;
        return;
      }
      w.lines++;
      const suppressed = w.suppressed;
      w.suppressed = 0;
      log[level](msg, suppressed > 0 ? { ...fields, suppressed } : fields);
    };
  return { debug: gate('debug'), info: gate('info'), warn: gate('warn'), error: gate('error') };
}
