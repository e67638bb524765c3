/**
 * CI smoke test of `npm run bench:abuse` (small numbers): the relay in its own process under
 * each attack, honest pairs beside it. Asserts what must hold whatever the machine's speed:
 * the honest calls lose no frame; deep JSON is answered with an error, never an internal one;
 * every frozen receiver of a control flood is cut and no flooder is; hoarders are cut back
 * so the relay's RSS stays under 512 MiB. Latency is printed, not asserted (the bench's job).
 */
import { describe, expect, it } from 'vitest';
import { abuseMarkdown, runAbuseBench } from './abuse.ts';

describe('bench:abuse smoke', () => {
  it('keeps honest calls whole and the relay within its memory under every attack', async () => {
    const run = await runAbuseBench({ smoke: true, hoarders: 60, log: (line) => console.log(line) });
    console.log(abuseMarkdown(run.results));
    expect(run.results.map((r) => r.attack)).toEqual(['hoard', 'deep-json', 'control-flood', 'burst']);
    for (const r of run.results) {
      expect(r.honest.sent, r.attack).toBeGreaterThan(20);
      expect(r.honest.lost, `${r.attack}: honest frames lost`).toBe(0);
    }
    const [hoard, deep, flood] = run.results as [(typeof run.results)[0], (typeof run.results)[0], (typeof run.results)[0]];
    expect(hoard.rssPeakMiB, 'relay RSS under 60 hoarders × 7 MiB').toBeLessThan(512);
    expect(hoard.outcome).toMatch(/^60 opened, 0 refused; ([0-9]|[1-3][0-9]) still open/); // cut back: at most 39 × 7 MiB kept
    expect(deep.outcome).toMatch(/ 0 closed 1011 internal-error/);
    expect(deep.outcome).not.toMatch(/^0 answered/);
    expect(flood.outcome).toBe('4/4 frozen receivers cut, 4/4 flooders still connected');
  }, 180_000);
});
