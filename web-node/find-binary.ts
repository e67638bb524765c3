/** Finding the system tools the tests and benches run for real (coturn, redis-server, …). */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Where a tool is looked for after PATH. */
const SYSTEM_DIRS = ['/usr/bin', '/usr/sbin', '/usr/local/bin'];

/**
 * Path of the executable `name` on PATH (or in /usr/bin, /usr/sbin, /usr/local/bin), or
 * throws `missing(dirsLookedIn)` — an error that says how to install it: tests that need a
 * real server fail, they do not skip.
 */
export function findBinary(name: string, missing: (dirs: string) => string): string {
  const dirs = [...new Set([...(process.env['PATH'] ?? '').split(delimiter), ...SYSTEM_DIRS].filter((d) => d !== ''))];
  for (const dir of dirs) {
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  throw new Error(missing(dirs.join(', ')));
}
