import { describe, expect, it } from 'vitest';
import { CliError, DEFAULT_CLI_PORT, helpText, parseCli } from './cli-options.ts';

describe('parseCli', () => {
  it('has the documented defaults', () => {
    const c = parseCli([], {});
    expect(c.help).toBe(false);
    expect(c.relay).toEqual({ port: DEFAULT_CLI_PORT, host: '127.0.0.1', staticDir: 'dist/web', logLevel: 'info' });
    expect(c.media).toEqual({ transcodeQuality: 75 });
  });

  it('reads flags in both forms, and environment variables; flags win', () => {
    const c = parseCli(['--port', '9000', '--host=0.0.0.0', '--max-peers', '4', '--origins', 'https://a.example, https://b.example'], {
      FRAMEWIRE_PORT: '7000',
      FRAMEWIRE_HEARTBEAT_MS: '5000',
      FRAMEWIRE_RECORD: '/tmp/rec',
      FRAMEWIRE_TRANSCODE_QUALITY: '60',
      FRAMEWIRE_LOG_LEVEL: 'debug',
    });
    expect(c.relay).toMatchObject({ port: 9000, host: '0.0.0.0', maxPeersPerRoom: 4, heartbeatMs: 5000, logLevel: 'debug', origins: ['https://a.example', 'https://b.example'] });
    expect(c.media).toEqual({ recordDir: '/tmp/rec', transcodeQuality: 60 });
  });

  it('builds ICE servers from --ice-servers, --stun and --turn', () => {
    const c = parseCli(
      ['--ice-servers', '[{"urls":"stun:a.example:3478"}]', '--stun', 'stun:b.example', '--turn', 'turn:t.example:3478', '--turn-user', 'u', '--turn-pass', 'p'],
      {},
    );
    expect(c.relay.iceServers).toEqual([
      { urls: 'stun:a.example:3478' },
      { urls: 'stun:b.example' },
      { urls: 'turn:t.example:3478', username: 'u', credential: 'p' },
    ]);
  });

  it.each([
    [['--port', '70000'], /--port must be an integer in 0..65535/],
    [['--port'], /--port needs a value/],
    [['--nope', '1'], /unknown option --nope/],
    [['stray'], /unexpected argument/],
    [['--log-level', 'loud'], /--log-level must be one of/],
    [['--transcode-quality', '0'], /--transcode-quality must be an integer in 1..100/],
    [['--ice-servers', '{bad'], /--ice-servers must be JSON/],
    [['--stun', 'http://x'], /must start with stun:/],
    [['--turn', 'turn:t.example'], /--turn needs --turn-user and --turn-pass/],
    [['--turn-user', 'u'], /need --turn URL/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseCli(argv, {})).toThrow(CliError);
    expect(() => parseCli(argv, {})).toThrow(message);
  });

  it('names the environment variable when it is the bad one', () => {
    expect(() => parseCli([], { FRAMEWIRE_MAX_PEERS: '0' })).toThrow(/FRAMEWIRE_MAX_PEERS must be an integer/);
  });

  it('--help wins and lists every option', () => {
    expect(parseCli(['--port', '1', '--help'], {}).help).toBe(true);
    expect(helpText()).toMatch(/--port N\s+FRAMEWIRE_PORT\s+default 8080/);
  });
});
