import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { FfmpegError, ffmpegPath, liveFfmpegPids, runFfmpeg, spawnFfmpeg, type FfmpegProcess } from './ffmpeg.ts';
import { alive } from './test-support/alive.ts';
import { VideoSource } from './video-source.ts';

describe('ffmpeg', () => {
  const started: FfmpegProcess[] = [];
  afterEach(async () => {
    await Promise.all(started.map((child) => child.close()));
    started.length = 0;
  });

  it('finds the binary from @ffmpeg-installer/ffmpeg', () => {
    expect(ffmpegPath()).toMatch(/ffmpeg$/);
  });

  it('runs to completion and returns stdout', async () => {
    const out = await runFfmpeg(['-f', 'lavfi', '-i', 'testsrc=size=8x4:rate=5', '-frames:v', '3', '-f', 'rawvideo', '-pix_fmt', 'bgra', 'pipe:1']);
    expect(out.byteLength).toBe(3 * 8 * 4 * 4);
  });

  describe('failures', () => {
    it('a missing binary is a FfmpegError not-found, with no child left', async () => {
      const child = spawnFfmpeg({ args: ['-version'], path: '/nonexistent/ffmpeg' });
      started.push(child);
      const error = await child.done.then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(FfmpegError);
      expect((error as FfmpegError).code).toBe('not-found');
      expect((error as FfmpegError).message).toContain('ffmpeg binary not found [path:/nonexistent/ffmpeg]');
      expect(liveFfmpegPids()).not.toContain(child.pid);
    });

    it('FFMPEG_PATH overrides the binary', async () => {
      const saved = process.env['FFMPEG_PATH'];
      process.env['FFMPEG_PATH'] = '/nonexistent/from-env';
      try {
        expect(ffmpegPath()).toBe('/nonexistent/from-env');
        await expect(runFfmpeg(['-version'])).rejects.toMatchObject({ code: 'not-found' });
      } finally {
        if (saved === undefined) delete process.env['FFMPEG_PATH'];
        else process.env['FFMPEG_PATH'] = saved;
      }
    });

    it('a failing ffmpeg rejects with its exit code and the tail of its stderr; its pid is gone', async () => {
      const child = spawnFfmpeg({ args: ['-i', '/nonexistent/input.mp4', '-f', 'null', '-'] });
      started.push(child);
      const pid = child.pid!;
      expect(pid).toBeGreaterThan(0);
      const error = (await child.done.then(
        () => null,
        (e: unknown) => e,
      )) as FfmpegError;
      expect(error).toBeInstanceOf(FfmpegError);
      expect(error.code).toBe('exit');
      expect(error.exitCode).toBe(1);
      expect(error.stderr).toContain('/nonexistent/input.mp4');
      expect(error.message).toMatch(/^ffmpeg failed \[exit:1\]: .*No such file or directory/);
      expect(alive(pid)).toBe(false);
    });

    it('a bad decoder input (not a video) fails with a clear error', async () => {
      const child = spawnFfmpeg({ stdin: true, args: ['-f', 'matroska', '-i', 'pipe:0', '-f', 'null', '-'] });
      started.push(child);
      child.stdin!.end(Buffer.from('this is not matroska'));
      await expect(child.done).rejects.toMatchObject({ name: 'FfmpegError', code: 'exit' });
      expect(alive(child.pid!)).toBe(false);
    });

    it('keeps only a bounded tail of stderr', async () => {
      const child = spawnFfmpeg({ args: ['-i', '/nonexistent/x', '-f', 'null', '-'], stderrTailBytes: 16 });
      started.push(child);
      await child.done.catch(() => undefined);
      expect(child.stderrTail.length).toBeLessThanOrEqual(16);
      expect(child.stderrTail.length).toBeGreaterThan(0);
    });
  });

  describe('lifetime', () => {
    it('close() kills a running child, the pid is gone, and close() is safe twice', async () => {
      // An endless source that nobody reads: ffmpeg blocks on its stdout pipe.
      const child = spawnFfmpeg({ args: ['-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=30', '-f', 'rawvideo', 'pipe:1'] });
      started.push(child);
      const pid = child.pid!;
      await new Promise((resolve) => child.stdout.once('data', resolve));
      child.stdout.pause();
      expect(alive(pid)).toBe(true);
      expect(liveFfmpegPids()).toContain(pid);
      await child.close();
      await child.close();
      await expect(child.done).resolves.toBeUndefined();
      expect(alive(pid)).toBe(false);
      expect(liveFfmpegPids()).not.toContain(pid);
    });

    it('a VideoSource closed by its consumer leaves no process', async () => {
      const source = new VideoSource({ width: 64, height: 48, fps: 10 });
      const pid = source.pid!;
      await expect.poll(() => source.stats.decoded, { timeout: 10_000 }).toBeGreaterThan(0);
      await source.close();
      await source.close();
      expect(alive(pid)).toBe(false);
    });

    it('children still running are killed when the Node process exits', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'fw-exit-'));
      const script = join(dir, 'exit.mts');
      const module = new URL('./ffmpeg.ts', import.meta.url).href;
      await writeFile(
        script,
        `import { spawnFfmpeg } from ${JSON.stringify(module)};
// Real-time and writing nowhere: without the exit hook it would outlive this process.
const child = spawnFfmpeg({ args: ['-re', '-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=5', '-f', 'null', '-'] });
setTimeout(() => { console.log(child.pid); process.exit(0); }, 300);
`,
      );
      const tsx = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));
      const out = await new Promise<string>((resolve, reject) => {
        execFile(tsx, [script], (error, stdout) => (error ? reject(error) : resolve(stdout)));
      });
      await rm(dir, { recursive: true, force: true });
      const pid = Number(out.trim());
      expect(pid).toBeGreaterThan(0);
      try {
        await expect.poll(() => alive(pid), { timeout: 5000 }).toBe(false);
      } finally {
        if (alive(pid)) process.kill(pid, 'SIGKILL');
      }
    });

    it('a VideoSource plays a file at the asked size, looping past its end', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'fw-src-'));
      const clip = join(dir, 'clip.mp4');
      // A 0.5 s clip: 5 frames at 10 fps, 320x240.
      await runFfmpeg(['-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=10', '-t', '0.5', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-y', clip]);
      const source = new VideoSource({ source: clip, width: 80, height: 60, fps: 10 });
      const taken: Uint8Array[] = [];
      try {
        await expect
          .poll(() => {
            const frame = source.take();
            if (frame !== null) taken.push(frame);
            return taken.length;
          }, { timeout: 15_000, interval: 10 })
          .toBeGreaterThanOrEqual(12);
      } finally {
        await source.close();
        await rm(dir, { recursive: true, force: true });
      }
      expect(taken.every((f) => f.byteLength === 80 * 60 * 4)).toBe(true);
    });

    it('a VideoSource on a missing file rejects with the tail of ffmpeg stderr', async () => {
      const source = new VideoSource({ source: '/nonexistent/clip.mp4', width: 64, height: 48 });
      const pid = source.pid!;
      await expect(source.done).rejects.toThrow(/ffmpeg failed \[exit:1\]: .*clip\.mp4/);
      expect(alive(pid)).toBe(false);
    });
  });
});
