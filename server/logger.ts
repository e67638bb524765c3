/**
 * Structured logs: one JSON object per line, `{"time":…,"level":"info","msg":"…",…fields}`.
 * An `Error` anywhere in the fields is written as `{name, message, …its own fields (code,
 * errno, …), stack, cause}`, with `cause` (and an `AggregateError`'s `errors`) written the
 * same way down to `MAX_CAUSE_DEPTH` levels; the stack's newlines are JSON-escaped, so a
 * line stays a line.
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
      const time = new Date().toISOString();
      let line: string;
      try {
        line = JSON.stringify({ time, level: lvl, msg, ...base, ...fields }, lineReplacer());
      } catch (error) {
        // A cyclic plain object in the fields: log the message rather than throw at the caller.
        line = JSON.stringify({ time, level: lvl, msg, ...base, logError: `fields not serializable: ${String(error)}` });
      }
      write(line);
    };
  return { debug: make('debug'), info: make('info'), warn: make('warn'), error: make('error') };
}

/** Levels of `cause` written below a logged error; deeper causes are replaced by a marker. */
export const MAX_CAUSE_DEPTH = 8;

/** A `JSON.stringify` replacer for one line: errors as plain objects (each error once), bigints as strings. */
function lineReplacer(): (key: string, value: unknown) => unknown {
  const written = new WeakSet<Error>();
  return (_key, value) => {
    if (typeof value === 'bigint') return value.toString();
    if (value instanceof Error) return errorFields(value, 0, written);
    return value;
  };
}

/**
 * `error` as a plain object: name, message, its own enumerable fields, stack, and its cause
 * (`depth` levels down so far). An error already written in this line (a cycle) is only
 * `{name, message, repeated: true}`.
 */
function errorFields(error: Error, depth: number, written: WeakSet<Error>): LogFields {
  if (written.has(error)) return { name: error.name, message: error.message, repeated: true };
  written.add(error);
  const fields: LogFields = { name: error.name, message: error.message, ...(error as object) };
  if (error.stack !== undefined) fields['stack'] = error.stack;
  const below = (value: unknown): unknown =>
    !(value instanceof Error) ? value : depth < MAX_CAUSE_DEPTH ? errorFields(value, depth + 1, written) : `[cause deeper than ${MAX_CAUSE_DEPTH} levels not logged]`;
  if (error.cause !== undefined) fields['cause'] = below(error.cause);
  if (error instanceof AggregateError && Array.isArray(error.errors)) fields['errors'] = error.errors.map(below);
  return fields;
}

/** A URL as it may be logged or shown: `redis://user:secret@host` → `redis://***@host` (secrets are never logged). */
export function withoutCredentials(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, '$1***@');
}

