/**
 * Test helper of the link tests: a promise for the next value a callback registration hands
 * over (an event), rejected after `ms` so that a test waiting for what never comes fails
 * instead of hanging.
 */

/** Resolves with the first value `register`'s callback gets; rejects with 'timed out' after `ms` (default 5000). */
export function next<T>(register: (resolve: (value: T) => void) => void, ms = 5000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out')), ms);
    register((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}
