/**
 * Voice settings for Opus, written into the `a=fmtp` line of a session description. An fmtp
 * line states what its author wants to RECEIVE, so the parameters go into the descriptions we
 * send: the remote encoder then sends us mono (`stereo=0`), with in-band FEC against loss
 * (`useinbandfec=1`) and discontinuous transmission in silence (`usedtx=1`). Pure string
 * work on SDP text, tested in Node.
 */

/** Opus fmtp parameters for speech: mono, in-band FEC, DTX. */
export const VOICE_OPUS_FMTP: Readonly<Record<string, number>> = { stereo: 0, useinbandfec: 1, usedtx: 1 };

/**
 * `sdp` with `params` set on every Opus payload type's `a=fmtp` line (existing keys are
 * overwritten, others kept; a missing fmtp line is added after the `a=rtpmap`). SDP without
 * Opus comes back unchanged. Line endings are kept (`\r\n` as SDP has them, or `\n`).
 */
export function withOpusFmtp(sdp: string, params: Readonly<Record<string, number | string>>): string {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  const lines = sdp.split(eol);
  const opus = new Set<string>();
  for (const line of lines) {
    const match = /^a=rtpmap:(\d+) opus\/48000/i.exec(line);
    if (match) opus.add(match[1]!);
  }
  if (opus.size === 0) return sdp;
  const withFmtp = new Set<string>();
  const out: string[] = [];
  for (const line of lines) {
    const fmtp = /^a=fmtp:(\d+) (.*)$/.exec(line);
    if (fmtp && opus.has(fmtp[1]!)) {
      withFmtp.add(fmtp[1]!);
      out.push(`a=fmtp:${fmtp[1]} ${mergeParams(fmtp[2]!, params)}`);
    } else {
      out.push(line);
    }
  }
  // NOTE: a payload type without an fmtp line gets one right after its rtpmap.
  for (const pt of opus) {
    if (withFmtp.has(pt)) continue;
    const at = out.findIndex((line) => line.startsWith(`a=rtpmap:${pt} `));
    out.splice(at + 1, 0, `a=fmtp:${pt} ${mergeParams('', params)}`);
  }
  return out.join(eol);
}

/** `key=value;key=value` with `params` set (order: existing keys first, new ones after). */
function mergeParams(existing: string, params: Readonly<Record<string, number | string>>): string {
  const merged = new Map<string, string>();
  for (const pair of existing.split(';')) {
    const trimmed = pair.trim();
    if (trimmed === '') continue;
    const eq = trimmed.indexOf('=');
    if (eq < 0) merged.set(trimmed, '');
    else merged.set(trimmed.slice(0, eq).trim(), trimmed.slice(eq + 1).trim());
  }
  for (const [key, value] of Object.entries(params)) merged.set(key, String(value));
  return [...merged].map(([key, value]) => (value === '' ? key : `${key}=${value}`)).join(';');
}
