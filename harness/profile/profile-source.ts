// "Boot the device a profile describes, ready for an update": the source release (and the release
// that ships the profile's supervisor) in the registry, the profile's card (grown, resin-data holding
// its data and its preloaded app) flashed and booted, config.json at the registry with the profile's
// supervisor, its custom keys and WiFi, 1.x root files changed, partitions filled; then the device
// is captured and compared with the profile, field by field, before any update runs; last, the
// profile's history, if it names one, is replayed on it.
import { loadReleases } from '../../images/lib/releases.ts';
import { healthWindowScript } from '../device/health-window.ts';
import { prepareDevice, pullAllowanceMs, runningContainers, SERVICES_PULL_MB } from '../device/services.ts';
import type { Device } from '../device/device.ts';
import { heartbeats, stateAndChecksums } from '../device/user-data.ts';
import { waitFor } from '../wait.ts';
import type { ScenarioContext } from '../scenarios/context.ts';
import type { BootedSource } from '../scenarios/source.ts';
import type { UpgradePath } from '../updater/paths.ts';
import { type CapturedFacts, captureProfile } from './capture.ts';
import { compareProfiles, type FieldCheck, mismatchLines } from './compare-profiles.ts';
import { profileCard } from './profile-card.ts';
import { applyConfig, applyFill, applyRootChanges } from './profile-device.ts';
import { type ReplayedHistory, replayHistory } from './profile-history.ts';
import type { DeviceProfile } from './profile-schema.ts';

export interface ProfiledSource {
  source: BootedSource;
  /** The device as captured before the update, and each field's check against the profile. */
  captured: DeviceProfile;
  facts: CapturedFacts;
  checks: FieldCheck[];
  /** The profile's history, replayed after the check (profile-history.ts): its timeline. */
  history?: Pick<ReplayedHistory, 'timeline' | 'markdown'>;
}

export class ProfileMismatchError extends Error {
  override name = 'ProfileMismatchError';
}

export async function bootProfileSource(
  ctx: ScenarioContext,
  path: UpgradePath,
  profile: DeviceProfile,
  profileFile: string,
): Promise<ProfiledSource> {
  const { board, registry } = ctx;
  const { device, rig } = board;
  const supervisor = profile.device.supervisor ?? path.from.supervisor;
  const image = ctx.imageFor(path.from.version);
  image.catch(() => undefined);
  await board.step(`publish ${path.from.version}`, () => registry.publish(path.from.version));
  if (supervisor !== path.from.supervisor) {
    const shipping = (await loadReleases()).find((r) => r.supervisor === supervisor)!;
    await board.step(`publish ${shipping.version} (it ships supervisor ${supervisor})`, () =>
      registry.publish(shipping.version),
    );
  }
  const publishing = registry.publishPath(path);
  publishing.catch(() => undefined);
  const card = await board.step(`profile ${profile.name}: the card (size, resin-data, preloaded app)`, async () =>
    profileCard((await image).path, profile, profileFile, rig.deviceType),
  );
  const started = await board.start(card.path, { firstBoot: true });
  await board.step(`${path.from.version}: config.json, supervisor ${supervisor} and the app running`, async () => {
    const prepare = { registry: registry.started.deviceUrl, deviceType: rig.deviceType, supervisorVersion: supervisor };
    if (!profile.app) return prepareDevice(device, { ...prepare, waitForApp: true });
    // A big preloaded app is unpacked into its container on its first start, on the emulated core.
    await prepareDevice(device, prepare);
    await device.check('/etc/rc.d/S60supervisor start');
    await waitForBigApp(device, profile.app.sizeMB);
  });
  await board.step(`profile ${profile.name}: config.json keys and WiFi`, () =>
    applyConfig(device, profile, path.from.layout),
  );
  await board.step(`profile ${profile.name}: root changes and fill levels`, async () => {
    await applyRootChanges(device, profile);
    await applyFill(device, profile);
    if (path.pathClass === '2x') await device.check(healthWindowScript());
  });
  await board.step(`publish ${path.to.version} and what ${path.updater} pulls (pushed meanwhile)`, () => publishing);
  const { captured, facts, checks } = await checkDevice(ctx, profile, supervisor);
  const { state: before, sums } = await stateAndChecksums(device);
  const built: BootedSource = { path, started, before, sums };
  if (!profile.history) return { source: built, captured, facts, checks };
  const { source, timeline, markdown } = await replayHistory(ctx, profile.history, built);
  return { source, captured, facts, checks, history: { timeline, markdown } };
}

/**
 * The app running with a heartbeat: a few minutes per 100 MB of image to unpack under TCG; on the
 * real engine, `docker load` of the card's archive first (339 MB took 9.3 min on the BeagleBone) and
 * the supervisor's pull after it, at the rig's pull rate.
 */
async function waitForBigApp(device: Device, sizeMB: number): Promise<void> {
  const timeoutMs = (3 + sizeMB / 25) * 60_000 + pullAllowanceMs(device.rig, sizeMB + SERVICES_PULL_MB);
  await waitFor(
    async () => {
      const running = await runningContainers(device);
      return running.some((c) => c.name === 'app') && (await heartbeats(device)).length >= 2 ? true : undefined;
    },
    { timeoutMs, intervalMs: 5000, what: `the ${sizeMB} MB app unpacked and running with a heartbeat` },
  );
}

/** Captures the device and compares it with the profile; a mismatch is an error naming each field. */
async function checkDevice(ctx: ScenarioContext, profile: DeviceProfile, supervisor: string) {
  return ctx.board.step(`profile ${profile.name}: the device matches its profile`, async () => {
    const { profile: captured, facts } = await captureProfile(ctx.board.device, `${profile.name}-captured`);
    const checks = compareProfiles(profile, captured, { supervisor, facts });
    const bad = mismatchLines(checks);
    if (bad.length)
      throw Object.assign(
        new ProfileMismatchError(
          `The device does not match profile ${profile.name} before the update:\n  ${bad.join('\n  ')}`,
        ),
        { checks, captured },
      );
    return { captured, facts, checks };
  });
}
