// The way to the registry failing under an update, from a booted source:
// - an outage (the device's link or the registry) struck in a phase (the pull), restored after the run:
//   what the updater did comes back for the caller to judge (clean failure, device as it was);
// - a slow registry for the whole run: the run, the blob bytes the registry served, and the budget
//   (one copy of every blob of the target's hostOS and supervisor images).
import type { Device } from '../device/device.ts';
import type { BytesServed } from '../registry/access-log.ts';
import type { OutageFault, ThrottleFault } from '../faults/types.ts';
import type { UpgradePath } from '../updater/paths.ts';
import type { HupRun } from '../updater/runner.ts';
import type { ScenarioContext } from './context.ts';
import { runUpdate } from './update.ts';

/** Runs the path's update with `fault` struck at its phase, and restores it whatever happens. */
export async function updateThroughOutage(
  ctx: ScenarioContext,
  path: UpgradePath,
  fault: OutageFault,
  opts: { at?: { phase: string; afterMs: number }; outageMs?: number } = {},
): Promise<HupRun> {
  const at = opts.at ?? fault.at;
  let restored = false;
  try {
    const run = await runUpdate(ctx, path, {
      at: { ...at, action: () => fault.strike(ctx, { outageMs: opts.outageMs }), connection: 'resumes' },
    });
    await ctx.board.step(`${fault.name}: back to normal`, () => fault.restore(ctx));
    restored = true;
    return run;
  } finally {
    if (!restored) await fault.restore(ctx).catch(() => undefined);
  }
}

export interface ThrottledUpdate {
  run: HupRun;
  /** Blob bytes the update must pull at most: every blob of the target's hostOS and supervisor images, once. */
  budget: number;
  served: BytesServed;
}

/** A slow registry's whole-run budget: the update may take this long. */
const THROTTLED_RUN_MS = 40 * 60_000;

/** Runs the path's update with the registry throttled by `fault` for the whole run. */
export async function updateThroughThrottle(
  ctx: ScenarioContext,
  path: UpgradePath,
  fault: ThrottleFault,
): Promise<ThrottledUpdate> {
  const { board, registry } = ctx;
  const budget = await board.step('the bytes the update must pull at most', () => pullBudget(ctx, path));
  const mark = await registry.started.mark();
  await board.step(`${fault.name}: ${fault.kbitPerSecond} kbit/s`, () => fault.apply(ctx));
  let run: HupRun;
  try {
    run = await runUpdate(ctx, path, { timeoutMs: THROTTLED_RUN_MS });
  } finally {
    await fault.restore(ctx);
  }
  return { run, budget, served: await registry.started.bytesServed(mark) };
}

/** Blob bytes of one copy of every blob of the target's hostOS image and of the supervisor the path pulls. */
export async function pullBudget({ board, registry }: ScenarioContext, path: UpgradePath): Promise<number> {
  const refs = [
    `resin/resinos:${path.to.version.replace(/\+/g, '_')}-${board.rig.deviceType}`,
    await supervisorRef(board.device, path),
  ];
  let bytes = 0;
  for (const ref of refs) {
    const { manifest } = await registry.started.client.getManifest(ref.replace(/^[^/]+:\d+\//, ''));
    bytes += manifest.config.size + manifest.layers.reduce((sum, layer) => sum + layer.size, 0);
  }
  return bytes;
}

/** The supervisor image the updater pulls for this path (it pulls none when the target's is not newer). */
async function supervisorRef(device: Device, p: UpgradePath): Promise<string> {
  const current = JSON.parse(await device.check('cat /mnt/boot/config.json')).supervisorImage as string;
  return p.supervisorUpdate ? current.replace(/:v[^:]+$/, `:v${p.to.supervisor}`) : current;
}
