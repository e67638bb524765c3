/**
 * TLS for the relay CLI in one call: applies the policy (tls-policy.ts) to the host and
 * options, loads the given certificate files or the kept / new self-signed certificate
 * (self-signed-cert.ts), and hands back the server factory for `RelayOptions.createServer`
 * (tls-server.ts), the fingerprint to print, and the reload that SIGHUP triggers.
 */
import { dirname, resolve } from 'node:path';
import type { ServerFactory } from './server-factory.ts';
import { loadOrCreateSelfSignedCert } from './self-signed-cert.ts';
import { readTlsFiles, reloadTlsFiles, TlsError, type CheckedCredentials } from './tls-credentials.ts';
import { tlsPolicy } from './tls-policy.ts';
import { tlsServerFactory, type TlsRelayServer } from './tls-server.ts';

/** TLS options of the CLI (`--tls-cert`, `--tls-key`, `--no-tls`, `--data-dir`). */
export interface TlsOptions {
  /** PEM certificate file (the leaf first, then any intermediates). Default none. */
  certFile?: string;
  /** PEM private key file of `certFile` (unencrypted). Default none. */
  keyFile?: string;
  /** Plain HTTP whatever the host (behind a TLS-terminating proxy). Default false. */
  noTls?: boolean;
  /** Directory where a self-signed certificate is kept. Required. */
  dataDir: string;
}

/** How the relay serves, once decided and loaded. */
export interface TlsSetup {
  /** 'plain' HTTP, TLS with the given 'files', or TLS with a 'self-signed' certificate. */
  mode: 'plain' | 'files' | 'self-signed';
  /** For `RelayOptions.createServer`; undefined for plain HTTP (the relay's default). */
  createServer: ServerFactory | undefined;
  /** The served certificate (undefined for plain HTTP). */
  credentials: CheckedCredentials | undefined;
  /** Where the served certificate and key are (the given files, or the data directory's). */
  certFile: string | undefined;
  keyFile: string | undefined;
  /** Self-signed: true if it was generated now, false if the kept one was reused. */
  created: boolean;
  /**
   * Re-reads `certFile`/`keyFile` and swaps them into the server for new connections (mode
   * 'files'); resolves with the new credentials. Throws `TlsError` — 'no-files' in the other
   * modes, 'not-tls' before the server exists — and then the server keeps its certificate.
   */
  reload(): Promise<CheckedCredentials>;
}

/** Decides and loads TLS for a relay listening on `host`. Throws `TlsError` for unusable files, TypeError for contradicting options. */
export async function prepareTls(host: string, options: TlsOptions): Promise<TlsSetup> {
  const policy = tlsPolicy({ host, certFile: options.certFile, keyFile: options.keyFile, noTls: options.noTls });
  if (policy === 'plain') {
    return { mode: 'plain', createServer: undefined, credentials: undefined, certFile: undefined, keyFile: undefined, created: false, reload: () => Promise.reject(TlsError.noFiles('plain')) };
  }
  let server: TlsRelayServer | undefined;
  const factory = (credentials: CheckedCredentials): ServerFactory => tlsServerFactory({ cert: credentials.cert, key: credentials.key }, (s) => (server = s));
  if (policy === 'self-signed') {
    const cert = await loadOrCreateSelfSignedCert({ dataDir: options.dataDir, host });
    return {
      mode: 'self-signed',
      createServer: factory(cert),
      credentials: cert,
      certFile: cert.certFile,
      keyFile: cert.keyFile,
      created: cert.created,
      reload: () => Promise.reject(TlsError.noFiles('self-signed')),
    };
  }
  const { certFile, keyFile } = policy;
  const credentials = await readTlsFiles(certFile, keyFile);
  const setup: TlsSetup = {
    mode: 'files',
    createServer: factory(credentials),
    credentials,
    certFile,
    keyFile,
    created: false,
    async reload() {
      if (server === undefined) throw TlsError.notTls();
      const fresh = await reloadTlsFiles(server, certFile, keyFile);
      setup.credentials = fresh;
      return fresh;
    },
  };
  return setup;
}

/**
 * What the CLI prints about TLS under the URLs: the certificate's fingerprint; for a
 * self-signed one where it is kept and that the browser will warn; a given certificate
 * that has expired at `now`. None for plain HTTP.
 */
export function tlsSummary(setup: TlsSetup, now = new Date()): string[] {
  const credentials = setup.credentials;
  if (credentials === undefined) return [];
  const lines = [`certificate SHA-256 fingerprint: ${credentials.fingerprint}`];
  if (setup.mode === 'self-signed') {
    const where = dirname(resolve(setup.certFile ?? '.'));
    lines.push(`self-signed, ${setup.created ? 'generated' : 'kept'} in ${where}: your browser will warn — check that it shows this fingerprint`);
  }
  if (credentials.notAfter.getTime() <= now.getTime()) lines.push(`warning: the certificate expired on ${credentials.notAfter.toISOString()}: browsers will refuse it`);
  return lines;
}
