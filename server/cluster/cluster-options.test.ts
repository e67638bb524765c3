import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../options.ts';

describe('cluster options', () => {
  it('fill in the defaults and normalise the public URL', () => {
    const { cluster } = resolveOptions({ cluster: { redisUrl: 'redis://r:6379', publicUrl: 'https://Relay.example/n2/' } });
    expect(cluster).toMatchObject({ redisUrl: 'redis://r:6379', publicUrl: 'https://relay.example/n2', heartbeatMs: 2000, nodeTtlMs: 6000, claimTtlMs: 15_000, keyPrefix: 'framewire:' });
    expect(cluster!.nodeId).toMatch(/^[0-9a-f]{8}$/);
    expect(resolveOptions({}).cluster).toBeUndefined();
  });

  it('refuse what cannot work', () => {
    expect(() => resolveOptions({ cluster: { redisUrl: 'localhost:6379' } })).toThrow(/cluster\.redisUrl must be a redis:\/\//);
    expect(() => resolveOptions({ cluster: { redisUrl: 'redis://r', publicUrl: 'ftp://x' } })).toThrow(/cluster\.publicUrl must be an http\(s\) URL/);
    expect(() => resolveOptions({ cluster: { redisUrl: 'redis://r', publicUrl: 'https://u:p@x' } })).toThrow(/without credentials/);
    expect(() => resolveOptions({ cluster: { redisUrl: 'redis://r', heartbeatMs: 2000, nodeTtlMs: 3000 } })).toThrow(/at least twice cluster\.heartbeatMs/);
    expect(() => resolveOptions({ cluster: { redisUrl: 'redis://r', nodeId: 'a b' } })).toThrow(/cluster\.nodeId/);
    expect(() => resolveOptions({ adminToken: 'short' })).toThrow(/adminToken must be a string of at least 16/);
  });
});
