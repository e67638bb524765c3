/**
 * `npm run replay -- FILE --url ws://HOST:PORT/ws --room R [--name N] [--secret S]
 *   [--speed 1] [--loop]`
 *
 * Plays a frame log (`*.fwlog`, e.g. from `--record DIR`) back into a room in real time as
 * one participant. Prints a JSON summary; exits 0 when done, 1 on a failure.
 */
import { parseArgs } from 'node:util';
import { replayFrameLog } from './replay.ts';

const USAGE = `usage: npm run replay -- FILE.fwlog --url ws://HOST:PORT/ws --room ROOM [options]
  --name N     display name (default replay)
  --secret S   room secret
  --speed X    playback speed factor (default 1)
  --loop       play again from the start until Ctrl-C`;

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      room: { type: 'string' },
      name: { type: 'string', default: 'replay' },
      secret: { type: 'string' },
      speed: { type: 'string', default: '1' },
      loop: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const file = positionals[0];
  if (file === undefined || values.url === undefined || values.room === undefined) {
    process.stderr.write(`FILE, --url and --room are required\n${USAGE}\n`);
    process.exit(2);
  }
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  process.once('SIGTERM', () => abort.abort());
  do {
    const stats = await replayFrameLog(file, {
      url: values.url,
      room: values.room,
      name: values.name,
      secret: values.secret,
      speed: Number(values.speed),
      signal: abort.signal,
    });
    process.stdout.write(`${JSON.stringify({ event: 'done', file, ...stats })}\n`);
  } while (values.loop && !abort.signal.aborted);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`replay failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
