/**
 * Headless Chromium inside a network namespace, through the project's launcher
 * (web-node/chromium.ts): a temporary wrapper script `exec ip netns exec NS chromium "$@"`
 * is the executable, so playwright's pipe crosses into the namespace. The page is opened by
 * IP, so that origin is marked secure for the camera; WebRTC host candidates are not hidden
 * behind mDNS names (multicast does not cross the namespaces' routing).
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findChromium, launchChromium, type LaunchedChromium } from '../../web-node/chromium.ts';

/** Options of `launchChromiumInNamespace`. */
export interface NamespacedChromiumOptions {
  /** Namespace to run in. Required. */
  ns: string;
  /** Origins (e.g. `http://10.213.1.1:8080`) treated as secure. Default none. */
  secureOrigins?: string[];
  /** Extra flags. */
  args?: string[];
}

/** Launches Chromium in `ns`; `close()` closes it and removes the wrapper, safe to call twice. */
export async function launchChromiumInNamespace(options: NamespacedChromiumOptions): Promise<LaunchedChromium> {
  if (!/^[A-Za-z0-9_.-]+$/.test(options.ns)) throw new TypeError(`bad namespace name [ns:${options.ns}]`);
  const binary = findChromium();
  const dir = await mkdtemp(join(tmpdir(), 'fwtl-chromium-'));
  const wrapper = join(dir, 'chromium');
  await writeFile(wrapper, `#!/bin/sh\nexec ip netns exec '${options.ns}' '${binary}' "$@"\n`);
  await chmod(wrapper, 0o755);
  const args = ['--disable-features=WebRtcHideLocalIpsWithMdns', ...(options.args ?? [])];
  if (options.secureOrigins?.length) args.push(`--unsafely-treat-insecure-origin-as-secure=${options.secureOrigins.join(',')}`);
  // NOTE: launchChromium has no executablePath option; CHROMIUM_PATH (its documented
  // override) is read synchronously inside the call, so it is set only around it.
  const saved = process.env['CHROMIUM_PATH'];
  let launching: Promise<LaunchedChromium>;
  process.env['CHROMIUM_PATH'] = wrapper;
  try {
    launching = launchChromium({ fakeCamera: true, args });
  } finally {
    if (saved === undefined) delete process.env['CHROMIUM_PATH'];
    else process.env['CHROMIUM_PATH'] = saved;
  }
  let launched: LaunchedChromium;
  try {
    launched = await launching;
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  let closed = false;
  return {
    browser: launched.browser,
    async close() {
      if (closed) return;
      closed = true;
      await launched.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
