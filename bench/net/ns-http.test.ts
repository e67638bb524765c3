/**
 * `requestInNamespace` against a tiny server in the relay namespace of a real topology.
 * Needs root (CI is root); without it the test fails and says so, `FRAMEWIRE_SKIP_NETNS=1`
 * skips it explicitly.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { requestInNamespace } from './ns-http.ts';
import { canCreateNamespaces, createTopology, listNamespaces, type Topology } from './topology.ts';

const SKIP_SWITCH = 'FRAMEWIRE_SKIP_NETNS';

// Answers every request 308 to https://<Host><url>, with the method in a header.
const SERVER = `
require('node:http').createServer((req, res) => {
  res.writeHead(308, { location: 'https://' + req.headers.host + req.url, 'x-method': req.method });
  res.end('moved');
}).listen(8081, '0.0.0.0', () => process.stdout.write('ready\\n'));
`;

describe('requestInNamespace', () => {
  let topology: Topology | undefined;
  let server: ChildProcess | undefined;
  afterEach(() => {
    server?.kill('SIGKILL');
    const names = topology?.namespaces ?? [];
    topology?.close();
    expect(listNamespaces().filter((ns) => names.includes(ns))).toEqual([]);
  });

  it('makes a request from a home to the relay namespace and reports the answer as is', async (ctx) => {
    if (process.env[SKIP_SWITCH] === '1') ctx.skip(`${SKIP_SWITCH}=1: network-namespace tests skipped on request`);
    if (!canCreateNamespaces()) throw new Error(`this test needs root (it creates network namespaces) [uid:${process.getuid?.()}]: run it as root, or set ${SKIP_SWITCH}=1 to skip it`);
    topology = await createTopology({ homes: [{ name: 'a', upMbit: null, downMbit: null }], tag: 'nh' });
    const home = topology.home('a');
    server = spawn('ip', ['netns', 'exec', topology.relayNs, process.execPath, '-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((done) => server!.stdout!.once('data', () => done()));

    const answer = await requestInNamespace(home.ns, `http://${home.relayIp}:8081/?room=x`, { method: 'HEAD' });
    expect(answer).toMatchObject({ status: 308, body: '' });
    expect(answer.headers['location']).toBe(`https://${home.relayIp}:8081/?room=x`);
    expect(answer.headers['x-method']).toBe('HEAD');
    expect(answer.certificate).toBeUndefined();
    // A refused connection comes back as an error with Node's code.
    await expect(requestInNamespace(home.ns, `http://${home.relayIp}:1/`)).rejects.toThrow(/ECONNREFUSED/);
  });
});
