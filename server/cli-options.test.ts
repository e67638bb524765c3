import { describe, expect, it } from 'vitest';
import { IceServerError } from '../protocol/index.ts';
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
    [['--stun', 'http://x'], /--stun takes a stun: or stuns: URL \[got:http:\/\/x\]/],
    [['--stun', 'stun:a b'], /--stun: bad ICE server: url must be stun:/],
    [['--turn=turn:t.example?transport=sctp', '--turn-user=u', '--turn-pass=p'], /--turn: bad ICE server: url must be/],
    [['--ice-servers', '[{"urls":"turn:t.example"}]'], /--ice-servers: bad ICE server: entry 0: turn\/turns urls need username and credential/],
    [['--ice-servers', '"stun:x"'], /--ice-servers: bad ICE server: entry 0 is not an object/],
    [['--turn', 'turn:t.example'], /--turn needs --turn-user and --turn-pass/],
    [['--turn-user', 'u'], /need --turn URL/],
    [['--port', '--host', 'x'], /--port needs a value N/],
    [['--port='], /--port must be an integer/],
    [['-x'], /unknown option -x \(see --help\)/],
    [['--help=yes'], /--help takes no value/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseCli(argv, {})).toThrow(CliError);
    expect(() => parseCli(argv, {})).toThrow(message);
  });

  describe('repeatable options', () => {
    it('keeps every --stun, in order', () => {
      const c = parseCli(['--stun', 'stun:a.example', '--stun=stun:b.example:3478'], {});
      expect(c.relay.iceServers).toEqual([{ urls: 'stun:a.example' }, { urls: 'stun:b.example:3478' }]);
    });

    it('pairs the i-th --turn with the i-th --turn-user and --turn-pass', () => {
      const c = parseCli(
        ['--turn', 'turn:t1.example:3478', '--turn-user', 'u1', '--turn', 'turns:t2.example:5349', '--turn-pass', 'p1', '--turn-user', 'u2', '--turn-pass', 'p2'],
        {},
      );
      expect(c.relay.iceServers).toEqual([
        { urls: 'turn:t1.example:3478', username: 'u1', credential: 'p1' },
        { urls: 'turns:t2.example:5349', username: 'u2', credential: 'p2' },
      ]);
    });

    it.each([
      // two servers, one username
      [['--turn', 'turn:a.example', '--turn', 'turn:b.example', '--turn-user', 'u', '--turn-pass', 'p', '--turn-pass', 'q'], /--turn needs --turn-user and --turn-pass: the i-th --turn takes the i-th --turn-user and --turn-pass \[turn:2, turn-user:1, turn-pass:2\]/],
      // one server, two passwords
      [['--turn', 'turn:a.example', '--turn-user', 'u', '--turn-pass', 'p', '--turn-pass', 'q'], /--turn-user\/--turn-pass need --turn URL: .* \[turn:1, turn-user:1, turn-pass:2\]/],
    ])('refuses mismatched TURN counts %j', (argv, message) => {
      expect(() => parseCli(argv, {})).toThrow(CliError);
      expect(() => parseCli(argv, {})).toThrow(message);
    });

    it('accumulates --origins, each also comma-separated', () => {
      const c = parseCli(['--origins', 'https://a.example,https://b.example', '--origins=https://c.example'], {});
      expect(c.relay.origins).toEqual(['https://a.example', 'https://b.example', 'https://c.example']);
    });

    it('concatenates several --ice-servers JSON values', () => {
      const c = parseCli(['--ice-servers', '[{"urls":"stun:a.example"}]', '--ice-servers', '{"urls":["turn:t.example?transport=tcp"],"username":"u","credential":"p"}'], {});
      expect(c.relay.iceServers).toEqual([{ urls: 'stun:a.example' }, { urls: ['turn:t.example?transport=tcp'], username: 'u', credential: 'p' }]);
    });

    it('reads comma- or whitespace-separated lists from the environment', () => {
      const c = parseCli([], {
        FRAMEWIRE_STUN: 'stun:a.example, stun:b.example',
        FRAMEWIRE_TURN: 'turn:t1.example turn:t2.example',
        FRAMEWIRE_TURN_USER: 'u1,u2',
        FRAMEWIRE_TURN_PASS: 'p1 p2',
        FRAMEWIRE_ORIGINS: 'https://a.example https://b.example',
        FRAMEWIRE_ICE_SERVERS: '[{"urls":"stun:j1.example"},{"urls":"stun:j2.example"}]',
      });
      expect(c.relay.origins).toEqual(['https://a.example', 'https://b.example']);
      expect(c.relay.iceServers).toEqual([
        { urls: 'stun:j1.example' },
        { urls: 'stun:j2.example' },
        { urls: 'stun:a.example' },
        { urls: 'stun:b.example' },
        { urls: 'turn:t1.example', username: 'u1', credential: 'p1' },
        { urls: 'turn:t2.example', username: 'u2', credential: 'p2' },
      ]);
    });

    it('lets the flags replace the whole list from the environment', () => {
      const c = parseCli(['--stun', 'stun:flag.example'], { FRAMEWIRE_STUN: 'stun:a.example,stun:b.example' });
      expect(c.relay.iceServers).toEqual([{ urls: 'stun:flag.example' }]);
    });

    it('names the environment variables in a TURN count mismatch', () => {
      expect(() => parseCli([], { FRAMEWIRE_TURN: 'turn:a.example,turn:b.example', FRAMEWIRE_TURN_USER: 'u', FRAMEWIRE_TURN_PASS: 'p' })).toThrow(
        /FRAMEWIRE_TURN needs --turn-user and --turn-pass: the i-th FRAMEWIRE_TURN takes the i-th FRAMEWIRE_TURN_USER and FRAMEWIRE_TURN_PASS \[turn:2, turn-user:1, turn-pass:1\]/,
      );
    });
  });

  it('keeps the protocol validator\'s error as the cause', () => {
    const error = (() => {
      try {
        parseCli(['--stun', 'stun:a b'], {});
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).cause).toBeInstanceOf(IceServerError);
  });

  it('names the environment variable when it is the bad one', () => {
    expect(() => parseCli([], { FRAMEWIRE_MAX_PEERS: '0' })).toThrow(/FRAMEWIRE_MAX_PEERS must be an integer/);
  });

  it('--help wins and lists every option', () => {
    expect(parseCli(['--port', '1', '--help'], {}).help).toBe(true);
    expect(helpText()).toMatch(/--port N\s+FRAMEWIRE_PORT\s+default 8080/);
  });

  it('--help marks exactly the repeatable options', () => {
    const marked = helpText()
      .split('\n')
      .filter((line) => line.startsWith('  --') && line.includes('[repeatable] '))
      .map((line) => line.trim().split(' ')[0]);
    expect(marked).toEqual(['--origins', '--ice-servers', '--stun', '--turn', '--turn-user', '--turn-pass']);
    expect(helpText()).toContain('The i-th --turn takes the i-th --turn-user and --turn-pass');
  });
});
