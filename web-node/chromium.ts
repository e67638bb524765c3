/**
 * Launches the system Chromium (Debian's `chromium`) through playwright-core for the
 * real-browser tests and the latency bench. Never downloads a browser: when Chromium is
 * missing it throws an error saying how to install it, so the suite fails loudly instead of
 * skipping.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Where Chromium is looked for, in order. `CHROMIUM_PATH` overrides. */
export const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** Options of `launchChromium`. */
export interface LaunchOptions {
  /** Give the page a fake camera and auto-accept the permission prompt. Default true. */
  fakeCamera?: boolean;
  /** Deny camera access instead (for the "camera denied" test). Default false. */
  denyCamera?: boolean;
  /** Extra command-line flags. */
  args?: string[];
}

/** A launched browser; `close()` is safe to call twice. (playwright gives every launch a fresh temporary profile.) */
export interface LaunchedChromium {
  browser: Browser;
  close(): Promise<void>;
}

/** Path of the Chromium binary, or throws with installation instructions. */
export function findChromium(): string {
  const override = process.env['CHROMIUM_PATH'];
  const candidates = override ? [override] : CHROMIUM_CANDIDATES;
  const found = candidates.find((path) => existsSync(path));
  if (found === undefined) {
    throw new Error(
      `Chromium not found [looked in: ${candidates.join(', ')}]. ` +
        'Install it with `sudo apt-get install -y chromium` (Debian/Ubuntu), or set CHROMIUM_PATH to a Chromium/Chrome binary.',
    );
  }
  return found;
}

/** Launches headless Chromium with a fresh profile and the flags this machine needs. */
export async function launchChromium(options: LaunchOptions = {}): Promise<LaunchedChromium> {
  const args = [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-quic',
    // Keep timers and rAF running at full rate in background/occluded pages.
    '--disable-background-timer-throttling',
    '--disable-renderer-backgrounding',
    '--disable-backgrounding-occluded-windows',
    '--autoplay-policy=no-user-gesture-required',
  ];
  if (options.denyCamera) {
    args.push('--use-fake-device-for-media-stream', '--deny-permission-prompts');
  } else if (options.fakeCamera ?? true) {
    args.push('--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream');
  }
  args.push(...(options.args ?? []));
  const browser = await chromium.launch({ executablePath: findChromium(), headless: true, args });
  let closed = false;
  return {
    browser,
    async close() {
      if (closed) return;
      closed = true;
      await browser.close().catch(() => undefined);
    },
  };
}
