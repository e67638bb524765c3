/** The relay's clock, shared by frame stamps and control messages. */

/** `performance.timeOrigin` (a getter that calls into Node), read once. */
const TIME_ORIGIN = performance.timeOrigin;

/** The relay's clock: ms since the Unix epoch, sub-millisecond (same clock as the frames' relayTime). */
export function relayNow(): number {
  return TIME_ORIGIN + performance.now();
}
