import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startRelay, type Relay } from '../relay.ts';
import { ReceiverBot } from './receiver-bot.ts';

const CLI = fileURLToPath(new URL('./bot-cli.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));

/** Runs `tsx bot-cli.ts …args`; resolves with exit code, stdout lines and stderr. */
function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; lines: string[]; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, lines: out.split('\n').filter((l) => l !== ''), stderr: err }));
  });
}

describe('npm run bot', () => {
  let relay: Relay | undefined;
  afterEach(async () => {
    await relay?.close();
    relay = undefined;
  });

  it('streams for --seconds into the room and prints a JSON summary', async () => {
    relay = await startRelay({ port: 0, logLevel: 'silent' });
    const rx = new ReceiverBot({ url: relay.url, room: 'cli', name: 'rx' });
    await rx.ready;
    const { code, lines, stderr } = await runCli([
      '--url', `ws://127.0.0.1:${relay.port}/ws`, '--room', 'cli', '--name', 'clibot',
      '--codec', 'bgra', '--res', '96x64', '--fps', '10', '--seconds', '1',
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const done = JSON.parse(lines.at(-1)!) as { event: string; sent: number; peerId: number };
    expect(done.event).toBe('done');
    expect(done.sent).toBeGreaterThan(0);
    await expect.poll(() => rx.report().frames, { timeout: 5000 }).toBe(done.sent);
    const report = await rx.close();
    expect(report.sources[String(done.peerId)]).toMatchObject({ codec: 'bgra', width: 96, height: 64 });
  });

  it('--audio tone sends Opus too; --receive reports it apart from video', async () => {
    relay = await startRelay({ port: 0, logLevel: 'silent' });
    const url = `ws://127.0.0.1:${relay.port}/ws`;
    const receiving = runCli(['--url', url, '--room', 'cliaudio', '--name', 'rx', '--receive', '--seconds', '3.5']);
    await expect.poll(() => relay!.peers('cliaudio').length, { timeout: 10_000 }).toBe(1);
    const sending = await runCli(['--url', url, '--room', 'cliaudio', '--res', '96x64', '--fps', '10', '--seconds', '1.5', '--audio', 'tone']);
    expect(sending.stderr).toBe('');
    expect(sending.code).toBe(0);
    const done = JSON.parse(sending.lines.at(-1)!) as { event: string; sent: number; audioSent: number; peerId: number };
    expect(done.audioSent).toBeGreaterThanOrEqual(60);
    const received = await receiving;
    expect(received.code).toBe(0);
    const summary = JSON.parse(received.lines.at(-1)!) as { event: string; frames: number; audio: { packets: number; missing: number; lossPercent: number; latencyMs: { p50: number; p95: number } } };
    expect(summary.event).toBe('done');
    expect(summary.frames).toBe(done.sent);
    expect(summary.audio).toMatchObject({ packets: done.audioSent, missing: 0, lossPercent: 0 });
    expect(summary.audio.latencyMs.p50).toBeGreaterThan(0);
  });

  it('exits 2 on --audio with --no-audio', async () => {
    const { code, stderr } = await runCli(['--url', 'ws://127.0.0.1:1/ws', '--room', 'x', '--audio', 'tone', '--no-audio']);
    expect(code).toBe(2);
    expect(stderr).toContain('--audio and --no-audio exclude each other');
  });

  it('fails with exit 1 and a clear message when ffmpeg is missing', async () => {
    relay = await startRelay({ port: 0, logLevel: 'silent' });
    const { code, stderr } = await runCli(['--url', relay.url, '--room', 'cli', '--seconds', '1'], { FFMPEG_PATH: '/nonexistent/ffmpeg' });
    expect(code).toBe(1);
    expect(stderr).toContain('bot failed: ffmpeg binary not found [path:/nonexistent/ffmpeg]');
  });

  it('exits 2 with usage on missing arguments', async () => {
    const { code, stderr } = await runCli(['--room', 'x']);
    expect(code).toBe(2);
    expect(stderr).toContain('usage: npm run bot');
  });
});
