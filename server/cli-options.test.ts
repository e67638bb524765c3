import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IceServerError } from '../protocol/index.ts';
import { CliError, DEFAULT_CLI_PORT, defaultDataDir, helpText, parseCli } from './cli-options.ts';

describe('parseCli', () => {
  it('has the documented defaults', () => {
    const c = parseCli([], {});
    expect(c.help).toBe(false);
    expect(c.relay).toEqual({ port: DEFAULT_CLI_PORT, host: '127.0.0.1', staticDir: 'dist/web', logLevel: 'info' });
    expect(c.media).toEqual({ transcodeQuality: 75 });
    expect(c.tls).toEqual({ dataDir: join(homedir(), '.local', 'share', 'framewire'), noTls: false });
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
    expect(parseCli(['--resume-grace-ms', '0']).relay.resumeGraceMs).toBe(0);
    expect(parseCli([], { FRAMEWIRE_RESUME_GRACE_MS: '3000' }).relay.resumeGraceMs).toBe(3000);
    expect(() => parseCli(['--resume-grace-ms', '-1'])).toThrow(/--resume-grace-ms must be an integer/);
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

  describe('TLS options', () => {
    it('reads --tls-cert and --tls-key, as flags or environment variables', () => {
      expect(parseCli(['--tls-cert', 'c.pem', '--tls-key=k.pem'], {}).tls).toMatchObject({ certFile: 'c.pem', keyFile: 'k.pem', noTls: false });
      expect(parseCli([], { FRAMEWIRE_TLS_CERT: '/etc/c.pem', FRAMEWIRE_TLS_KEY: '/etc/k.pem' }).tls).toMatchObject({ certFile: '/etc/c.pem', keyFile: '/etc/k.pem' });
      // One from the flag, one from the environment: still a pair.
      expect(parseCli(['--tls-cert', 'c.pem'], { FRAMEWIRE_TLS_KEY: 'k.pem' }).tls).toMatchObject({ certFile: 'c.pem', keyFile: 'k.pem' });
    });

    it('--no-tls is a switch; FRAMEWIRE_NO_TLS is 1/true/yes or 0/false/no', () => {
      expect(parseCli(['--no-tls'], {}).tls.noTls).toBe(true);
      for (const v of ['1', 'true', 'TRUE', 'yes']) expect(parseCli([], { FRAMEWIRE_NO_TLS: v }).tls.noTls).toBe(true);
      for (const v of ['0', 'false', 'no', '']) expect(parseCli([], { FRAMEWIRE_NO_TLS: v }).tls.noTls).toBe(false);
      // The flag wins over the variable, as for every option.
      expect(parseCli(['--no-tls'], { FRAMEWIRE_NO_TLS: '0' }).tls.noTls).toBe(true);
    });

    it('--data-dir, else $XDG_DATA_HOME/framewire, else ~/.local/share/framewire', () => {
      expect(parseCli(['--data-dir', '/srv/fw'], { XDG_DATA_HOME: '/x' }).tls.dataDir).toBe('/srv/fw');
      expect(parseCli([], { FRAMEWIRE_DATA_DIR: '/srv/env' }).tls.dataDir).toBe('/srv/env');
      expect(parseCli([], { XDG_DATA_HOME: '/x/data' }).tls.dataDir).toBe('/x/data/framewire');
      expect(defaultDataDir({ HOME: '/home/u' })).toBe('/home/u/.local/share/framewire');
      // A relative XDG_DATA_HOME is ignored (XDG base directory spec).
      expect(defaultDataDir({ XDG_DATA_HOME: 'rel', HOME: '/home/u' })).toBe('/home/u/.local/share/framewire');
    });

    it.each([
      [['--tls-cert', 'c.pem'], {}, /^--tls-cert needs --tls-key FILE or FRAMEWIRE_TLS_KEY/],
      [['--tls-key', 'k.pem'], {}, /^--tls-key needs --tls-cert FILE or FRAMEWIRE_TLS_CERT/],
      [[], { FRAMEWIRE_TLS_KEY: 'k.pem' }, /^FRAMEWIRE_TLS_KEY needs --tls-cert/],
      [['--no-tls', '--tls-cert', 'c.pem', '--tls-key', 'k.pem'], {}, /^--no-tls contradicts --tls-cert: one asks for plain HTTP/],
      [['--no-tls', '--tls-key', 'k.pem'], {}, /^--no-tls contradicts --tls-key/],
      [['--tls-cert', 'c.pem', '--tls-key', 'k.pem'], { FRAMEWIRE_NO_TLS: '1' }, /^FRAMEWIRE_NO_TLS contradicts --tls-cert/],
      [['--no-tls=yes'], {}, /^--no-tls takes no value$/],
      [[], { FRAMEWIRE_NO_TLS: 'maybe' }, /^FRAMEWIRE_NO_TLS must be 1, true, yes, 0, false or no \[got:maybe\]$/],
      [['--tls-cert='], {}, /^--tls-cert needs a value FILE$/],
      [['--data-dir'], {}, /^--data-dir needs a value DIR$/],
    ] as const)('refuses %j %j', (argv, env, message) => {
      expect(() => parseCli(argv, env)).toThrow(CliError);
      expect(() => parseCli(argv, env)).toThrow(message);
    });

    it('are in --help, the switch without a value', () => {
      const text = helpText();
      expect(text).toMatch(/--tls-cert FILE\s+FRAMEWIRE_TLS_CERT\s+default \(none\)/);
      expect(text).toMatch(/--tls-key FILE\s+FRAMEWIRE_TLS_KEY/);
      expect(text).toMatch(/  --no-tls\s+FRAMEWIRE_NO_TLS\s+default off\s+plain HTTP/);
      expect(text).toMatch(/--data-dir DIR\s+FRAMEWIRE_DATA_DIR\s+default ~\/\.local\/share\/framewire/);
      expect(text).toContain('TLS: with --tls-cert and --tls-key');
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
    expect(marked).toEqual(['--origins', '--trusted-proxy', '--limit-exempt', '--ice-servers', '--stun', '--turn', '--turn-user', '--turn-pass']);
    expect(helpText()).toContain('The i-th --turn takes the i-th --turn-user and --turn-pass');
  });
});

describe('hardening options', () => {
  it('reads the deadlines, per-address limits and pacing from flags and FRAMEWIRE_* variables', () => {
    const c = parseCli(
      ['--headers-timeout-ms', '3000', '--message-timeout-ms=8000', '--max-connections-per-ip', '5', '--joins-per-ip-per-minute', '30', '--admissions-per-second', '50'],
      { FRAMEWIRE_JOIN_BURST_PER_IP: '4', FRAMEWIRE_ADMISSION_BURST: '8', FRAMEWIRE_ADMISSION_WAIT_MS: '500', FRAMEWIRE_MAX_CONNECTIONS_PER_IP: '99' },
    );
    expect(c.relay).toMatchObject({
      headersTimeoutMs: 3000,
      messageTimeoutMs: 8000,
      maxConnectionsPerIp: 5,
      joinsPerIpPerMinute: 30,
      joinBurstPerIp: 4,
      admissionsPerSecond: 50,
      admissionBurst: 8,
      admissionWaitMs: 500,
    });
    expect(parseCli(['--message-timeout-ms', '0']).relay.messageTimeoutMs).toBe(0);
  });

  it('takes --trusted-proxy repeatedly (addresses and CIDR blocks), or as a list in FRAMEWIRE_TRUSTED_PROXY', () => {
    expect(parseCli(['--trusted-proxy', '127.0.0.1', '--trusted-proxy', '10.0.0.0/8', '--trusted-proxy=::1']).relay.trustedProxies).toEqual(['127.0.0.1', '10.0.0.0/8', '::1']);
    expect(parseCli([], { FRAMEWIRE_TRUSTED_PROXY: '192.168.0.0/16, fd00::/8' }).relay.trustedProxies).toEqual(['192.168.0.0/16', 'fd00::/8']);
    expect(parseCli([]).relay.trustedProxies).toBeUndefined();
  });

  it.each([
    [['--trusted-proxy', 'proxy.example'], /--trusted-proxy takes an IP address or CIDR block, e\.g\. 127\.0\.0\.1 or 10\.0\.0\.0\/8 \[got:proxy\.example\]/],
    [['--trusted-proxy', '10.0.0.0/33'], /--trusted-proxy takes an IP address or CIDR block/],
    [['--max-connections-per-ip', '0'], /--max-connections-per-ip must be an integer in 1\.\.∞/],
    [['--headers-timeout-ms', '10'], /--headers-timeout-ms must be an integer in 100\.\.∞/],
    [['--joins-per-ip-per-minute', '-1'], /--joins-per-ip-per-minute must be a positive number/],
    [['--admission-wait-ms', 'soon'], /--admission-wait-ms must be an integer/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseCli(argv, {})).toThrowError(message);
  });

  it('lists them in --help with their variables and defaults', () => {
    const help = helpText();
    expect(help).toMatch(/--max-connections-per-ip N\s+FRAMEWIRE_MAX_CONNECTIONS_PER_IP\s+default 20\s/);
    expect(help).toMatch(/--joins-per-ip-per-minute N\s+FRAMEWIRE_JOINS_PER_IP_PER_MINUTE\s+default 60\s/);
    expect(help).toMatch(/--trusted-proxy ADDR\s+FRAMEWIRE_TRUSTED_PROXY\s+default \(none\)\s+\[repeatable\]/);
    expect(help).toMatch(/--headers-timeout-ms MS\s+FRAMEWIRE_HEADERS_TIMEOUT_MS\s+default 5000\s/);
    expect(help).toMatch(/--message-timeout-ms MS\s+FRAMEWIRE_MESSAGE_TIMEOUT_MS\s+default 10000\s/);
    expect(help).toMatch(/--admissions-per-second N\s+FRAMEWIRE_ADMISSIONS_PER_SECOND\s+default 200\s/);
  });
});

describe('--ice-relay-only', () => {
  const turn = ['--turn', 'turn:turn.example:3478?transport=tcp', '--turn-user', 'u', '--turn-pass', 'p'];

  it('makes the relay relay-only (welcome.iceTransportPolicy), from the switch or FRAMEWIRE_ICE_RELAY_ONLY', () => {
    expect(parseCli([...turn, '--ice-relay-only'], {}).relay.iceTransportPolicy).toBe('relay');
    expect(parseCli(turn, { FRAMEWIRE_ICE_RELAY_ONLY: '1' }).relay.iceTransportPolicy).toBe('relay');
    expect(parseCli(turn, { FRAMEWIRE_ICE_RELAY_ONLY: '0' }).relay.iceTransportPolicy).toBe('all');
    expect(parseCli(turn, {}).relay.iceTransportPolicy).toBeUndefined(); // the relay's default: 'all'
    const tls = parseCli(['--ice-servers', '[{"urls":"turns:turn.example:5349","username":"u","credential":"p"}]', '--ice-relay-only'], {});
    expect(tls.relay).toMatchObject({ iceTransportPolicy: 'relay', iceServers: [{ urls: 'turns:turn.example:5349', username: 'u', credential: 'p' }] });
  });

  it('refuses relay-only without a turn: or turns: server, naming where it came from', () => {
    expect(() => parseCli(['--ice-relay-only'], {})).toThrowError(
      new CliError(
        '--ice-relay-only needs a TURN server: add --turn URL --turn-user U --turn-pass P (turn:HOST:PORT?transport=tcp or turns:HOST:PORT), or a turn: entry in --ice-servers',
      ),
    );
    expect(() => parseCli(['--stun', 'stun:stun.example'], { FRAMEWIRE_ICE_RELAY_ONLY: 'yes' })).toThrowError(/^FRAMEWIRE_ICE_RELAY_ONLY needs a TURN server/);
    expect(() => parseCli(['--ice-relay-only=1', ...turn], {})).toThrowError(/--ice-relay-only takes no value/);
  });

  it('is in --help', () => {
    expect(helpText()).toMatch(/--ice-relay-only\s+FRAMEWIRE_ICE_RELAY_ONLY\s+default off\s+WebRTC mode only through the TURN server/);
  });
});

describe('cluster options', () => {
  it('--redis makes a cluster node; --public-url and --node-id refine it, as flags or environment variables', () => {
    expect(parseCli(['--redis', 'redis://10.0.0.5:6379'], {}).relay.cluster).toEqual({ redisUrl: 'redis://10.0.0.5:6379' });
    expect(parseCli(['--public-url', 'https://relay.example/n2', '--redis', 'redis://r:6379', '--node-id', 'n2'], {}).relay.cluster).toEqual({ redisUrl: 'redis://r:6379', publicUrl: 'https://relay.example/n2', nodeId: 'n2' });
    expect(parseCli([], { FRAMEWIRE_REDIS: 'rediss://r:6380', FRAMEWIRE_PUBLIC_URL: 'https://a.example', FRAMEWIRE_NODE_ID: 'a' }).relay.cluster).toEqual({ redisUrl: 'rediss://r:6380', publicUrl: 'https://a.example', nodeId: 'a' });
    expect(parseCli([], {}).relay.cluster).toBeUndefined();
    expect(parseCli(['--admin-token', 'x'.repeat(16)], {}).relay.adminToken).toBe('x'.repeat(16));
  });

  it('refuses what cannot work, saying where it came from', () => {
    expect(() => parseCli(['--redis', 'http://r:6379'], {})).toThrowError(/^--redis must be a redis:\/\/ or rediss:\/\/ URL/);
    expect(() => parseCli(['--public-url', 'https://a.example'], {})).toThrowError(/^--public-url needs --redis URL/);
    expect(() => parseCli([], { FRAMEWIRE_NODE_ID: 'n1' })).toThrowError(/^FRAMEWIRE_NODE_ID needs --redis URL/);
    expect(() => parseCli(['--redis', 'redis://r', '--node-id', 'bad id'], {})).toThrowError(/^--node-id must be 1\.\.64 characters/);
    expect(() => parseCli(['--admin-token', 'short'], {})).toThrowError(/^--admin-token must be at least 16 characters/);
  });

  it('are in --help', () => {
    expect(helpText()).toMatch(/--redis URL\s+FRAMEWIRE_REDIS\s+default \(none: one relay\)/);
    expect(helpText()).toMatch(/--public-url URL\s+FRAMEWIRE_PUBLIC_URL/);
  });
});

describe('--limit-exempt', () => {
  it('replaces the loopback default with the addresses given, as flags or a list in FRAMEWIRE_LIMIT_EXEMPT', () => {
    expect(parseCli(['--limit-exempt', '10.0.0.0/8', '--limit-exempt', '127.0.0.1'], {}).relay.limitExempt).toEqual(['10.0.0.0/8', '127.0.0.1']);
    expect(parseCli([], { FRAMEWIRE_LIMIT_EXEMPT: '192.168.1.0/24 ::1' }).relay.limitExempt).toEqual(['192.168.1.0/24', '::1']);
    expect(parseCli([], {}).relay.limitExempt).toBeUndefined();
    expect(() => parseCli(['--limit-exempt', 'not-an-address'], {})).toThrowError(/^--limit-exempt/);
  });
});
