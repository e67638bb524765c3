import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { useTempDir } from '../../bench/test-support/temp-dir.ts';
import { startRelay, type Relay } from '../relay.ts';
import { loadOrCreateSelfSignedCert } from './self-signed-cert.ts';
import { prepareTls, tlsSummary } from './tls-setup.ts';

const relays: Relay[] = [];
afterEach(async () => {
  await Promise.all(relays.splice(0).map((r) => r.close()));
});

describe('prepareTls', () => {
  const tempDir = useTempDir('framewire-tls-setup-');

  it('plain on loopback without a certificate, and with --no-tls anywhere: no factory, nothing to reload', async () => {
    const dataDir = join(await tempDir(), 'data');
    for (const setup of [await prepareTls('127.0.0.1', { dataDir }), await prepareTls('0.0.0.0', { dataDir, noTls: true })]) {
      expect(setup).toMatchObject({ mode: 'plain', createServer: undefined, credentials: undefined });
      await expect(setup.reload()).rejects.toMatchObject({ code: 'no-files' });
    }
  });

  it('self-signed beyond loopback: kept in the data directory, reused next time', async () => {
    const dataDir = join(await tempDir(), 'data');
    const setup = await prepareTls('0.0.0.0', { dataDir });
    expect(setup).toMatchObject({ mode: 'self-signed', created: true, certFile: join(dataDir, 'cert.pem'), keyFile: join(dataDir, 'key.pem') });
    expect((await prepareTls('0.0.0.0', { dataDir })).credentials!.fingerprint).toBe(setup.credentials!.fingerprint);
    const relay = await startRelay({ logLevel: 'silent', createServer: setup.createServer });
    relays.push(relay);
    expect(relay.url).toMatch(/^https:/);
    await expect(setup.reload()).rejects.toMatchObject({ code: 'no-files' });
  });

  it('given files: served, and reload() re-reads them into the running server', async () => {
    const dir = await tempDir();
    const one = await loadOrCreateSelfSignedCert({ dataDir: join(dir, 'one'), addresses: [] });
    const two = await loadOrCreateSelfSignedCert({ dataDir: join(dir, 'two'), addresses: [] });
    const certFile = join(dir, 'cert.pem');
    const keyFile = join(dir, 'key.pem');
    await writeFile(certFile, one.cert);
    await writeFile(keyFile, one.key);
    const setup = await prepareTls('127.0.0.1', { dataDir: join(dir, 'unused'), certFile, keyFile });
    expect(setup).toMatchObject({ mode: 'files', certFile, keyFile });
    expect(setup.credentials!.fingerprint).toBe(one.fingerprint);
    await expect(setup.reload()).rejects.toMatchObject({ code: 'not-tls' }); // no server yet
    const relay = await startRelay({ logLevel: 'silent', createServer: setup.createServer });
    relays.push(relay);
    await writeFile(certFile, two.cert);
    await writeFile(keyFile, two.key);
    expect((await setup.reload()).fingerprint).toBe(two.fingerprint);
    expect(setup.credentials!.fingerprint).toBe(two.fingerprint);
  });

  it('fails to start with unusable files', async () => {
    const dir = await tempDir();
    await expect(prepareTls('0.0.0.0', { dataDir: dir, certFile: join(dir, 'no.pem'), keyFile: join(dir, 'no-key.pem') })).rejects.toMatchObject({ code: 'read-failed' });
  });
});

describe('tlsSummary', () => {
  const tempDir = useTempDir('framewire-tls-summary-');

  it('prints nothing for plain HTTP; the fingerprint, where a self-signed one is kept, and an expired certificate', async () => {
    const dataDir = join(await tempDir(), 'data');
    expect(tlsSummary(await prepareTls('127.0.0.1', { dataDir }))).toEqual([]);
    const created = await prepareTls('0.0.0.0', { dataDir });
    expect(tlsSummary(created)).toEqual([
      `certificate SHA-256 fingerprint: ${created.credentials!.fingerprint}`,
      `self-signed, generated in ${dataDir}: your browser will warn — check that it shows this fingerprint`,
    ]);
    const kept = await prepareTls('0.0.0.0', { dataDir });
    expect(tlsSummary(kept)[1]).toMatch(/^self-signed, kept in /);
    const later = new Date(kept.credentials!.notAfter.getTime() + 1000);
    expect(tlsSummary(kept, later)[2]).toBe(`warning: the certificate expired on ${kept.credentials!.notAfter.toISOString()}: browsers will refuse it`);
  });
});
