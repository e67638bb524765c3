import { expect } from 'vitest';
import { FrameError, type FrameErrorCode } from '../index.ts';

/** Asserts that `fn` throws a FrameError with this code and exactly this message; returns the error. */
export function expectFrameError(fn: () => unknown, code: FrameErrorCode, message: string): FrameError {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(FrameError);
  const error = thrown as FrameError;
  expect(error).toBeInstanceOf(Error);
  expect(error.name).toBe('FrameError');
  expect(error.code).toBe(code);
  expect(error.message).toBe(message);
  return error;
}
