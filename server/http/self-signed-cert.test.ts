import { createPrivateKey, X509Certificate } from 'node:crypto';
import { chmod, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../../bench/test-support/temp-dir.ts';
import {
  certificateNames,
  interfaceAddresses,
  isReusable,
  loadOrCreateSelfSignedCert,
  SELF_SIGNED_CN,
  type SelfSignedCertOptions,
} from './self-signed-cert.ts';

const DAY_MS = 86_400_000;

describe('loadOrCreateSelfSignedCert', () => {
  const tempDir = useTempDir('framewire-self-signed-');
  /** Options for a data dir inside the test's temp dir, with fixed machine names. */
  async function options(extra: Partial<SelfSignedCertOptions> = {}): Promise<SelfSignedCertOptions> {
    return { dataDir: join(await tempDir(), 'data', 'framewire'), hostname: 'box', addresses: ['192.168.1.20', '2001:db8::20'], ...extra };
  }

  describe('a new data directory', () => {
    it('generates cert.pem and key.pem (key 0600, directory 0700) for this machine', async () => {
      const o = await options({ host: 'relay.example' });
      const cert = await loadOrCreateSelfSignedCert(o);
      expect(cert.created).toBe(true);
      expect(cert.certFile).toBe(join(o.dataDir, 'cert.pem'));
      expect(cert.keyFile).toBe(join(o.dataDir, 'key.pem'));
      expect((await stat(cert.keyFile)).mode & 0o777).toBe(0o600);
      expect((await stat(o.dataDir)).mode & 0o777).toBe(0o700);
      expect(await readFile(cert.certFile, 'utf8')).toBe(cert.cert);
      expect(await readFile(cert.keyFile, 'utf8')).toBe(cert.key);

      const x509 = new X509Certificate(cert.cert);
      expect(x509.subject).toBe(`CN=${SELF_SIGNED_CN}`);
      expect(x509.fingerprint256).toBe(cert.fingerprint);
      expect(x509.checkPrivateKey(createPrivateKey(cert.key))).toBe(true);
      expect(x509.publicKey.asymmetricKeyType).toBe('ec');
      expect(x509.ca).toBe(false);
      const sans = x509.subjectAltName!.split(', ');
      expect(sans).toEqual(
        expect.arrayContaining(['DNS:localhost', 'DNS:box', 'DNS:relay.example', 'IP Address:127.0.0.1', 'IP Address:0:0:0:0:0:0:0:1', 'IP Address:192.168.1.20', 'IP Address:2001:DB8:0:0:0:0:0:20']),
      );
      expect(sans).toHaveLength(7);
      const days = (new Date(x509.validTo).getTime() - Date.now()) / DAY_MS;
      expect(days).toBeGreaterThan(364);
      expect(days).toBeLessThanOrEqual(365);
      expect(new Date(x509.validFrom).getTime()).toBeLessThan(Date.now());
    });

    it('uses the real host name and interface addresses by default', async () => {
      const cert = await loadOrCreateSelfSignedCert({ dataDir: await tempDir() });
      expect(cert.names.dns).toEqual(['localhost', ...(hostname().toLowerCase() === 'localhost' ? [] : [hostname().toLowerCase()])]);
      const x509 = new X509Certificate(cert.cert);
      for (const ip of interfaceAddresses()) expect(x509.checkIP(ip)).toBe(ip);
    });
  });

  describe('reuse', () => {
    it('returns the kept certificate on the next start: same fingerprint', async () => {
      const o = await options();
      const a = await loadOrCreateSelfSignedCert(o);
      const b = await loadOrCreateSelfSignedCert(o);
      expect(b.created).toBe(false);
      expect(b.fingerprint).toBe(a.fingerprint);
      expect(b.key).toBe(a.key);
    });

    it('keeps it when the machine has fewer addresses than it covers', async () => {
      const o = await options();
      const a = await loadOrCreateSelfSignedCert(o);
      const b = await loadOrCreateSelfSignedCert({ ...o, addresses: ['192.168.1.20'] });
      expect(b.fingerprint).toBe(a.fingerprint);
    });

    it('narrows a kept key that others can read to 0600', async () => {
      const o = await options();
      const a = await loadOrCreateSelfSignedCert(o);
      await chmod(a.keyFile, 0o644);
      const b = await loadOrCreateSelfSignedCert(o);
      expect(b.fingerprint).toBe(a.fingerprint);
      expect((await stat(b.keyFile)).mode & 0o777).toBe(0o600);
    });
  });

  describe('regeneration', () => {
    it('when the certificate was deleted', async () => {
      const o = await options();
      const a = await loadOrCreateSelfSignedCert(o);
      await rm(a.certFile);
      const b = await loadOrCreateSelfSignedCert(o);
      expect(b.created).toBe(true);
      expect(b.fingerprint).not.toBe(a.fingerprint);
      expect(await readFile(b.certFile, 'utf8')).toBe(b.cert);
    });

    it('when it has expired', async () => {
      const o = await options();
      const a = await loadOrCreateSelfSignedCert({ ...o, now: new Date(Date.now() - 400 * DAY_MS) });
      expect(new Date(new X509Certificate(a.cert).validTo).getTime()).toBeLessThan(Date.now());
      const b = await loadOrCreateSelfSignedCert(o);
      expect(b.created).toBe(true);
      expect(b.fingerprint).not.toBe(a.fingerprint);
    });

    it('when it is valid for 30 days or less, not when for more', async () => {
      const o = await options();
      const a = await loadOrCreateSelfSignedCert({ ...o, now: new Date(Date.now() - 300 * DAY_MS) }); // 65 days left
      expect((await loadOrCreateSelfSignedCert(o)).fingerprint).toBe(a.fingerprint);
      const c = await loadOrCreateSelfSignedCert({ ...o, now: new Date(Date.now() + 40 * DAY_MS) }); // 25 days left then
      expect(c.created).toBe(true);
      expect(c.fingerprint).not.toBe(a.fingerprint);
    });

    it('when the machine has an address it does not cover', async () => {
      const o = await options();
      const a = await loadOrCreateSelfSignedCert(o);
      const b = await loadOrCreateSelfSignedCert({ ...o, addresses: ['10.0.0.7'] });
      expect(b.created).toBe(true);
      expect(b.fingerprint).not.toBe(a.fingerprint);
      expect(new X509Certificate(b.cert).checkIP('10.0.0.7')).toBe('10.0.0.7');
      expect(new X509Certificate(b.cert).checkIP('192.168.1.20')).toBeUndefined();
    });

    it('when the host name changed, or --host names something it does not cover', async () => {
      const o = await options();
      const a = await loadOrCreateSelfSignedCert(o);
      const b = await loadOrCreateSelfSignedCert({ ...o, hostname: 'other-box' });
      expect(b.fingerprint).not.toBe(a.fingerprint);
      const c = await loadOrCreateSelfSignedCert({ ...o, hostname: 'other-box', host: '10.1.2.3' });
      expect(c.fingerprint).not.toBe(b.fingerprint);
      expect(new X509Certificate(c.cert).checkIP('10.1.2.3')).toBe('10.1.2.3');
    });

    it('when the files hold something else: a foreign certificate, garbage, a key of another certificate', async () => {
      const o = await options();
      const a = await loadOrCreateSelfSignedCert(o);
      // A certificate of another machine, written over ours.
      const foreign = await loadOrCreateSelfSignedCert({ ...o, dataDir: join(o.dataDir, '..', 'foreign'), hostname: 'elsewhere', addresses: ['10.9.9.9'] });
      await writeFile(a.certFile, foreign.cert);
      await writeFile(a.keyFile, foreign.key);
      const b = await loadOrCreateSelfSignedCert(o);
      expect(b.created).toBe(true);
      expect([a.fingerprint, foreign.fingerprint]).not.toContain(b.fingerprint);

      await writeFile(b.certFile, 'garbage');
      const c = await loadOrCreateSelfSignedCert(o);
      expect(c.created).toBe(true);

      await writeFile(c.keyFile, b.key);
      const d = await loadOrCreateSelfSignedCert(o);
      expect(d.created).toBe(true);
      expect(new X509Certificate(d.cert).checkPrivateKey(createPrivateKey(await readFile(d.keyFile, 'utf8')))).toBe(true);
    });
  });
});

describe('certificateNames', () => {
  it('always has localhost, 127.0.0.1 and ::1, plus the machine name, its addresses and a specific host', () => {
    expect(certificateNames({ host: 'Relay.Example', hostname: 'Box', addresses: ['10.0.0.2', '2001:db8::2', '10.0.0.2'] })).toEqual({
      dns: ['localhost', 'box', 'relay.example'],
      ips: ['127.0.0.1', '::1', '10.0.0.2', '2001:db8::2'],
    });
  });

  it('adds no wildcard host, and a host that is an address as an IP', () => {
    expect(certificateNames({ host: '0.0.0.0', hostname: 'box', addresses: [] })).toEqual({ dns: ['localhost', 'box'], ips: ['127.0.0.1', '::1'] });
    expect(certificateNames({ host: '::', hostname: 'box', addresses: [] }).ips).toEqual(['127.0.0.1', '::1']);
    expect(certificateNames({ host: '[2001:db8::9]', hostname: 'box', addresses: [] }).ips).toEqual(['127.0.0.1', '::1', '2001:db8::9']);
  });
});

describe('interfaceAddresses', () => {
  it('lists every non-internal address but IPv6 link-local ones', () => {
    const expected = Object.values(networkInterfaces())
      .flatMap((list) => list ?? [])
      .filter((a) => !a.internal && !(a.family === 'IPv6' && a.address.toLowerCase().startsWith('fe80')))
      .map((a) => a.address);
    expect(interfaceAddresses()).toEqual(expected);
    expect(interfaceAddresses()).not.toContain('127.0.0.1');
  });
});

describe('isReusable', () => {
  it('refuses a certificate that is not valid yet, and text that is not one', async () => {
    const names = { dns: ['localhost'], ips: ['127.0.0.1'] };
    expect(isReusable('not a certificate', names, new Date())).toBe(false);
    const { generate } = await import('selfsigned');
    const future = await generate([{ name: 'commonName', value: 'x' }], {
      keyType: 'ec',
      notBeforeDate: new Date(Date.now() + DAY_MS),
      notAfterDate: new Date(Date.now() + 100 * DAY_MS),
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] }],
    });
    expect(isReusable(future.cert, names, new Date(Date.now() + 2 * DAY_MS))).toBe(true);
    expect(isReusable(future.cert, names, new Date())).toBe(false);
  });
});
