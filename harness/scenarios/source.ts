// "Boot a source of class C ready for an update": the path's releases (and its class's helper image)
// in the registry, the source release's card flashed and booted, config.json pointing at the
// registry, the supervisor and the app running, user data in resin-data, and for 2.x sources
// rollback-health's window shortened so a test can wait for its verdict. The device's state and
// data checksums before the update come back with it.
import type { StartTimes } from '../board/boot.ts';
import type { DeviceState } from '../device/device-state.ts';
import { healthWindowScript } from '../device/health-window.ts';
import { prepareDevice } from '../device/services.ts';
import { seedDataScript, stateAndChecksums } from '../device/user-data.ts';
import { labWifiNetworks, type WifiNetwork, writeConnmanSettings } from '../device/wifi-settings.ts';
import { type DataSeed, type SeededCard, seedResinData } from '../image/seed-data.ts';
import type { UpgradePath } from '../updater/paths.ts';
import type { ScenarioContext } from './context.ts';
import { preparedSnapshotFor, resumePrepared, savePrepared } from './prepared-source.ts';

const MiB = 1024 * 1024;

export interface SourceOptions {
  /**
   * 1.x sources: MB of incompressible files seeded into the card's btrfs resin-data on the host (the
   * backup phase's load); 1.x → 2.x paths default to 16. Otherwise a few files are seeded on the device.
   */
  seedMB?: number;
  /** Size of each file seeded on the host, default 4 MiB. */
  seedFileBytes?: number;
  /** 1.x sources: the whole host-side seed (kind, size, files), instead of `seedMB`. */
  seed?: DataSeed;
  /** Edits the card before it is flashed (e.g. a 1.x card running from resin-updt); returns the new card. */
  card?: (image: string) => Promise<string>;
  /** 1.x sources: extra config.json keys (e.g. the keys older releases carried). */
  configOverrides?: Record<string, string>;
  /** 1.x sources: WiFi networks in config.json; default the lab's. */
  wifi?: WifiNetwork[];
  /** The test must see the source's real first boot (no login snapshot resumed). */
  firstBoot?: boolean;
}

export interface BootedSource {
  path: UpgradePath;
  started: StartTimes;
  before: DeviceState;
  /** sha256 of every file under resin-data (the app's heartbeats aside). */
  sums: Record<string, string>;
  /** 1.x → 2.x: the seeded card and the checksums recorded on the host. */
  seeded?: SeededCard;
}

export async function bootSource(
  ctx: ScenarioContext,
  path: UpgradePath,
  opts: SourceOptions = {},
): Promise<BootedSource> {
  const { board, registry } = ctx;
  const { device } = board;
  // The source's images first (its supervisor and app are pulled as it is prepared); the target's and
  // the helper's are pushed while the board starts and the source is prepared, and waited for before
  // the update.
  // Note: the card and the source's images are resolved from the same inputs: side by side, the apt
  // look-ups they share are made once.
  const image = ctx.imageFor(path.from.version);
  image.catch(() => undefined);
  await board.step(`publish ${path.from.version}`, () => registry.publish(path.from.version));
  const publishing = registry.publishPath(path);
  publishing.catch(() => undefined);
  let card = (await image).path;
  if (opts.card) card = await opts.card(card);
  let seeded: SeededCard | undefined;
  const seedOnHost =
    path.from.layout === '1.x' && (path.pathClass === '1x-2x' || opts.seedMB !== undefined || opts.seed !== undefined);
  if (seedOnHost) {
    const spec: DataSeed = opts.seed ?? {
      kind: 'incompressible',
      totalBytes: (opts.seedMB ?? 16) * 1_000_000,
      fileBytes: opts.seedFileBytes ?? 4 * MiB,
    };
    seeded = await board.step(
      `seed ${spec.totalBytes / 1_000_000} MB of ${spec.kind} data into resin-data on the host`,
      () => seedResinData(card, spec),
    );
    card = seeded.path;
  }
  const custom = seedOnHost || Boolean(opts.card || opts.firstBoot || opts.configOverrides || opts.wifi || opts.seed);
  const prepared = await preparedSnapshotFor(ctx, path, custom);
  const resumed = prepared && (await resumePrepared(ctx, prepared));
  const started = resumed || (await prepareSource(ctx, path, card, opts, seedOnHost));
  if (prepared?.saveAfter && !resumed) await savePrepared(ctx, prepared);
  await board.step(`publish ${path.to.version} and what ${path.updater} pulls (pushed meanwhile)`, () => publishing);
  const { state: before, sums } = await stateAndChecksums(device);
  return { path, started, before, sums, seeded };
}

/** Boots the source card and prepares it: config.json, the supervisor and the app, the seed. */
async function prepareSource(
  ctx: ScenarioContext,
  path: UpgradePath,
  card: string,
  opts: SourceOptions,
  seedOnHost: boolean,
): Promise<StartTimes> {
  const { board, registry } = ctx;
  const { rig, device } = board;
  const started = await board.start(card, { firstBoot: opts.firstBoot });
  await board.step(`${path.from.version}: config.json, the supervisor and the app running`, async () => {
    await prepareDevice(device, {
      registry: registry.started.deviceUrl,
      deviceType: rig.deviceType,
      supervisorVersion: path.from.supervisor,
      waitForApp: true,
      configOverrides: opts.configOverrides,
    });
    if (path.from.layout === '1.x') await writeConnmanSettings(device, opts.wifi ?? labWifiNetworks);
    // One round trip: the seed on the device and rollback-health's window.
    const setup = [
      ...(seedOnHost ? [] : [seedDataScript()]),
      ...(path.pathClass === '2x' ? [healthWindowScript()] : []),
    ];
    if (setup.length) await device.check(setup.join(' && '));
  });
  return started;
}
