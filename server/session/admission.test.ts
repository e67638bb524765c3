import { describe, expect, it } from 'vitest';
import { CloseCode } from '../../protocol/index.ts';
import { Room } from '../rooms/room.ts';
import { admit, type AdmissionContext } from './admission.ts';

type R = Room<{ readonly id: number }>;

function context(overrides: Partial<AdmissionContext<R>> = {}, rooms: R[] = []): AdmissionContext<R> {
  return { closing: false, connections: 1, maxConnections: 10, room: (name) => rooms.find((r) => r.name === name), ...overrides };
}

const query = (params: Record<string, string>) => new URLSearchParams(params);

describe('admit', () => {
  it('admits a valid query, with the room when it exists and undefined when it is to be created', () => {
    const room = new Room('r1', 2, undefined);
    expect(admit(context({}, [room]), query({ room: 'r1', name: 'A' }))).toMatchObject({ ok: true, room, params: { room: 'r1', name: 'A', mode: 'jpeg' } });
    expect(admit(context(), query({ room: 'new', name: 'A' }))).toMatchObject({ ok: true, room: undefined });
  });

  describe('refusals, in order, each with its close code and the limit it hit', () => {
    const cases: [string, AdmissionContext<R>, Record<string, string>, string, number, number | undefined][] = [
      ['shutting down', context({ closing: true, connections: 99 }), { room: '!', name: '' }, 'shutting-down', CloseCode.goingAway, undefined],
      ['server full', context({ connections: 11 }), { room: '!', name: '' }, 'server-full', CloseCode.tryAgainLater, 10],
      ['bad room', context(), { room: 'a b', name: 'A' }, 'bad-room', CloseCode.policy, undefined],
      ['bad name', context(), { room: 'r', name: ' A' }, 'bad-name', CloseCode.policy, undefined],
    ];
    for (const [label, ctx, params, code, closeCode, limit] of cases) {
      it(label, () => {
        const result = admit(ctx, query(params));
        expect(result.ok).toBe(false);
        if (result.ok) return;
        expect(result.error.code).toBe(code);
        expect(result.closeCode).toBe(closeCode);
        expect(result.error.toMessage().limit).toBe(limit);
      });
    }

    it('bad secret before room full', () => {
      const room = new Room<{ readonly id: number }>('r', 1, 's3cret');
      room.add({ id: 1 });
      const wrong = admit(context({}, [room]), query({ room: 'r', name: 'B', secret: 'nope' }));
      const right = admit(context({}, [room]), query({ room: 'r', name: 'B', secret: 's3cret' }));
      expect(wrong.ok === false && wrong.error.code).toBe('bad-secret');
      expect(right.ok === false && right.error.toMessage()).toEqual({ type: 'error', code: 'room-full', message: 'room is full [room:r, max:1]', limit: 1 });
    });
  });
});
