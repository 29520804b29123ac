// Faults of the way to the registry: the device's link or the registry itself goes away during the
// pull for longer than the updater retries (it must fail cleanly and a rerun succeed), the link drops
// mid-layer and comes back inside the retry window (the update completes through a retried pull), or
// the registry is reached over a slow link for the whole update (it completes, nothing pulled twice).
import { UPLINK_STATS } from '../device/uplink-counters.ts';
import { shapeRegistry, startRegistryAgain, stopRegistry, unshapeRegistry } from '../registry/registry-faults.ts';
import { contractOfScript, ENGINE_STALL_S, retryWindowS } from '../updater/profiles/index.ts';
import { waitFor } from '../wait.ts';
import type { DropFault, OutageFault, ThrottleFault } from './types.ts';

/**
 * How long the network stays down: past the reference updaters' whole retry window at its longest (3
 * tries, each held at most by the engine's 30 s stall timeout, 5 + 10 s between them: 105 s; measured on
 * the BeagleBone rig, tries started with the link down fail in 2–8 s), with room for a loaded emulator.
 * Was 45 s before the updaters retried pulls: the row needs the pull to fail, and the retries could
 * ride a 45 s outage out.
 */
export const OUTAGE_MS = (retryWindowS() + 75) * 1000;

const cleanFailure =
  'the updater fails cleanly (exit 1, a message that names what went wrong), the device is as it was with its supervisor running again, and a rerun succeeds once it is back';

export const networkDown: OutageFault = {
  kind: 'link',
  effect: 'outage',
  name: 'network-down',
  description: `the device's link goes down when the updater enters the phase and comes back after the outage (default ${OUTAGE_MS / 1000} s, longer than the reference updaters' ${retryWindowS()} s retry window)`,
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

/**
 * The link stays down until the engine gives up on the layer (its console line), at most this long.
 * Not a fixed time: the engine counts its 30 s stall timeout in polls that run long on a loaded emulator
 * (a 40 s drop was ridden out by TCP: the layer resumed, no retry), while a try started with the link
 * down fails at once (new connections: measured 2–8 s), so a drop that outlasts the stall by the first
 * backoff costs a second try as well, and one past the last wait fails the update.
 */
const DROP_MS = 3 * ENGINE_STALL_S * 1000;
/** The reference engine's console line when it abandons a download (images/rootfs-overlay/usr/bin/docker). */
const ENGINE_GAVE_UP = /\[engine\] (download of \S+ stalled|error: cannot download blob)/;
const DROP_AT = 0.25;
/** How long the drop waits for the layer's first quarter. */
const WAIT_S = 180;

export const linkDrop: DropFault = {
  kind: 'link',
  effect: 'drop',
  name: 'link-drop',
  description: `the device's link goes down once a quarter of the hostOS layer has reached it (bytes on its interface since the pull began) and comes back as the engine gives up on the layer (its console line; at most ${DROP_MS / 1000} s), before the updater's next try`,
  guarantee:
    'the update completes: the updater retries the pull (each try in its log), and the device ends on the target as after an undisturbed update; the bytes pulled twice are reported',
  phase: 'pull',
  atFraction: DROP_AT,
  outageMs: DROP_MS,
  async strike({ board }, layer) {
    const counter = `${UPLINK_STATS}; s=$s/rx_bytes`;
    const start = Number((await board.device.check(`${counter}; cat $s`)).trim());
    const want = Math.round(layer.size * DROP_AT);
    // Note: an on-device loop, not polls over SSH: the layer moves at MB/s and a poll costs a round trip.
    const loop = `n=0; while [ $(($(cat $s) - ${start})) -lt ${want} ] && [ $n -lt ${WAIT_S * 10} ]; do sleep 0.1; n=$((n + 1)); done`;
    const got = await board.device.check(`${counter}; ${loop}; echo $(($(cat $s) - ${start}))`, {
      timeoutMs: (WAIT_S + 60) * 1000,
    });
    const received = Number(got.trim());
    if (!(received >= want))
      throw new Error(
        `${want} bytes of the hostOS layer ${layer.digest} not received by the device within ${WAIT_S} s of the pull's start (it received ${received}): the link was not dropped`,
      );
    const { console } = board.rig;
    const from = console.lines.length;
    const downAt = Date.now();
    await board.rig.network.down();
    const gaveUp = await waitFor(
      async () => (console.lines.slice(from).some((l) => ENGINE_GAVE_UP.test(l.text)) ? true : undefined),
      { timeoutMs: DROP_MS, intervalMs: 250, what: 'the engine giving up on the layer' },
    ).catch(() => false);
    await board.rig.network.up();
    return { layerBytesAtDrop: received, outageMs: Date.now() - downAt, engineGaveUp: gaveUp };
  },
  restore: ({ board }) => board.rig.network.up(),
};

/** What the error line of `updater` (a script a profile describes) must say after an outage: its profile's words, else the fault's. */
export function outageMessage(fault: OutageFault, updater: string): RegExp {
  return contractOfScript(updater).contract.failures[fault.name] ?? fault.message;
}
