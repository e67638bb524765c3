import { describe, expect, it } from 'vitest';
import { createLogger, MAX_CAUSE_DEPTH, withoutCredentials, type LogFields, type LogLevel } from './logger.ts';

/** A logger writing into an array, and the lines parsed back. */
function capture(level: LogLevel = 'debug'): { lines: string[]; parsed: () => LogFields[]; logger: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  const logger = createLogger({ level, write: (line) => lines.push(line), base: { component: 'test' } });
  return { lines, parsed: () => lines.map((line) => JSON.parse(line) as LogFields), logger };
}

describe('createLogger', () => {
  it('writes one JSON object per line with time, level, msg, base and fields', () => {
    const { parsed, logger } = capture();
    logger.info('hello', { room: 'r' });
    const [line] = parsed();
    expect(line).toMatchObject({ level: 'info', msg: 'hello', component: 'test', room: 'r' });
    expect(Number.isNaN(Date.parse(line!['time'] as string))).toBe(false);
  });

  it('drops lines below its level', () => {
    const { lines, logger } = capture('warn');
    logger.debug('no');
    logger.info('no');
    logger.warn('yes');
    logger.error('yes');
    expect(lines).toHaveLength(2);
  });

  it('refuses an unknown level', () => {
    expect(() => createLogger({ level: 'loud' as LogLevel })).toThrow(TypeError);
  });

  describe('errors in fields', () => {
    it('writes name, message, own fields such as code, and the stack', () => {
      const { lines, parsed, logger } = capture();
      const error = Object.assign(new TypeError('listener threw'), { code: 'E_TEST', port: 8080 });
      logger.error('listener threw', { error });
      expect(lines[0]).not.toContain('\n'); // the stack's newlines are escaped: still one line
      const logged = parsed()[0]!['error'] as LogFields;
      expect(logged).toMatchObject({ name: 'TypeError', message: 'listener threw', code: 'E_TEST', port: 8080 });
      expect(logged['stack']).toBe(error.stack);
      expect(logged['stack']).toMatch(/^TypeError: listener threw\n\s+at .*logger\.test\.ts/);
    });

    it('writes the cause chain, and errors nested anywhere in the fields', () => {
      const { parsed, logger } = capture();
      const root = Object.assign(new Error('ECONNRESET'), { code: 'ECONNRESET' });
      const outer = new Error('send failed', { cause: new Error('socket closed', { cause: root }) });
      logger.warn('frame dropped', { detail: { attempts: [outer] }, plainCause: new Error('x', { cause: { reason: 'not an error' } }) });
      const line = parsed()[0]!;
      const logged = ((line['detail'] as LogFields)['attempts'] as LogFields[])[0]!;
      expect(logged).toMatchObject({ message: 'send failed', cause: { message: 'socket closed', cause: { message: 'ECONNRESET', code: 'ECONNRESET' } } });
      expect(((logged['cause'] as LogFields)['cause'] as LogFields)['stack']).toBe(root.stack);
      expect(line['plainCause']).toMatchObject({ message: 'x', cause: { reason: 'not an error' } });
    });

    it(`stops after ${MAX_CAUSE_DEPTH} levels of cause`, () => {
      const { parsed, logger } = capture();
      let error = new Error('level 0');
      for (let i = 1; i <= 20; i++) error = new Error(`level ${i}`, { cause: error });
      logger.error('deep', { error });
      let logged = parsed()[0]!['error'] as LogFields;
      // level 20 at the top, then MAX_CAUSE_DEPTH causes (19, 18, …), then the marker.
      for (let i = 0; i < MAX_CAUSE_DEPTH; i++) logged = logged['cause'] as LogFields;
      expect(logged['message']).toBe(`level ${20 - MAX_CAUSE_DEPTH}`);
      expect(logged['cause']).toBe(`[cause deeper than ${MAX_CAUSE_DEPTH} levels not logged]`);
    });

    it('survives a cause cycle', () => {
      const { parsed, logger } = capture();
      const a = new Error('a');
      const b = new Error('b', { cause: a });
      a.cause = b;
      logger.error('cycle', { error: a });
      expect(parsed()[0]!['error']).toMatchObject({ message: 'a', cause: { message: 'b', cause: { message: 'a', repeated: true } } });
    });

    it("writes an AggregateError's errors", () => {
      const { parsed, logger } = capture();
      logger.error('all failed', { error: new AggregateError([new Error('one'), new RangeError('two')], 'both') });
      expect(parsed()[0]!['error']).toMatchObject({ name: 'AggregateError', message: 'both', errors: [{ message: 'one' }, { name: 'RangeError', message: 'two' }] });
    });
  });

  it('still writes a line when the fields cannot be serialized', () => {
    const { parsed, logger } = capture();
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    logger.info('odd fields', { cyclic, big: 1n });
    logger.info('bigint', { big: 2n ** 64n });
    const [odd, big] = parsed();
    expect(odd).toMatchObject({ msg: 'odd fields', logError: expect.stringMatching(/^fields not serializable: TypeError/) });
    expect(big).toMatchObject({ msg: 'bigint', big: '18446744073709551616' });
  });
});

describe('withoutCredentials', () => {
  it('hides user and password of a URL, and leaves others alone', () => {
    expect(withoutCredentials('redis://:s3cret@10.0.0.5:6379')).toBe('redis://***@10.0.0.5:6379');
    expect(withoutCredentials('rediss://user:pw@redis.example:6380/0')).toBe('rediss://***@redis.example:6380/0');
    expect(withoutCredentials('redis://10.0.0.5:6379')).toBe('redis://10.0.0.5:6379');
    expect(withoutCredentials('https://a.example/p@th')).toBe('https://a.example/p@th');
  });
});
