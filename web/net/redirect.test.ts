/**
 * The redirect url rules, on their own: a node's base URL in, its WebSocket endpoint and HTTP
 * base out; everything the link must not follow is a `RedirectError` with its code and a
 * message with the url in brackets (without credentials).
 */
import { describe, expect, it } from 'vitest';
import { httpBaseOfWs, RedirectError, redirectTarget, type RedirectErrorCode } from './redirect.ts';

/** The `RedirectError` that `redirectTarget(url, secure)` throws. */
function refusal(url: unknown, secure = false): RedirectError {
  try {
    redirectTarget(url, secure);
  } catch (error) {
    if (error instanceof RedirectError) return error;
    throw error;
  }
  throw new Error(`followed [url:${String(url)}]`);
}

describe('redirectTarget', () => {
  describe('a base URL', () => {
    it('maps http: to ws: and https: to wss:, port and path prefix kept, /ws appended', () => {
      expect(redirectTarget('http://10.0.0.2:8080', false)).toEqual({ wsUrl: 'ws://10.0.0.2:8080/ws', httpBase: 'http://10.0.0.2:8080' });
      expect(redirectTarget('https://relay.example/n2', true)).toEqual({ wsUrl: 'wss://relay.example/n2/ws', httpBase: 'https://relay.example/n2' });
      expect(redirectTarget('https://[::1]:8443/a/b', true)).toEqual({ wsUrl: 'wss://[::1]:8443/a/b/ws', httpBase: 'https://[::1]:8443/a/b' });
    });

    it('tolerates a trailing slash and normalises what URL normalises (case, default port)', () => {
      expect(redirectTarget('https://Relay.Example:443/n2/', true)).toEqual({ wsUrl: 'wss://relay.example/n2/ws', httpBase: 'https://relay.example/n2' });
      expect(redirectTarget('http://relay.example/', false).httpBase).toBe('http://relay.example');
    });

    it('goes from plain http to https, never back when secure', () => {
      expect(redirectTarget('https://relay.example', false).wsUrl).toBe('wss://relay.example/ws');
      expect(redirectTarget('http://relay.example', false).wsUrl).toBe('ws://relay.example/ws');
      expect(refusal('http://relay.example', true).code).toBe('downgrade');
    });
  });

  describe('refused', () => {
    const cases: [unknown, RedirectErrorCode, string][] = [
      [undefined, 'bad-url', 'bad redirect: not a URL [url:undefined]'],
      [{ href: 'https://x' }, 'bad-url', 'bad redirect: not a URL [url:[object Object]]'],
      ['', 'bad-url', 'bad redirect: not a URL [url:]'],
      ['relay.example/n2', 'bad-url', 'bad redirect: not a URL [url:relay.example/n2]'],
      ['wss://relay.example', 'bad-scheme', 'bad redirect: only http: and https: nodes can be reached [url:wss://relay.example/]'],
      ['file:///etc/passwd', 'bad-scheme', 'bad redirect: only http: and https: nodes can be reached [url:file:///etc/passwd]'],
      ['https://relay.example/n2?x=1', 'not-a-base', "bad redirect: a node's base URL has no query or fragment [url:https://relay.example/n2?x=1]"],
      ['https://relay.example/#top', 'not-a-base', "bad redirect: a node's base URL has no query or fragment [url:https://relay.example/#top]"],
      ['https://me:secret@relay.example/n2', 'credentials', 'bad redirect: the URL carries credentials [url:https://relay.example/n2]'],
      ['https://token@relay.example', 'credentials', 'bad redirect: the URL carries credentials [url:https://relay.example/]'],
    ];
    for (const [url, code, message] of cases) {
      it(`${String(url) || "''"} → ${code}`, () => {
        const error = refusal(url);
        expect(error).toBeInstanceOf(RedirectError);
        expect(error.code).toBe(code);
        expect(error.message).toBe(message);
      });
    }

    it('never shows credentials, whatever else is wrong with the url', () => {
      for (const [url, secure] of [['ftp://me:secret@relay.example', false], ['http://me:secret@relay.example/?q', true], ['https://me:secret@relay.example#x', false]] as const) {
        const error = refusal(url, secure);
        expect(error.message, url).toContain('relay.example');
        expect(error.message, url).not.toContain('secret');
      }
    });

    it('clips a long url in the message', () => {
      const error = refusal(`ftp://relay.example/${'a'.repeat(500)}`);
      expect(error.message.length).toBeLessThan(220);
      expect(error.message).toMatch(/a…\]$/);
    });
  });

  it('loop and no-target errors name what happened', () => {
    expect(RedirectError.loop(4, 3, 'https://n2/x')).toMatchObject({ code: 'loop', message: 'redirect loop: 4 redirects in a row without a welcome [max:3, url:https://n2/x]' });
    expect(RedirectError.loop(4, 3, 'https://me:secret@n2').message).toBe('redirect loop: 4 redirects in a row without a welcome [max:3, url:https://n2/]');
    expect(RedirectError.noTarget()).toMatchObject({ code: 'no-target', name: 'RedirectError' });
  });
});

describe('httpBaseOfWs', () => {
  it('is the inverse of redirectTarget: the base of a WebSocket endpoint, its query dropped', () => {
    expect(httpBaseOfWs('ws://127.0.0.1:8787/ws')).toBe('http://127.0.0.1:8787');
    expect(httpBaseOfWs('wss://relay.example/n2/ws?room=r&name=n')).toBe('https://relay.example/n2');
    for (const base of ['http://10.0.0.2:8080', 'https://relay.example/n2']) expect(httpBaseOfWs(redirectTarget(base, false).wsUrl)).toBe(base);
  });
});
