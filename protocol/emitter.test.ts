import { describe, expect, it, vi } from 'vitest';
import { Emitter } from './emitter.ts';

describe('Emitter', () => {
  it('calls listeners with typed arguments and removes them', () => {
    const e = new Emitter<{ frame: [number, string] }>();
    const seen: [number, string][] = [];
    const off = e.on('frame', (n, s) => seen.push([n, s]));
    expect(e.has('frame')).toBe(true);
    e.emit('frame', 1, 'a');
    off();
    e.emit('frame', 2, 'b');
    expect(seen).toEqual([[1, 'a']]);
    expect(e.listenerCount('frame')).toBe(0);
    expect(e.has('frame')).toBe(false);
  });

  it('once: a listener called at most once', () => {
    const e = new Emitter<{ x: [number] }>();
    const seen: number[] = [];
    e.once('x', (n) => seen.push(n));
    e.emit('x', 1);
    e.emit('x', 2);
    expect(seen).toEqual([1]);
  });

  it('reports a throwing listener to onListenerError, and the others still run', () => {
    const reported: [string, unknown][] = [];
    const e = new Emitter<{ x: [] }>((event, error) => reported.push([event, error]));
    const later = vi.fn();
    const boom = new Error('boom');
    e.on('x', () => {
      throw boom;
    });
    e.on('x', later);
    expect(() => e.emit('x')).not.toThrow();
    expect(later).toHaveBeenCalledOnce();
    expect(reported).toEqual([['x', boom]]);
  });

  it('logs a throwing listener on the console by default', () => {
    const e = new Emitter<{ x: [] }>();
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    e.on('x', () => {
      throw new Error('boom');
    });
    e.emit('x');
    expect(error).toHaveBeenCalledOnce();
    expect(String(error.mock.calls[0]?.[0])).toContain("'x'");
    error.mockRestore();
  });

  it('a listener removed by an earlier one during emit still runs this time, not the next', () => {
    const e = new Emitter<{ x: [] }>();
    const calls: string[] = [];
    const second = (): void => void calls.push('second');
    e.on('x', () => {
      calls.push('first');
      e.off('x', second);
    });
    e.on('x', second);
    e.emit('x');
    e.emit('x');
    expect(calls).toEqual(['first', 'second', 'first']);
  });

  it('clear removes every listener', () => {
    const e = new Emitter<{ x: []; y: [] }>();
    const f = vi.fn();
    e.on('x', f);
    e.on('y', f);
    e.clear();
    e.emit('x');
    e.emit('y');
    expect(f).not.toHaveBeenCalled();
  });
});
