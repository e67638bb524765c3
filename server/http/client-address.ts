/**
 * Who a client is, by address: IP parsing (IPv4, IPv6, IPv4-mapped IPv6), address sets of
 * exact addresses and CIDR blocks (`--trusted-proxy`), the client address of a request
 * behind trusted proxies (`X-Forwarded-For`, right-most untrusted hop), and the key that
 * per-address limits count under. Pure: no sockets, no Node APIs.
 */

/** An IP address as 16 bytes: IPv4 as IPv4-mapped IPv6 (`::ffff:a.b.c.d`), so one set holds both. */
export type IpBytes = Uint8Array;

const V4_MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

/** The 16 bytes of `text` (`1.2.3.4`, `2001:db8::1`, `::ffff:1.2.3.4`, `fe80::1%eth0`), or undefined if it is not an IP address. */
export function parseIp(text: string): IpBytes | undefined {
  const s = text.trim();
  if (s.includes(':')) return parseV6(s);
  const v4 = parseV4(s);
  if (v4 === undefined) return undefined;
  const out = new Uint8Array(16);
  out.set(V4_MAPPED_PREFIX);
  out.set(v4, 12);
  return out;
}

/** True if `bytes` is an IPv4-mapped address (an IPv4 client). */
export function isV4(bytes: IpBytes): boolean {
  for (let i = 0; i < 12; i++) if (bytes[i] !== V4_MAPPED_PREFIX[i]) return false;
  return true;
}

/** The canonical text of an address: dotted IPv4 for IPv4(-mapped), else RFC 5952 (lower case, longest zero run as `::`). */
export function formatIp(bytes: IpBytes): string {
  if (isV4(bytes)) return `${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  // The longest run of two or more zero groups (the first one on a tie) becomes '::'.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number): string => groups.slice(from, to).map((g) => g.toString(16)).join(':');
  return best === -1 ? hex(0, 8) : `${hex(0, best)}::${hex(best + bestLen, 8)}`;
}

/** `text` in canonical form (`::ffff:1.2.3.4` → `1.2.3.4`), or undefined if it is not an IP address. */
export function normalizeIp(text: string): string | undefined {
  const bytes = parseIp(text);
  return bytes === undefined ? undefined : formatIp(bytes);
}

/**
 * The key per-address limits count a client under: an IPv4 address itself; for IPv6 its
 * /64 (one subscriber or LAN normally gets a whole /64, so counting single IPv6 addresses
 * would let one client take 2^64 of them). `undefined` for a string that is not an address.
 */
export function limitKey(address: string): string | undefined {
  const bytes = parseIp(address);
  if (bytes === undefined) return undefined;
  if (isV4(bytes)) return formatIp(bytes);
  const prefix = new Uint8Array(16);
  prefix.set(bytes.subarray(0, 8));
  return `${formatIp(prefix)}/64`;
}

/** One entry of an `AddressSet`: the first `bits` bits of `bytes`. */
interface Block {
  bytes: IpBytes;
  bits: number;
}

/** A set of exact addresses and CIDR blocks (`10.0.0.0/8`, `2001:db8::/32`, `::1`); IPv4 entries match IPv4-mapped forms too. */
export class AddressSet {
  readonly #blocks: readonly Block[];
  /** The entries as given (trimmed), for logs. */
  readonly entries: readonly string[];

  private constructor(blocks: Block[], entries: string[]) {
    this.#blocks = blocks;
    this.entries = entries;
  }

  /** The empty set. */
  static readonly EMPTY = new AddressSet([], []);

  /** Parses `entries`; throws a TypeError naming the first bad one. */
  static parse(entries: readonly string[]): AddressSet {
    const blocks: Block[] = [];
    const kept: string[] = [];
    for (const raw of entries) {
      const entry = raw.trim();
      if (entry === '') continue;
      const block = parseBlock(entry);
      if (block === undefined) throw new TypeError(`not an IP address or CIDR block [entry:${entry.slice(0, 60)}]`);
      blocks.push(block);
      kept.push(entry);
    }
    return new AddressSet(blocks, kept);
  }

  get size(): number {
    return this.#blocks.length;
  }

  /** True if `address` (any form `parseIp` takes) is in the set; false for a non-address. */
  has(address: string | IpBytes): boolean {
    if (this.#blocks.length === 0) return false;
    const bytes = typeof address === 'string' ? parseIp(address) : address;
    if (bytes === undefined) return false;
    return this.#blocks.some((b) => matches(b, bytes));
  }
}

/**
 * The client's address of a request whose TCP peer is `peer`: the peer itself unless it is a
 * trusted proxy; then `X-Forwarded-For` is read from the right (each proxy appends the
 * address it got the request from), skipping trusted proxies, and the first untrusted hop is
 * the client. If every hop is trusted, the left-most one; if a hop is not an address (a
 * trusted proxy passed garbage on), the last trusted hop before it. Canonical form
 * (`normalizeIp`); undefined only when `peer` itself is not an address.
 */
export function clientAddress(peer: string | undefined, forwardedFor: string | readonly string[] | undefined, trusted: AddressSet): string | undefined {
  if (peer === undefined) return undefined;
  const peerBytes = parseIp(peer);
  if (peerBytes === undefined) return undefined;
  let address = formatIp(peerBytes);
  if (forwardedFor === undefined || !trusted.has(peerBytes)) return address;
  const hops = (typeof forwardedFor === 'string' ? forwardedFor : forwardedFor.join(',')).split(',');
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = parseIp(stripPort(hops[i]!));
    if (hop === undefined) return address;
    address = formatIp(hop);
    if (!trusted.has(hop)) return address;
  }
  return address;
}

/** `1.2.3.4:80` → `1.2.3.4`, `[2001:db8::1]:443` → `2001:db8::1`; anything else as it is (trimmed). */
function stripPort(hop: string): string {
  const s = hop.trim();
  if (s.startsWith('[')) {
    const end = s.indexOf(']');
    return end === -1 ? s : s.slice(1, end);
  }
  const colon = s.indexOf(':');
  if (colon !== -1 && colon === s.lastIndexOf(':') && s.includes('.')) return s.slice(0, colon);
  return s;
}

function parseBlock(entry: string): Block | undefined {
  const slash = entry.indexOf('/');
  const bytes = parseIp(slash === -1 ? entry : entry.slice(0, slash));
  if (bytes === undefined) return undefined;
  if (slash === -1) return { bytes, bits: 128 };
  const prefix = entry.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefix)) return undefined;
  const v4 = isV4(bytes) && !entry.slice(0, slash).includes(':');
  const max = v4 ? 32 : 128;
  const n = Number(prefix);
  if (n > max) return undefined;
  return { bytes, bits: v4 ? 96 + n : n };
}

function matches(block: Block, bytes: IpBytes): boolean {
  const whole = block.bits >> 3;
  for (let i = 0; i < whole; i++) if (block.bytes[i] !== bytes[i]) return false;
  const rest = block.bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (block.bytes[whole]! & mask) === (bytes[whole]! & mask);
}

function parseV4(s: string): number[] | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    // NOTE: no leading zeros: `010.0.0.1` is octal to some parsers and decimal to others.
    if (!/^(0|[1-9]\d{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out.push(n);
  }
  return out;
}

function parseV6(input: string): IpBytes | undefined {
  let s = input;
  const zone = s.indexOf('%');
  if (zone !== -1) s = s.slice(0, zone);
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  // An embedded IPv4 tail (`::ffff:1.2.3.4`, `64:ff9b::1.2.3.4`) is two groups.
  let tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  if (s.indexOf('.', lastColon) !== -1) {
    const v4 = parseV4(s.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    tail = [(v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!];
    const prefix = s.slice(0, lastColon + 1);
    s = prefix.endsWith('::') ? prefix : prefix.slice(0, -1);
  }
  const double = s.indexOf('::');
  if (double !== -1 && s.indexOf('::', double + 1) !== -1) return undefined;
  const group = (g: string): number | undefined => (/^[0-9a-fA-F]{1,4}$/.test(g) ? parseInt(g, 16) : undefined);
  const split = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      const n = group(g);
      if (n === undefined) return undefined;
      out.push(n);
    }
    return out;
  };
  let groups: number[];
  if (double === -1) {
    const all = split(s);
    if (all === undefined) return undefined;
    groups = [...all, ...tail];
    if (groups.length !== 8) return undefined;
  } else {
    const head = split(s.slice(0, double));
    const rest = split(s.slice(double + 2));
    if (head === undefined || rest === undefined) return undefined;
    const known = head.length + rest.length + tail.length;
    if (known > 7) return undefined;
    groups = [...head, ...new Array<number>(8 - known).fill(0), ...rest, ...tail];
  }
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    out[2 * i] = groups[i]! >> 8;
    out[2 * i + 1] = groups[i]! & 0xff;
  }
  return out;
}
