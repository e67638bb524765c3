import { describe, expect, it } from 'vitest';
import {
  Codec,
  encodeCloseRecord,
  encodeControlRecord,
  encodeFrame,
  encodeKeepaliveRecord,
  FrameReader,
  RecordReader,
  type StreamRecord,
} from './index.ts';
import { expectFrameError } from './test-support/expect-frame-error.ts';
import { concat } from './test-support/concat.ts';

const FRAME = encodeFrame({ codec: Codec.jpeg, width: 2, height: 2, seq: 9, captureTime: 1.5, payload: Uint8Array.from([0xff, 0xd8, 1, 2, 3]) });
const CONTROL = encodeControlRecord('{"type":"chat","text":"héllo"}');
const CLOSE = encodeCloseRecord(4001, 'room-full');
const KEEPALIVE = encodeKeepaliveRecord();
const STREAM = concat([CONTROL, FRAME, KEEPALIVE, CLOSE]);

function describeRecords(records: StreamRecord[]): unknown[] {
  return records.map((r) =>
    r.kind === 'frame' ? { kind: r.kind, bytes: [...r.bytes] } : r.kind === 'control' ? { kind: r.kind, text: new TextDecoder().decode(r.utf8) } : r,
  );
}

const EXPECTED = [
  { kind: 'control', text: '{"type":"chat","text":"héllo"}' },
  { kind: 'frame', bytes: [...FRAME] },
  { kind: 'keepalive' },
  { kind: 'close', code: 4001, reason: 'room-full' },
];

describe('byte-stream records', () => {
  it('encodes each kind as in docs/protocol.md', () => {
    expect([...KEEPALIVE]).toEqual([0, 0, 0, 2, 0x46, 0x4b]);
    expect([...encodeControlRecord('{}')]).toEqual([0, 0, 0, 4, 0x46, 0x43, 0x7b, 0x7d]);
    expect([...encodeCloseRecord(1000, 'ok')]).toEqual([0, 0, 0, 6, 0x46, 0x45, 0x03, 0xe8, 0x6f, 0x6b]);
    expect(FRAME[4]).toBe(0x46);
    expect(FRAME[5]).toBe(0x57);
  });

  it('reads a stream in one chunk and cut at every byte', () => {
    expect(describeRecords(new RecordReader().push(STREAM))).toEqual(EXPECTED);
    const reader = new RecordReader();
    const records: StreamRecord[] = [];
    for (let i = 0; i < STREAM.byteLength; i++) records.push(...reader.push(STREAM.slice(i, i + 1)));
    reader.end();
    expect(describeRecords(records)).toEqual(EXPECTED);
  });

  it('cuts close reasons at 123 UTF-8 bytes without splitting a character', () => {
    const [record] = new RecordReader().push(encodeCloseRecord(1000, 'é'.repeat(100)));
    expect(record).toEqual({ kind: 'close', code: 1000, reason: 'é'.repeat(61) });
  });

  it('refuses an oversize record at its prefix, an unknown kind, and a record cut off', () => {
    const reader = new RecordReader({ maxRecordBytes: 100 });
    expectFrameError(() => reader.push(Uint8Array.from([0, 0, 1, 0])), 'too-large', 'frame too large [bytes:260, max:100]');
    expectFrameError(() => reader.push(CONTROL), 'too-large', 'frame too large [bytes:260, max:100]'); // stays failed
    expectFrameError(() => new RecordReader().push(Uint8Array.from([0, 0, 0, 2, 0x41, 0x42])), 'bad-magic', 'bad magic [found:0x4142, expected:0x4657]');
    expectFrameError(() => new RecordReader().push(Uint8Array.from([0, 0, 0, 1, 0x46])), 'too-short', 'frame shorter than its header [bytes:5, needed:6]');
    expectFrameError(() => new RecordReader().push(Uint8Array.from([0, 0, 0, 3, 0x46, 0x45, 0])), 'too-short', 'frame shorter than its header [bytes:7, needed:8]');
    const cut = new RecordReader();
    cut.push(CONTROL.subarray(0, 7));
    expectFrameError(() => cut.end(), 'too-short', 'frame shorter than its header [bytes:7, needed:37]');
  });

  it('FrameReader refuses records that are not frames', () => {
    expectFrameError(() => new FrameReader().push(concat([FRAME, encodeControlRecord('x'.repeat(40))])), 'bad-magic', 'bad magic [found:0x4643, expected:0x4657]');
  });
});
