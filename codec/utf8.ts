/**
 * UTF-8 for the codec. `TextEncoder`/`TextDecoder` are globals in every place the codec runs
 * (browsers, Node, workers) but not part of the ECMAScript library codec/ is typed against:
 * declared here, narrowly, as protocol/emitter.ts declares `console`.
 */
declare const TextEncoder: new () => { encode(text: string): Uint8Array };
declare const TextDecoder: new () => { decode(bytes: Uint8Array): string };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** `text` as UTF-8 bytes. */
export function utf8Encode(text: string): Uint8Array {
  return encoder.encode(text);
}

/** UTF-8 `bytes` as text (malformed sequences become U+FFFD). */
export function utf8Decode(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}
