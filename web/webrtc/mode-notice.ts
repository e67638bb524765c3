/**
 * What a tile says when the local peer and a remote peer use incompatible media modes: a
 * raw-mode peer (jpeg/bgra over the relay) and a WebRTC-mode peer cannot see each other, and
 * a clear message beats a silent black tile. Raw modes interoperate with each other (a
 * receiver decodes JPEG and BGRA alike).
 */

/** True if `a` and `b` can exchange video: both WebRTC, or both raw (jpeg/bgra). */
export function modesCompatible(a: string, b: string): boolean {
  return (a === 'webrtc') === (b === 'webrtc');
}

/** The message for a tile of remote peer `remoteName` in `remoteMode`, or null if compatible. */
export function modeMismatchNotice(localMode: string, remoteMode: string, remoteName: string): string | null {
  if (modesCompatible(localMode, remoteMode)) return null;
  const theirs = remoteMode === 'webrtc' ? 'WebRTC mode' : `raw ${remoteMode} mode`;
  const ours = localMode === 'webrtc' ? 'WebRTC mode' : `raw ${localMode} mode`;
  const fix = localMode === 'webrtc' ? 'switch to jpeg or bgra' : 'switch to webrtc';
  return `${remoteName} is in ${theirs} and you are in ${ours}: no video between these modes (${fix} to see each other).`;
}
