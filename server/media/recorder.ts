/**
 * Recording: each participant's stream of a recorded room is written as (a) a frame log —
 * the relayed wire-format bytes back to back, audio and video, replayable — and (b) an MP4
 * (H.264, and AAC when it sent audio) timed by the capture timestamps, audio and video on
 * one timeline (mp4-writer.ts). Files: `DIR/ROOM/<peerId>-<name>-<timestamp>.fwlog` and
 * `.mp4` (while the call goes on, its audio waits in `.mp4.audio.mka`).
 *
 * A participant's files open with its first frame while the room records and close when it
 * leaves or the room stops recording. Rooms record by default when `recordAllRooms` is set
 * (the relay's `--record DIR`); `start`/`stop` override that per room.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Frame } from '../../codec/index.ts';
import { FrameLogWriter } from './frame-log.ts';
import { Mp4Writer, type Mp4WriterOptions } from './mp4-writer.ts';

/** Options of `Recorder`. */
export interface RecorderOptions {
  /** Directory that receives one folder per room. Required. */
  dir: string;
  /** Record every room unless it was stopped with a `record` message. Default true. */
  recordAllRooms?: boolean;
  /** Options of the MP4 writers. Default: `Mp4Writer`'s. */
  mp4?: Mp4WriterOptions;
  /** Called when writing a participant's files failed (the call goes on). Default: ignored. */
  onError?: (error: Error, files: RecordingFiles) => void;
}

/** The files of one participant's recording. */
export interface RecordingFiles {
  room: string;
  peerId: number;
  name: string;
  /** Path of the frame log. */
  frameLog: string;
  /** Path of the MP4. */
  mp4: string;
  /** Frames written to the frame log. */
  frames: number;
  /** Frames the MP4 encoder dropped because it was behind. */
  mp4Dropped: number;
  /** Audio frames in the MP4's audio track (0: no audio track). */
  mp4AudioFrames: number;
}

interface Participant {
  files: RecordingFiles;
  log: StreamWriter;
  mp4: DeferredWriter<Mp4Writer>;
}

export class Recorder {
  readonly #options: RecorderOptions;
  readonly #roomState = new Map<string, boolean>();
  readonly #participants = new Map<string, Map<number, Participant>>();
  /** Finalizations in flight, so `close()` can wait for them. */
  readonly #finishing = new Set<Promise<unknown>>();
  #closed = false;

  constructor(options: RecorderOptions) {
    if (typeof options.dir !== 'string' || options.dir === '') throw new TypeError('recorder dir must be a non-empty path');
    this.#options = options;
  }

  /** Participant recordings open now. */
  get openCount(): number {
    let n = 0;
    for (const peers of this.#participants.values()) n += peers.size;
    return n;
  }

  /** True if `room` records frames now. */
  isRecording(room: string): boolean {
    return !this.#closed && (this.#roomState.get(room) ?? this.#options.recordAllRooms ?? true);
  }

  /** Starts recording `room` (new files for every participant from their next frame). */
  start(room: string): void {
    this.#roomState.set(room, true);
  }

  /** Stops recording `room`; resolves with the finished files once they are complete on disk. */
  stop(room: string): Promise<RecordingFiles[]> {
    this.#roomState.set(room, false);
    const participants = this.#participants.get(room);
    this.#participants.delete(room);
    return this.#finish([...(participants?.values() ?? [])]);
  }

  /** Records one relayed frame of `peerId` (named `name`) in `room`, if the room records. */
  write(room: string, peerId: number, name: string, frame: Frame): void {
    if (!this.isRecording(room)) return;
    let peers = this.#participants.get(room);
    if (peers === undefined) this.#participants.set(room, (peers = new Map()));
    let participant = peers.get(peerId);
    if (participant === undefined) {
      participant = this.#open(room, peerId, name);
      peers.set(peerId, participant);
    }
    participant.log.write(frame);
    participant.mp4.write(frame);
  }

  /** Closes the files of a participant that left; resolves with them (undefined if it had none). */
  async leave(room: string, peerId: number): Promise<RecordingFiles | undefined> {
    const participant = this.#participants.get(room)?.get(peerId);
    if (participant === undefined) return undefined;
    this.#participants.get(room)!.delete(peerId);
    const [files] = await this.#finish([participant]);
    return files;
  }

  /** Finishes every open recording and waits for all files. Safe to call twice. */
  async close(): Promise<void> {
    this.#closed = true;
    const all = [...this.#participants.values()].flatMap((peers) => [...peers.values()]);
    this.#participants.clear();
    await this.#finish(all);
    while (this.#finishing.size > 0) await Promise.allSettled([...this.#finishing]);
  }

  #open(room: string, peerId: number, name: string): Participant {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const roomDir = join(this.#options.dir, safeName(room));
    const base = join(roomDir, `${peerId}-${safeName(name)}-${stamp}`);
    const files: RecordingFiles = { room, peerId, name, frameLog: `${base}.fwlog`, mp4: `${base}.mp4`, frames: 0, mp4Dropped: 0, mp4AudioFrames: 0 };
    const ready = mkdir(roomDir, { recursive: true }).then(() => undefined);
    return {
      files,
      log: new DeferredWriter(ready, () => new FrameLogWriter(files.frameLog)),
      mp4: new DeferredWriter(ready, () => new Mp4Writer(files.mp4, this.#options.mp4)),
    };
  }

  #finish(participants: Participant[]): Promise<RecordingFiles[]> {
    const work = Promise.all(
      participants.map(async (p) => {
        const results = await Promise.allSettled([p.log.close(), p.mp4.close()]);
        p.files.frames = p.log.stats.written;
        p.files.mp4Dropped = p.mp4.stats.dropped;
        p.files.mp4AudioFrames = p.mp4.writer?.stats.audioWritten ?? 0;
        for (const result of results) {
          if (result.status === 'rejected') {
            const error = result.reason instanceof Error ? result.reason : new Error(String(result.reason));
            this.#options.onError?.(error, p.files);
          }
        }
        return p.files;
      }),
    );
    this.#finishing.add(work);
    void work.finally(() => this.#finishing.delete(work));
    return work;
  }
}

/** What the recorder needs of a frame log or MP4 writer. */
interface StreamWriter {
  readonly stats: { written: number; dropped: number };
  write(frame: Frame): boolean;
  close(): Promise<void>;
}

/**
 * A writer made once its folder exists; frames that arrive before that (a few ms at most)
 * are held, in order, up to `MAX_HELD_FRAMES`, and written when it is ready.
 */
class DeferredWriter<W extends StreamWriter = StreamWriter> implements StreamWriter {
  #writer: W | null = null;
  #held: Frame[] = [];
  #dropped = 0;
  readonly #ready: Promise<void>;

  constructor(ready: Promise<void>, create: () => W) {
    this.#ready = ready.then(() => {
      const writer = create();
      for (const frame of this.#held) writer.write(frame);
      this.#held = [];
      this.#writer = writer;
    });
    this.#ready.catch(() => undefined);
  }

  /** The writer, once made. */
  get writer(): W | null {
    return this.#writer;
  }

  get stats(): { written: number; dropped: number } {
    const stats = this.#writer?.stats ?? { written: 0, dropped: 0 };
    return { written: stats.written, dropped: stats.dropped + this.#dropped };
  }

  write(frame: Frame): boolean {
    if (this.#writer !== null) return this.#writer.write(frame);
    if (this.#held.length >= MAX_HELD_FRAMES) {
      this.#dropped++;
      return false;
    }
    this.#held.push(frame);
    return true;
  }

  async close(): Promise<void> {
    await this.#ready;
    await this.#writer!.close();
  }
}

/** Frames held while a participant's folder is being created. */
const MAX_HELD_FRAMES = 30;

/** A file-name-safe form of a room or display name. */
export function safeName(name: string): string {
  const safe = name.normalize('NFKD').replace(/[^A-Za-z0-9_-]+/g, '_').replace(/^_+|_+$/g, '');
  return safe === '' ? 'peer' : safe.slice(0, 64);
}
