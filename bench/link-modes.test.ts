import { describe, expect, it } from 'vitest';
import { describeObserved, isLinkModeId, LINK_MODE_IDS, linkMode, linkModeMismatches, linkModeParams, needsTurn, parseLinkModes, RAW_LINK_MODES, type ObservedLink } from './link-modes.ts';

const observed = (o: Partial<ObservedLink>): ObservedLink => ({ senderTransport: null, receiverTransport: null, route: null, turnAllocations: null, ...o });

describe('link modes', () => {
  describe('page URL parameters', () => {
    it.each([
      ['jpeg', 'mode=jpeg'],
      ['webrtc', 'mode=webrtc'],
      ['ws', 'mode=jpeg&transport=ws'],
      ['http', 'mode=jpeg&transport=http'],
      ['poll', 'mode=jpeg&transport=poll'],
      ['webrtc-turn', 'mode=webrtc&ice=relay'],
    ] as const)('%s → %s', (id, query) => {
      expect(new URLSearchParams(linkModeParams(id)).toString()).toBe(query);
    });

    it('hands out a copy', () => {
      const params = linkModeParams('ws');
      params['transport'] = 'poll';
      expect(linkModeParams('ws')['transport']).toBe('ws');
    });
  });

  it('knows which modes need TURN and which carry raw frames', () => {
    expect(needsTurn(['ws', 'http', 'webrtc'])).toBe(false);
    expect(needsTurn(['ws', 'webrtc-turn'])).toBe(true);
    expect(RAW_LINK_MODES).toEqual(['jpeg', 'ws', 'http', 'poll']);
    expect(LINK_MODE_IDS).toEqual(['jpeg', 'webrtc', 'ws', 'http', 'poll', 'webrtc-turn']);
  });

  describe('parseLinkModes', () => {
    it('parses a list, trimmed, deduplicated, in order', () => {
      expect(parseLinkModes(' http, ws ,http,webrtc-turn')).toEqual(['http', 'ws', 'webrtc-turn']);
    });

    it('names an unknown or disallowed mode and the known ones', () => {
      expect(() => parseLinkModes('ws,quic')).toThrow(new TypeError('unknown mode [mode:quic, known:jpeg,webrtc,ws,http,poll,webrtc-turn]'));
      expect(() => parseLinkModes('ws', ['jpeg', 'webrtc'])).toThrow(new TypeError('unknown mode [mode:ws, known:jpeg,webrtc]'));
      expect(() => parseLinkModes(' , ')).toThrow(new TypeError('no mode given'));
    });

    it('does not take inherited names for modes', () => {
      expect(isLinkModeId('toString')).toBe(false);
      expect(() => linkMode('toString')).toThrow(TypeError);
      expect(linkMode('poll').transport).toBe('long-poll');
    });
  });

  describe('linkModeMismatches', () => {
    it('accepts a forced transport both pages report', () => {
      expect(linkModeMismatches('http', observed({ senderTransport: 'http-stream', receiverTransport: 'http-stream' }))).toEqual([]);
      expect(linkModeMismatches('ws', observed({ senderTransport: 'websocket', receiverTransport: 'websocket' }))).toEqual([]);
    });

    it('names each page that ran on another transport, or reported none', () => {
      expect(linkModeMismatches('poll', observed({ senderTransport: 'long-poll', receiverTransport: 'http-stream' }))).toEqual(['receiver ran on http-stream, not long-poll']);
      expect(linkModeMismatches('http', undefined)).toEqual(['sender ran on an unreported transport, not http-stream', 'receiver ran on an unreported transport, not http-stream']);
    });

    it('wants relay/tcp and at least one coturn allocation for webrtc-turn', () => {
      expect(linkModeMismatches('webrtc-turn', observed({ route: 'relay/tcp', turnAllocations: 2 }))).toEqual([]);
      expect(linkModeMismatches('webrtc-turn', observed({ route: 'host', turnAllocations: 0 }))).toEqual(["receiver's WebRTC route is host, not relay/tcp", 'coturn granted no allocation [allocations:0]']);
      expect(linkModeMismatches('webrtc-turn', observed({ route: '' }))).toEqual(["receiver's WebRTC route is unknown, not relay/tcp", 'coturn granted no allocation [allocations:none]']);
    });

    it('checks nothing for the thin-link modes (page default transport, direct WebRTC)', () => {
      expect(linkModeMismatches('jpeg', undefined)).toEqual([]);
      expect(linkModeMismatches('webrtc', observed({ route: 'relay/udp' }))).toEqual([]);
    });
  });

  it('describes what the pages reported in one cell', () => {
    expect(describeObserved(undefined)).toBeNull();
    expect(describeObserved(observed({}))).toBeNull();
    expect(describeObserved(observed({ senderTransport: 'websocket', receiverTransport: 'websocket' }))).toBe('websocket');
    expect(describeObserved(observed({ senderTransport: 'websocket', receiverTransport: 'long-poll' }))).toBe('websocket/long-poll');
    expect(describeObserved(observed({ senderTransport: 'websocket', receiverTransport: 'websocket', route: 'relay/tcp' }))).toBe('relay/tcp');
  });
});
