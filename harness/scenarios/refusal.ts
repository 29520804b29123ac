// A refused update: the device a refusal case runs on (its release, or a card derived from it, booted
// with config.json pointing at the run's registry and a little user data; a 1.x device with its
// supervisor and app running), and the run of the updater as the case says, with the device's
// baseline taken before. Asserting the refusal is the suites' (harness/assertions/refusal.ts).
import type { DeviceState } from '../device/device-state.ts';
import { prepareDevice, runningContainers } from '../device/services.ts';
import { seedData, stateAndChecksums } from '../device/user-data.ts';
import { labWifiNetworks, writeConnmanSettings } from '../device/wifi-settings.ts';
import type { BoardStrategy } from '../board/strategy.ts';
import type { Refusal } from '../faults/types.ts';
import { buildUpdaterArgs, contractOfScript } from '../updater/profiles/index.ts';
import { type HupRun, runUpdater } from '../updater/runner.ts';
import { updaterScript } from '../updater/script.ts';
import type { ScenarioContext } from './context.ts';

/** What a refused update must leave as it was. */
export interface DeviceBaseline {
  state: DeviceState;
  /** sha256 of every file under resin-data. */
  sums: Record<string, string>;
  /** The running containers' names, sorted. */
  containers: string[];
}

export async function deviceBaseline({ device }: BoardStrategy): Promise<DeviceBaseline> {
  const { state, sums } = await stateAndChecksums(device);
  const containers = (await runningContainers(device)).map((c) => c.name).sort();
  return { state, sums, containers };
}

/** Boots the device the refusal runs on. */
export async function bootForRefusal(ctx: ScenarioContext, refusal: Refusal): Promise<void> {
  const { board, registry } = ctx;
  const release = refusal.device;
  await board.step(`publish ${release.version}`, () => registry.publish(release.version));
  const image = (await ctx.imageFor(release.version)).path;
  const card = refusal.card ? await board.step('derive the card', () => refusal.card!(image)) : image;
  await board.start(card);
  const oneX = release.layout === '1.x';
  await board.step(`${release.version}: config.json${oneX ? ', the supervisor and the app running' : ''}`, async () => {
    await prepareDevice(board.device, {
      registry: registry.started.deviceUrl,
      deviceType: board.rig.deviceType,
      supervisorVersion: release.supervisor,
      waitForApp: oneX,
    });
    if (oneX) await writeConnmanSettings(board.device, labWifiNetworks);
    await seedData(board.device, 2, 256);
  });
}

export interface RefusedRun {
  run: HupRun;
  /** The device before the refusal was arranged. */
  before: DeviceBaseline;
}

/** Takes the baseline, arranges the refusal, runs `updater` as it says (no reboot expected), undoes. */
export async function runRefused(ctx: ScenarioContext, updater: string, refusal: Refusal): Promise<RefusedRun> {
  const { board } = ctx;
  const before = await deviceBaseline(board);
  const undo = refusal.arrange
    ? await board.step(`arrange: ${refusal.name}`, () => refusal.arrange!(board))
    : undefined;
  // The registry is the worker's: what the case changed in it is put back even when the run throws.
  const undoRegistry = refusal.arrangeRegistry
    ? await board.step(`arrange the registry: ${refusal.name}`, () => refusal.arrangeRegistry!(ctx))
    : undefined;
  const { contract } = contractOfScript(updater);
  try {
    const run = await runUpdater(board, {
      script: updaterScript(updater),
      contract,
      files: contract.files.map(updaterScript),
      args: buildUpdaterArgs(contract, { targetVersion: refusal.target, registry: refusal.registry }),
      step: (name, body) => board.step(name, body),
      expectReboot: false,
    });
    return { run, before };
  } finally {
    if (undoRegistry) await board.step(`undo the registry: ${refusal.name}`, undoRegistry);
    if (undo) await undo();
  }
}
