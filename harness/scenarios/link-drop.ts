// The device's link dropping mid-layer and coming back inside the updater's retry window, from a
// booted source: the update runs with the drop struck in its pull; what comes back is the run, the
// drop, the pull tries its log counted, and the bytes the registry served against one copy of each blob.
import type { DropFault, LinkDrop, PullLayer } from '../faults/types.ts';
import type { BytesServed } from '../registry/access-log.ts';
import { type PullRetry, pullRetries } from '../updater/profiles/index.ts';
import type { UpgradePath } from '../updater/paths.ts';
import type { HupRun } from '../updater/runner.ts';
import type { ScenarioContext } from './context.ts';
import { pullBudget } from './link-faults.ts';
import { pathContract, runUpdate } from './update.ts';

export interface DroppedUpdate {
  run: HupRun;
  /** Undefined when the run never reached the phase (or the drop failed: the run's error says). */
  drop?: LinkDrop;
  /** The failed pull tries the updater's log shows, each followed by another. */
  retries: PullRetry[];
  layer: PullLayer;
  /** What the registry served the hostOS layer: requests and bytes (one whole copy is `layer.size`). */
  layerServed: { requests: number; bytes: number };
  served: BytesServed;
  /** Blob bytes of one copy of every blob the update pulls (hostOS image and the supervisor it updates to). */
  budget: number;
}

/** Runs the path's update with `fault` struck in its pull, and restores the link whatever happens. */
export async function updateThroughLinkDrop(
  ctx: ScenarioContext,
  path: UpgradePath,
  fault: DropFault,
): Promise<DroppedUpdate> {
  const { board, registry } = ctx;
  const layer = await board.step('the hostOS layer the drop cuts', () => hostOsLayer(ctx, path));
  const budget = await board.step('the bytes the update must pull at most', () => pullBudget(ctx, path));
  const mark = await registry.started.mark();
  let drop: LinkDrop | undefined;
  let run: HupRun;
  try {
    const action = async () => {
      drop = await fault.strike(ctx, layer);
    };
    run = await runUpdate(ctx, path, { at: { phase: fault.phase, afterMs: 0, action, connection: 'resumes' } });
  } finally {
    await board.step(`${fault.name}: link up`, () => fault.restore(ctx));
  }
  const entries = (await registry.started.accessLog()).slice(mark);
  const ofLayer = entries.filter((e) => e.method === 'GET' && e.path.endsWith(`/blobs/${layer.digest}`));
  return {
    run,
    drop,
    retries: retriedPulls(path, run),
    layer,
    layerServed: { requests: ofLayer.length, bytes: ofLayer.reduce((sum, e) => sum + e.bytes, 0) },
    served: await registry.started.bytesServed(mark),
    budget,
  };
}

/** The target hostOS image's largest layer (the reference images have one). */
async function hostOsLayer({ board, registry }: ScenarioContext, path: UpgradePath): Promise<PullLayer> {
  const ref = `resin/resinos:${path.to.version.replace(/\+/g, '_')}-${board.rig.deviceType}`;
  const { manifest } = await registry.started.client.getManifest(ref);
  const largest = [...manifest.layers].sort((a, b) => b.size - a.size)[0];
  if (!largest) throw new Error(`The hostOS image ${ref} in the run's registry has no layers`);
  return { digest: largest.digest, size: largest.size };
}

/** The pull tries of a run that failed and were followed by another, in its updater's words (its log read back). */
export const retriedPulls = (path: UpgradePath, run: HupRun): PullRetry[] =>
  pullRetries(run.log || run.output, pathContract(path));
