import { describe, expect, it, vi } from 'vitest';
import { Emitter } from './emitter.ts';

describe('Emitter', () => {
  it('calls listeners with typed arguments and removes them', () => {
    const e = new Emitter<{ frame: [number, string] }>();
    const seen: [number, string][] = [];
    const off = e.on('frame', (n, s) => seen.push([n, s]));
    e.emit('frame', 1, 'a');
    off();
    e.emit('frame', 2, 'b');
    expect(seen).toEqual([[1, 'a']]);
    expect(e.listenerCount('frame')).toBe(0);
  });

  it('catches a throwing listener so the others still run', () => {
    const e = new Emitter<{ x: [] }>();
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const later = vi.fn();
    e.on('x', () => {
      throw new Error('boom');
    });
    e.on('x', later);
    expect(() => e.emit('x')).not.toThrow();
    expect(later).toHaveBeenCalledOnce();
    expect(error).toHaveBeenCalled();
    error.mockRestore();
  });
});
