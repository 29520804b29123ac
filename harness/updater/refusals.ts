// A refused update, asserted the same way for every updater (the @sanity suites): the updater runs on
// a booted device, with arguments or on a device it must refuse, and must exit with the expected code,
// say why, not reboot, run no phase past its checks, and leave the device as it was: DeviceState
// (stableState), the running containers, the resin-data checksums.
import { expect, test } from '@playwright/test';
import type { Release } from '../../images/lib/releases.ts';
import { startFromImage } from '../board/boot.ts';
import { withPartitionShrunk } from '../image/card-image.ts';
import type { Device } from '../device/device.ts';
import { bootOneXDevice } from '../device/one-x-device.ts';
import { labWifiNetworks } from '../device/wifi-settings.ts';
import { prepareDevice } from '../device/services.ts';
import { dataChecksums, seedData } from '../device/user-data.ts';
import { stableState } from '../device/device-state.ts';
import { updaterScript } from './script.ts';
import { describeRun, runUpdater, type HupRun } from './runner.ts';
import type { UpdateTestContext } from './source-device.ts';

export interface Refusal {
  /** What is refused: the test is `<updater> refuses: <name>`. */
  name: string;
  /** The release the device runs. */
  device: Release;
  /** The card to flash instead of the release's own (e.g. one with a shrunk spare root). */
  card?: (image: string) => Promise<string>;
  /** The version asked for (`--hostos-version`). */
  target: string;
  /** More arguments for the updater. */
  args?: string[];
  exitCode: number;
  /** The message that says why. */
  message: RegExp;
  /** Runs on the booted device before the updater; may return its undo. */
  arrange?: (device: Device) => Promise<(() => Promise<void>) | void>;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * What every updater refuses on a device running `device` asked for `target` (published): another
 * device type in config.json without --force-slug, an unreachable registry, a version with no image
 * (`missing`), and a second update while one holds the lock (exit 9). The messages are the same in
 * every updater.
 */
export function commonRefusals(device: Release, target: string, missing: string): Refusal[] {
  return [
    {
      name: 'wrong device type (no --force-slug)',
      device,
      target,
      // Any device type but the rig's own.
      arrange: async (d) => {
        const other = d.rig.deviceType === 'raspberrypi3-64' ? 'beaglebone-black' : 'raspberrypi3-64';
        await d.check(`sed -i 's/"deviceType": "[^"]*"/"deviceType": "${other}"/' /mnt/boot/config.json && sync`);
      },
      exitCode: 1,
      message: /device type mismatch: .*deviceType=\S+ but this OS is built for MACHINE=\S+; refusing/,
    },
    {
      name: 'unreachable registry',
      device,
      target,
      // Port 9 on the host (discard): nothing listens there.
      args: ['--registry', 'http://10.0.2.2:9'],
      exitCode: 1,
      message: /registry http:\/\/10\.0\.2\.2:9 unreachable/,
    },
    {
      name: 'missing image tag',
      device,
      target: missing,
      exitCode: 1,
      message: new RegExp(`image resin/resinos:${escapeRegExp(missing.replace('+', '_'))}-\\S+ not found in registry`),
    },
    {
      name: 'update lock held',
      device,
      target,
      arrange: async (d) => {
        await d.check(
          '(flock -n /var/lock/resinhup.lock sleep 600 < /dev/null > /dev/null 2>&1 &) ; sleep 1; echo held',
        );
        return async () => void (await d.exec("pkill -f 'flock -n /var/lock/resinhup.lock' ; true"));
      },
      exitCode: 9,
      message: /another update holds the lock \/var\/lock\/resinhup\.lock/,
    },
  ];
}

/** A version as a regular expression. */
export const versionPattern = escapeRegExp;

/** How small the shrunk spare root is: the reference releases' roots hold ~25 MB of files. */
const SHRUNK_SPARE_MIB = 16;

/**
 * The spare root (partition `spareLabel` of the release's card, shrunk host-side to 16 MiB with a fresh
 * ext4) is smaller than the files of the target's root: refused before anything is written.
 */
export function spareRootTooSmall(device: Release, target: string, spareLabel: string): Refusal {
  const spareMB = ((SHRUNK_SPARE_MIB * 1024 * 1024) / 1e6).toFixed(1);
  return {
    name: 'spare root too small',
    device,
    card: (image) => withPartitionShrunk(image, spareLabel, SHRUNK_SPARE_MIB),
    target,
    exitCode: 1,
    message: new RegExp(
      `spare root too small: \\S+ \\(${spareLabel}\\) holds ${escapeRegExp(spareMB)} MB but the root filesystem of ${escapeRegExp(target)} needs at least [\\d.]+ MB \\(the size of its files\\)`,
    ),
  };
}

/**
 * The device a refusal runs on: its release (or derived card) booted, config.json pointing at the
 * test's registry, a little user data; a 1.x device with its supervisor and app running.
 */
export async function bootForRefusal(
  { rig, device, registry, imageFor }: UpdateTestContext,
  refusal: Refusal,
): Promise<void> {
  const release = refusal.device;
  await registry.publish(release.version);
  const image = (await imageFor(release.version)).path;
  const card = refusal.card ? await refusal.card(image) : image;
  if (release.layout === '1.x') {
    await bootOneXDevice(rig, device, {
      image: card,
      registryUrl: registry.started.deviceUrl,
      supervisorVersion: release.supervisor,
      wifi: labWifiNetworks,
    });
  } else {
    await startFromImage(rig, device, card);
    await prepareDevice(device, {
      registry: registry.started.deviceUrl,
      deviceType: rig.deviceType,
      supervisorVersion: release.supervisor,
    });
  }
  await seedData(device, 2, 256);
}

const runningContainers = async (device: Device) =>
  (await device.exec('docker ps -q')).stdout.split('\n').filter(Boolean).sort();

/** Runs `updater` as the refusal says and asserts that it refused cleanly. */
export async function expectRefusal(
  { rig, device }: UpdateTestContext,
  updater: string,
  refusal: Refusal,
): Promise<HupRun> {
  const testInfo = test.info();
  testInfo.annotations.push({
    type: 'path',
    description: `${refusal.device.version} → ${refusal.target} on ${rig.deviceType}`,
  });
  const before = await device.snapshot();
  const sumsBefore = await dataChecksums(device);
  const containersBefore = await runningContainers(device);
  const undo = await refusal.arrange?.(device);
  const run = await runUpdater(device, rig, {
    script: updaterScript(updater),
    args: ['--hostos-version', refusal.target, ...(refusal.args ?? [])],
    step: (name, body) => test.step(name, body),
    expectReboot: false,
  });
  if (undo) await undo();
  await testInfo.attach('updater.log', { body: run.log, contentType: 'text/plain' });

  expect(run.exitCode, describeRun(run)).toBe(refusal.exitCode);
  expect(run.output, 'the refusal says why').toMatch(refusal.message);
  expect(run.reboots, 'a refused update does not reboot').toBe(0);
  expect(
    run.phases.map((p) => p.name).filter((p) => p !== 'checks'),
    'no phase past the checks',
  ).toEqual([]);

  const after = await device.snapshot();
  await testInfo.attach('device-state.json', {
    body: JSON.stringify({ before, after }, null, 2),
    contentType: 'application/json',
  });
  expect(stableState(after), 'DeviceState after the refusal').toEqual(stableState(before));
  expect(await runningContainers(device), 'the containers running after the refusal').toEqual(containersBefore);
  expect(await dataChecksums(device), 'resin-data checksums after the refusal').toEqual(sumsBefore);
  return run;
}
