// The meter for the update of a path on a scenario's device: the images it held before the update are
// the source's supervisor and the app (and any the caller names, e.g. an app preloaded from the card) (any of their blobs pulled during the update is a finding).
import type { ScenarioContext } from '../scenarios/context.ts';
import type { UpgradePath } from '../updater/paths.ts';
import { heldReferences, startUpdateMeter, type UpdateMeter } from './meter.ts';

export function measureUpdate(
  ctx: ScenarioContext,
  path: UpgradePath,
  opts: { supervisor?: string; heldBlobs?: string[] } = {},
): Promise<UpdateMeter> {
  const { board, registry } = ctx;
  return startUpdateMeter(registry.started, board.device, {
    references: heldReferences(board.rig.deviceType, opts.supervisor ?? path.from.supervisor),
    blobs: opts.heldBlobs,
  });
}
