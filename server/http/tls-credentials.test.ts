import { X509Certificate } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generate } from 'selfsigned';
import { useTempDir } from '../../bench/test-support/temp-dir.ts';
import { createPlainServer } from './server-factory.ts';
import { checkCredentials, fingerprintOf, readTlsFiles, reloadTlsFiles, TlsError } from './tls-credentials.ts';

let a: { cert: string; key: string };
let b: { cert: string; key: string };
beforeAll(async () => {
  const make = async (cn: string) => {
    const pems = await generate([{ name: 'commonName', value: cn }], { keyType: 'ec', algorithm: 'sha256' });
    return { cert: pems.cert, key: pems.private };
  };
  [a, b] = await Promise.all([make('a.example'), make('b.example')]);
});

describe('TLS credentials', () => {
  const tempDir = useTempDir('framewire-tls-credentials-');

  it('fingerprintOf is the SHA-256 fingerprint of the (first) certificate', () => {
    expect(fingerprintOf(a.cert)).toBe(new X509Certificate(a.cert).fingerprint256);
    expect(fingerprintOf(a.cert)).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(fingerprintOf(`${a.cert.trimEnd()}\n${b.cert}`)).toBe(fingerprintOf(a.cert)); // a chain: the leaf first
  });

  it('checkCredentials returns the fingerprint and the end of validity', () => {
    const checked = checkCredentials(a);
    expect(checked).toMatchObject({ cert: a.cert, key: a.key, fingerprint: fingerprintOf(a.cert) });
    expect(checked.notAfter.getTime()).toBe(new Date(new X509Certificate(a.cert).validTo).getTime());
  });

  it.each([
    ['bad-cert', () => checkCredentials({ cert: 'nope', key: a.key }, 'c.pem', 'k.pem'), /^not a PEM certificate \[c\.pem\]: /],
    ['bad-key', () => checkCredentials({ cert: a.cert, key: 'nope' }, 'c.pem', 'k.pem'), /^not a PEM private key .*\[k\.pem\]: /],
    ['key-mismatch', () => checkCredentials({ cert: a.cert, key: b.key }, 'c.pem', 'k.pem'), /^the private key does not belong to the certificate \[cert:c\.pem, key:k\.pem\]$/],
  ] as const)('refuses with code %s', (code, run, message) => {
    expect(run).toThrow(TlsError);
    expect(run).toThrow(message);
    try {
      run();
    } catch (error) {
      expect((error as TlsError).code).toBe(code);
    }
  });

  it('readTlsFiles reads both files, and names a file it cannot read', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'c.pem'), a.cert);
    await writeFile(join(dir, 'k.pem'), a.key);
    expect((await readTlsFiles(join(dir, 'c.pem'), join(dir, 'k.pem'))).fingerprint).toBe(fingerprintOf(a.cert));
    const missing = join(dir, 'missing.pem');
    await expect(readTlsFiles(missing, join(dir, 'k.pem'))).rejects.toMatchObject({ name: 'TlsError', code: 'read-failed', message: expect.stringContaining(`cannot read TLS file [path:${missing}]: ENOENT`) });
  });

  it('reloadTlsFiles refuses a plain HTTP server', async () => {
    await expect(reloadTlsFiles(createPlainServer(() => undefined), 'c.pem', 'k.pem')).rejects.toMatchObject({ code: 'not-tls' });
  });
});
