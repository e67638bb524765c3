/** The tail of a child process's stderr, kept for error messages, each line also handed to `log`. */
import type { ChildProcess } from 'node:child_process';

/** Most characters of stderr kept. */
export const STDERR_TAIL_CHARS = 4000;

/** Starts reading `child`'s stderr; the returned function gives its last `STDERR_TAIL_CHARS` characters so far. */
export function tailStderr(child: ChildProcess, log?: (line: string) => void): () => string {
  let tail = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    tail = (tail + chunk).slice(-STDERR_TAIL_CHARS);
    for (const line of chunk.split('\n')) if (line.trim()) log?.(line);
  });
  return () => tail;
}
