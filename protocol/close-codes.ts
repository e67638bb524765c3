/**
 * WebSocket close codes the relay uses (RFC 6455 §7.4.1), and the one rule clients follow
 * to decide whether a close is worth a reconnect. docs/protocol.md › Close codes.
 */

/** Close codes the relay sends. */
export const CloseCode = {
  /** Normal close (a client leaving). */
  normal: 1000,
  /** The relay is shutting down. */
  goingAway: 1001,
  /** Protocol error: an HTTP-channel client closed with a code it may not send (reason `bad-close-code`); frames use `invalidData`. */
  protocolError: 1002,
  /** A binary message is not a valid wire-format frame; reason = the `FrameError` code. */
  invalidData: 1007,
  /** Refused by policy: bad room/name/secret, full room, repeated abuse. Reason = a `RelayErrorCode`. */
  policy: 1008,
  /** A message over `maxPayload` (sent by `ws` itself). */
  tooBig: 1009,
  /** Unexpected relay failure. */
  internalError: 1011,
  /** Too many connections on this relay, or its cluster directory is unreachable; try again later. */
  tryAgainLater: 1013,
  /**
   * The room lives on another node of the cluster: the `redirect` message before this close
   * names it. Clients that follow redirects reconnect there at once; others must not retry
   * here (it is fatal for them: the same node would redirect again).
   */
  redirect: 4302,
} as const;

export type CloseCodeValue = (typeof CloseCode)[keyof typeof CloseCode];

/**
 * True if reconnecting with the same parameters cannot help: a policy refusal (1008: bad
 * room/name/secret, room full, abuse), an invalid frame (1007: the client is broken) or an
 * application code 4000–4999. Everything else (1001 shutdown, 1006 lost, 1011, 1013 server
 * full) is retried with backoff.
 */
export function isFatalClose(code: number): boolean {
  return code === CloseCode.policy || code === CloseCode.invalidData || (code >= 4000 && code <= 4999);
}
