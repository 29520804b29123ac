// Faults of the way to the registry: the device's link or the registry itself goes away during the
// pull (the updater must fail cleanly and a rerun succeed), or the registry is reached over a slow
// link for the whole update (it completes, and nothing is pulled twice).
import { shapeRegistry, startRegistryAgain, stopRegistry, unshapeRegistry } from '../registry/registry-faults.ts';
import { contractOfScript } from '../updater/profiles/index.ts';
import type { OutageFault, ThrottleFault } from './types.ts';

/** How long the network stays down: longer than the engine's 30 s stall timeout, so the pull must fail. */
export const OUTAGE_MS = 45_000;

const cleanFailure =
  'the updater fails cleanly (exit 1, a message that names what went wrong), the device is as it was with its supervisor running again, and a rerun succeeds once it is back';

export const networkDown: OutageFault = {
  kind: 'link',
  effect: 'outage',
  name: 'network-down',
  description: `the device's link goes down when the updater enters the phase and comes back after the outage (default ${OUTAGE_MS / 1000} s, longer than the engine's 30 s stall timeout)`,
  guarantee: cleanFailure,
  at: { phase: 'pull', afterMs: 1000 },
  message: /cannot pull|stalled|cannot download/,
  // Note: the outage's length is the fault itself, not a wait for a condition.
  async strike({ board }, opts = {}) {
    await board.rig.network.down();
    await new Promise((r) => setTimeout(r, opts.outageMs ?? OUTAGE_MS));
    await board.rig.network.up();
  },
  restore: ({ board }) => board.rig.network.up(),
};

export const registryDown: OutageFault = {
  kind: 'registry',
  effect: 'outage',
  name: 'registry-down',
  description:
    'the registry container stops when the updater enters the phase, and is started again (same port) after the run',
  guarantee: cleanFailure,
  at: { phase: 'pull', afterMs: 1000 },
  message: /cannot pull|cannot download|cannot get manifest/,
  strike: ({ registry }) => stopRegistry(registry.started),
  restore: ({ registry }) => startRegistryAgain(registry.started),
};

/** An EDGE/GPRS-class link: slow enough to matter, fast enough to finish a 20 MiB update in minutes. */
const SLOW_LINK_KBIT = 384;

export const registrySlow: ThrottleFault = {
  kind: 'registry',
  effect: 'throttle',
  name: 'registry-slow',
  description: `the registry sends at ${SLOW_LINK_KBIT} kbit/s (a token bucket on its container's egress) for the whole update`,
  guarantee:
    'the update completes, and the device pulls no more than one copy of the blobs of the target hostOS and supervisor images',
  kbitPerSecond: SLOW_LINK_KBIT,
  // Measured ~7.6% at 384 kbit/s: TCP/IP and Ethernet framing (~4.5%) plus a shaped link's retransmissions.
  wireOverhead: 0.12,
  apply: ({ registry }) => shapeRegistry(registry.started, SLOW_LINK_KBIT),
  restore: ({ registry }) => unshapeRegistry(registry.started),
};

/** What the error line of `updater` (a script a profile describes) must say after an outage: its profile's words, else the fault's. */
export function outageMessage(fault: OutageFault, updater: string): RegExp {
  return contractOfScript(updater).contract.failures[fault.name] ?? fault.message;
}
