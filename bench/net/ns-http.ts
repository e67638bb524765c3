/**
 * One HTTP(S) request made from inside a network namespace (the namespaces' addresses are
 * not reachable from the root namespace): `ip netns exec NS node -e SCRIPT` with Node's own
 * `http`/`https`, no redirect following, certificates not verified — the answer is reported,
 * with the served certificate's fingerprint and names for https.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { COMMAND_TIMEOUT_MS } from './topology.ts';

const run = promisify(execFile);

/** What came back. */
export interface NsResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The first 4 KiB of the body, as UTF-8. */
  body: string;
  /** https only: the server's certificate as Node describes it. */
  certificate?: { fingerprint256: string; subject: string; subjectaltname: string; validTo: string };
}

/** Options of `requestInNamespace`. */
export interface NsRequestOptions {
  /** Request method. Default 'GET'. */
  method?: string;
  /** Request headers. Default none. */
  headers?: Record<string, string>;
  /** Longest wait, ms. Default 10 000. */
  timeoutMs?: number;
}

// NOTE: runs in a bare `node` (no tsx), so it is plain JavaScript; its input is argv[1..2].
const SCRIPT = `
const [url, optionsJson] = process.argv.slice(1);
const options = JSON.parse(optionsJson);
const mod = url.startsWith('https:') ? require('node:https') : require('node:http');
const req = mod.request(url, { method: options.method, headers: options.headers, rejectUnauthorized: false, agent: false, timeout: options.timeoutMs }, (res) => {
  const cert = res.socket.getPeerCertificate ? res.socket.getPeerCertificate() : undefined;
  let body = Buffer.alloc(0);
  res.on('data', (c) => { if (body.length < 4096) body = Buffer.concat([body, c]); });
  res.on('end', () => {
    const out = { status: res.statusCode, headers: res.headers, body: body.subarray(0, 4096).toString('utf8') };
    if (cert && cert.fingerprint256) out.certificate = { fingerprint256: cert.fingerprint256, subject: JSON.stringify(cert.subject), subjectaltname: cert.subjectaltname || '', validTo: cert.valid_to };
    process.stdout.write(JSON.stringify(out));
    process.exit(0);
  });
});
req.on('timeout', () => req.destroy(new Error('timeout after ' + options.timeoutMs + ' ms')));
req.on('error', (e) => { process.stderr.write(String(e && e.message || e)); process.exit(3); });
req.end();
`;

/** Makes one request to `url` from inside `ns`; throws with the error Node gave (refused, reset, timeout). */
export async function requestInNamespace(ns: string, url: string, options: NsRequestOptions = {}): Promise<NsResponse> {
  if (!/^[A-Za-z0-9_.-]+$/.test(ns)) throw new TypeError(`bad namespace name [ns:${ns}]`);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const input = JSON.stringify({ method: options.method ?? 'GET', headers: options.headers ?? {}, timeoutMs });
  try {
    const { stdout } = await run('ip', ['netns', 'exec', ns, process.execPath, '-e', SCRIPT, url, input], { timeout: Math.max(COMMAND_TIMEOUT_MS, timeoutMs + 5_000) });
    return JSON.parse(stdout) as NsResponse;
  } catch (error) {
    const e = error as { stderr?: string; message?: string };
    throw new Error(`request from namespace failed [ns:${ns}, url:${url}]: ${(e.stderr || e.message || String(error)).trim()}`);
  }
}
