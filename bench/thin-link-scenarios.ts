/**
 * The network benches' scenarios: who sits behind which cap, and which caps change mid-call.
 * a–d are the thin-link bench's (issue 11); o, the same topology with no cap at all (the
 * "loopback" case: veth pairs through the relay namespace), is the reach bench's baseline
 * beside a. Rates in Mbit/s; null = unshaped.
 */
import type { HomeSpec, Rate } from './net/topology.ts';

export const SCENARIO_IDS = ['a', 'b', 'c', 'd', 'o'] as const;
export type ScenarioId = (typeof SCENARIO_IDS)[number];

/** A cap change at a fraction of the measuring time, on both directions of one home's link. */
export interface RateStep {
  /** Fraction of the measuring time (0..1) at which the change happens. */
  at: number;
  home: string;
  mbit: Rate;
}

/** One scenario: the homes (the first is the sender, the others receivers) and the steps. */
export interface Scenario {
  id: ScenarioId;
  title: string;
  sender: HomeSpec;
  receivers: HomeSpec[];
  steps: RateStep[];
}

export const SCENARIOS: Record<ScenarioId, Scenario> = {
  a: {
    id: 'a',
    title: '4 Mbit/s both homes, both ways',
    sender: { name: 'sender', upMbit: 4, downMbit: 4 },
    receivers: [{ name: 'recv', upMbit: 4, downMbit: 4 }],
    steps: [],
  },
  b: {
    id: 'b',
    title: 'sender unshaped, receiver home 1 Mbit/s',
    sender: { name: 'sender', upMbit: null, downMbit: null },
    receivers: [{ name: 'recv', upMbit: 1, downMbit: 1 }],
    steps: [],
  },
  c: {
    id: 'c',
    title: 'receiver link steps 8 → 1 → 8 Mbit/s mid-call',
    sender: { name: 'sender', upMbit: null, downMbit: null },
    receivers: [{ name: 'recv', upMbit: 8, downMbit: 8 }],
    steps: [
      { at: 1 / 3, home: 'recv', mbit: 1 },
      { at: 2 / 3, home: 'recv', mbit: 8 },
    ],
  },
  d: {
    id: 'd',
    title: 'one room: sender, a fast receiver and a 1 Mbit/s receiver',
    sender: { name: 'sender', upMbit: null, downMbit: null },
    receivers: [
      { name: 'fast', upMbit: null, downMbit: null },
      { name: 'thin', upMbit: 1, downMbit: 1 },
    ],
    steps: [],
  },
  o: {
    id: 'o',
    title: 'unshaped homes (veth through the relay namespace, no cap)',
    sender: { name: 'sender', upMbit: null, downMbit: null },
    receivers: [{ name: 'recv', upMbit: null, downMbit: null }],
    steps: [],
  },
};

/** True if any home of `scenario` is capped (at the start or by a step). */
export function isShaped(scenario: Scenario): boolean {
  return [scenario.sender, ...scenario.receivers].some((h) => h.upMbit !== null || h.downMbit !== null) || scenario.steps.some((s) => s.mbit !== null);
}

/** `1 Mbit/s`, `unshaped`, `4↑/4↓ Mbit/s`: a home's caps in words. */
export function describeCaps(home: Pick<HomeSpec, 'upMbit' | 'downMbit'>): string {
  if (home.upMbit === null && home.downMbit === null) return 'unshaped';
  if (home.upMbit === home.downMbit) return `${home.upMbit} Mbit/s`;
  return `${home.upMbit ?? '∞'}↑/${home.downMbit ?? '∞'}↓ Mbit/s`;
}

/** Parses `a,b,c` into scenario ids; throws a TypeError naming an unknown one. */
export function parseScenarios(text: string): ScenarioId[] {
  const ids = text.split(',').map((s) => s.trim()).filter(Boolean);
  for (const id of ids) if (!(SCENARIO_IDS as readonly string[]).includes(id)) throw new TypeError(`unknown scenario [scenario:${id}, known:${SCENARIO_IDS.join(',')}]`);
  if (ids.length === 0) throw new TypeError('no scenario given');
  return [...new Set(ids)] as ScenarioId[];
}
