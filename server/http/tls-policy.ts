/**
 * Whether the relay speaks TLS, and with which certificate — decided from the listening
 * host and the TLS options alone (no files are read here):
 *
 * - a certificate and key given → TLS with them;
 * - `noTls` → plain HTTP (behind a TLS-terminating proxy);
 * - a loopback host (127.0.0.1, ::1, localhost) → plain HTTP: `http://localhost` is already
 *   a secure context, so the camera works;
 * - any other host (0.0.0.0, ::, a LAN address, a name) → TLS with a self-signed
 *   certificate: browsers give the camera to other machines' pages only over HTTPS.
 */
import { isIP } from 'node:net';

/** Input of `tlsPolicy`. */
export interface TlsPolicyInput {
  /** Interface the relay listens on. Required. */
  host: string;
  /** PEM certificate file. Default none. */
  certFile?: string | undefined;
  /** PEM private key file of `certFile`. Default none. */
  keyFile?: string | undefined;
  /** Never TLS. Default false. */
  noTls?: boolean | undefined;
}

/** What the relay serves: plain HTTP, TLS with the given files, or TLS with a self-signed certificate. */
export type TlsPolicy = 'plain' | 'self-signed' | { certFile: string; keyFile: string };

/**
 * Applies the rule above. Throws TypeError for a certificate without key (or the reverse)
 * and for `noTls` with a certificate — the CLI rejects both before.
 */
export function tlsPolicy(input: TlsPolicyInput): TlsPolicy {
  const { certFile, keyFile, noTls = false } = input;
  if ((certFile === undefined) !== (keyFile === undefined)) throw new TypeError(`TLS needs both a certificate and its key [certFile:${String(certFile)}, keyFile:${String(keyFile)}]`);
  if (noTls && certFile !== undefined) throw new TypeError(`noTls contradicts a certificate [certFile:${certFile}]`);
  if (certFile !== undefined && keyFile !== undefined) return { certFile, keyFile };
  if (noTls || isLoopbackHost(input.host)) return 'plain';
  return 'self-signed';
}

/** True for a host that only this machine can reach: `localhost`, 127.0.0.0/8, `::1` (and `::ffff:127.x.x.x`). */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(h);
  return false;
}

/** True for a host that names every interface (`0.0.0.0`, `::`, or empty): no address of its own to put in a certificate. */
export function isWildcardHost(host: string): boolean {
  const h = host.trim().replace(/^\[(.*)\]$/, '$1');
  return h === '' || h === '0.0.0.0' || h === '::' || h === '0:0:0:0:0:0:0:0';
}
