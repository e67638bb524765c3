/**
 * Structured logs: one JSON object per line, `{"time":…,"level":"info","msg":"…",…fields}`.
 */

/** Log levels, most verbose first. `silent` logs nothing. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Extra fields of a log line. */
export type LogFields = Record<string, unknown>;

/** What the relay logs through. Any object with these four methods will do. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

/** Options of `createLogger`. */
export interface LoggerOptions {
  /** Lowest level written. Default `DEFAULT_LOG_LEVEL` ('info'). */
  level?: LogLevel;
  /** Where each line (without newline) goes. Default: written to stdout. */
  write?: (line: string) => void;
  /** Fields added to every line, e.g. `{ component: 'relay' }`. Default none. */
  base?: LogFields;
}

export const DEFAULT_LOG_LEVEL: LogLevel = 'info';

/** True if `value` names a log level. */
export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && (LOG_LEVELS as readonly string[]).includes(value);
}

/** A JSON-lines logger. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? DEFAULT_LOG_LEVEL;
  if (!isLogLevel(level)) throw new TypeError(`unknown log level [level:${String(level)}, known:${LOG_LEVELS.join('|')}]`);
  const min = LOG_LEVELS.indexOf(level);
  const write = options.write ?? ((line: string) => process.stdout.write(line + '\n'));
  const base = options.base ?? {};
  const make =
    (lvl: Exclude<LogLevel, 'silent'>) =>
    (msg: string, fields?: LogFields): void => {
      if (LOG_LEVELS.indexOf(lvl) < min) return;
      write(JSON.stringify({ time: new Date().toISOString(), level: lvl, msg, ...base, ...fields }, errorReplacer));
    };
  return { debug: make('debug'), info: make('info'), warn: make('warn'), error: make('error') };
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, ...('code' in value ? { code: value.code } : {}) };
  return value;
}
