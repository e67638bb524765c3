/**
 * The certificate and key a TLS relay serves: read from PEM files, checked (a certificate,
 * a private key, and the one belongs to the other), their SHA-256 fingerprint, and swapped
 * into a running server (what SIGHUP does). Errors are `TlsError`s with a stable `code`.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Server as TlsServer } from 'node:tls';
import type { RelayServer } from './server-factory.ts';

/** A certificate (PEM, the leaf first; a chain may follow) and its private key (PEM). */
export interface TlsCredentials {
  cert: string;
  key: string;
}

/** Checked credentials, with what a person needs to recognise them. */
export interface CheckedCredentials extends TlsCredentials {
  /** SHA-256 fingerprint of the leaf certificate, `AB:CD:…` (what browsers show). */
  fingerprint: string;
  /** End of the leaf certificate's validity. */
  notAfter: Date;
}

/** Stable codes of `TlsError`. */
export type TlsErrorCode = 'read-failed' | 'bad-cert' | 'bad-key' | 'key-mismatch' | 'not-tls' | 'no-files';

/** A certificate or key that cannot be used, or a server that cannot take one. */
export class TlsError extends Error {
  override readonly name = 'TlsError';
  readonly code: TlsErrorCode;

  private constructor(code: TlsErrorCode, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
  }

  static readFailed(path: string, cause: unknown): TlsError {
    return new TlsError('read-failed', `cannot read TLS file [path:${path}]: ${reason(cause)}`, cause);
  }

  static badCert(where: string, cause: unknown): TlsError {
    return new TlsError('bad-cert', `not a PEM certificate [${where}]: ${reason(cause)}`, cause);
  }

  static badKey(where: string, cause: unknown): TlsError {
    return new TlsError('bad-key', `not a PEM private key (an encrypted key is not supported) [${where}]: ${reason(cause)}`, cause);
  }

  static keyMismatch(certWhere: string, keyWhere: string): TlsError {
    return new TlsError('key-mismatch', `the private key does not belong to the certificate [cert:${certWhere}, key:${keyWhere}]`);
  }

  static notTls(): TlsError {
    return new TlsError('not-tls', 'the server does not speak TLS: no certificate to replace');
  }

  static noFiles(mode: string): TlsError {
    return new TlsError('no-files', `no certificate files to reload: the relay was started without --tls-cert/--tls-key [mode:${mode}]`);
  }
}

function reason(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}

/** SHA-256 fingerprint of the first certificate in `certPem`, `AB:CD:…`. Throws `TlsError` 'bad-cert'. */
export function fingerprintOf(certPem: string): string {
  return parseCert(certPem, 'pem').fingerprint256;
}

/**
 * Checks that `cert` holds a certificate, `key` a private key, and that they belong
 * together; `certWhere`/`keyWhere` name them in errors (a path). Throws `TlsError`.
 */
export function checkCredentials(credentials: TlsCredentials, certWhere = 'cert', keyWhere = 'key'): CheckedCredentials {
  const x509 = parseCert(credentials.cert, certWhere);
  let key: KeyObject;
  try {
    key = createPrivateKey(credentials.key);
  } catch (error) {
    throw TlsError.badKey(keyWhere, error);
  }
  if (!x509.checkPrivateKey(key)) throw TlsError.keyMismatch(certWhere, keyWhere);
  return { ...credentials, fingerprint: x509.fingerprint256, notAfter: new Date(x509.validTo) };
}

/** Reads and checks a PEM certificate file and its key file. Throws `TlsError`. */
export async function readTlsFiles(certFile: string, keyFile: string): Promise<CheckedCredentials> {
  // Both read at once, but a failure is reported in order (the certificate's first): whichever
  // read failed first must not decide which file the message names.
  const [cert, key] = await Promise.allSettled([readText(certFile), readText(keyFile)]);
  if (cert.status === 'rejected') throw cert.reason;
  if (key.status === 'rejected') throw key.reason;
  return checkCredentials({ cert: cert.value, key: key.value }, certFile, keyFile);
}

/**
 * Re-reads `certFile` and `keyFile` and makes `server` hand them to every new connection
 * (open ones keep theirs). On any error the server keeps the certificate it had. Resolves
 * with the new credentials (`fingerprint`, `notAfter`); throws `TlsError`.
 */
export async function reloadTlsFiles(server: RelayServer, certFile: string, keyFile: string): Promise<CheckedCredentials> {
  if (!(server instanceof TlsServer)) throw TlsError.notTls();
  const checked = await readTlsFiles(certFile, keyFile);
  server.setSecureContext({ cert: checked.cert, key: checked.key });
  return checked;
}

function parseCert(pem: string, where: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (error) {
    throw TlsError.badCert(where, error);
  }
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw TlsError.readFailed(path, error);
  }
}
