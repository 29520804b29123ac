// The update of a profiled device (`hupbench run --profile`, suites/profiles.spec.ts): the profile's link conditions for the
// whole update (rate and loss at the registry, outages of the device's link timed from the update's
// start), the update itself (or the --fault asked for), the device judged against what the profile
// expects (updated, or refused with its words), and the device captured again afterwards so the
// evidence says which of the profile's fields the update kept.
import { captureProfile } from './capture.ts';
import { compareProfiles, type FieldCheck } from './compare-profiles.ts';
import { applyLink } from './profile-link.ts';
import type { DeviceProfile } from './profile-schema.ts';
import type { ProfiledSource } from './profile-source.ts';
import type { ScenarioContext } from '../scenarios/context.ts';
import { judgeUpdated, type Judgement, type SettledDevice, settledDevice } from '../scenarios/judgements.ts';
import type { BootedSource } from '../scenarios/source.ts';
import { runUpdate, updateTimeoutMs } from '../scenarios/update.ts';
import type { HupRun } from '../updater/runner.ts';
import { measureUpdate } from '../bandwidth/measure-update.ts';
import type { UpdateTraffic } from '../bandwidth/update-traffic-schema.ts';
import { expectSupervisorAndAppRunning, pullAllowanceMs, SERVICES_PULL_MB } from '../device/services.ts';
import { awaitTrialVerdict } from '../scenarios/history-steps.ts';
import { expectPinnedAppPulled, pinAppByDigest, publishPreloadedApp, restartEngineOnEmptyStore } from './app-repull.ts';

export interface ProfilePlayed {
  run?: HupRun;
  judgement: Judgement;
  /** The device after the update against the profile: what the update kept of it (informational). */
  after?: FieldCheck[];
  /** The whole update's bandwidth (harness/bandwidth/), when the updater ran. */
  traffic?: UpdateTraffic;
}

/** What an update pulls at real sizes, with room for retries: a 98 MB hostOS and a 14 MB supervisor layer. */
const UPDATE_PULL_BYTES = 130e6;

/** Update time on a shaped link: the usual time plus the update's pull at the link's rate. */
function timeoutFor(ctx: ScenarioContext, source: BootedSource, profile: DeviceProfile): number {
  const base = updateTimeoutMs(ctx.board.rig, source.path);
  const rate = profile.link?.rateKbit;
  return rate ? base + ((UPDATE_PULL_BYTES * 8) / (rate * 1000)) * 1000 : base;
}

export async function updateProfiled(
  ctx: ScenarioContext,
  profile: DeviceProfile,
  profiled: ProfiledSource,
  note: (line: string) => void,
  playFault?: () => Promise<{ run?: HupRun; judgement: Judgement }>,
): Promise<ProfilePlayed> {
  const { source } = profiled;
  const rig = ctx.board.rig;
  const link = await ctx.board.step(`profile ${profile.name}: link conditions`, () =>
    applyLink(ctx.registry.started, profile.link),
  );
  note(`profile link: ${link.description}`);
  const { device } = ctx.board;
  const app = profile.app;
  const repull = app?.repullDuringUpdate
    ? await ctx.board.step(
        `profile ${profile.name}: publish the preloaded ${app.sizeMB} MB app as it is on the card`,
        () => publishPreloadedApp(ctx.registry.started.client, rig.deviceType, app.sizeMB),
      )
    : undefined;
  const supervisor = profile.device.supervisor ?? source.path.from.supervisor;
  const meter = await measureUpdate(ctx, source.path, { supervisor, heldBlobs: repull?.blobs });
  if (repull) {
    await ctx.board.step(`profile ${profile.name}: config.json names the app by digest (the re-pull provoked)`, () =>
      pinAppByDigest(device, repull.pinned),
    );
    note(`profile app: config.json now names the app ${repull.pinned} (the image it runs)`);
  }
  let played: { run?: HupRun; judgement?: Judgement };
  try {
    link.armOutages(rig, note);
    played = playFault
      ? await playFault()
      : { run: await runUpdate(ctx, source.path, { timeoutMs: timeoutFor(ctx, source, profile) }) };
  } finally {
    await link.restore(rig);
    if (profile.link?.resetEverySeconds) {
      const { applied, struck } = link.resets();
      note(`profile link: the registry's connections were reset ${applied} times; ${struck} met a busy connection`);
    }
  }
  if (repull && played.run?.exitCode === 0 && played.run.reboots > 0) {
    // After rollback-health kept the new OS: during its trial the emptied store made the supervisor
    // miss its checks (it must be pulled again first), and the device rolled back (stop 37).
    await awaitTrialVerdict(ctx);
    await ctx.board.step(
      `profile ${profile.name}: the new OS's engine restarted on an empty store (the re-pull provoked)`,
      () => restartEngineOnEmptyStore(device),
    );
  }
  const settled = played.judgement ? undefined : await settledDevice(ctx, source);
  const judgement = played.judgement ?? judgeExpected(profile, source, played.run!, settled!);
  const traffic = played.run
    ? await ctx.board.step(`profile ${profile.name}: the update's bandwidth, once the device settled`, async () => {
        const settledOnTarget = await settleServices(ctx, source, profile, repull?.pinned).then(
          () => true,
          (e: Error) => {
            note(`bandwidth: read before the device settled: ${e.message.split('\n')[0]}`);
            return false;
          },
        );
        return meter.read(played.run!, settledOnTarget);
      })
    : undefined;
  const after = await ctx.board
    .step(`profile ${profile.name}: what the update kept`, async () => {
      const { profile: got, facts } = await captureProfile(ctx.board.device, `${profile.name}-after`);
      // The release and supervisor the device should run now: the source's after an expected refusal.
      const refused = profile.expect?.outcome === 'refused';
      const release = refused ? source.path.from.version : source.path.to.version;
      const supervisor = refused
        ? (profile.device.supervisor ?? source.path.from.supervisor)
        : source.path.to.supervisor;
      return compareProfiles({ ...profile, device: { ...profile.device, release } }, got, { supervisor, facts });
    })
    .catch((e) => [{ field: '(capture after the update)', want: '-', got: (e as Error).message, ok: false }]);
  return { run: played.run, judgement, after, traffic };
}

/** An updated device settles when its supervisor and app run again (and a provoked re-pull finished). */
async function settleServices(ctx: ScenarioContext, source: BootedSource, profile: DeviceProfile, pinned?: string) {
  if (profile.expect?.outcome === 'refused') throw new Error('the profile expects a refusal: nothing to settle on');
  const { device } = ctx.board;
  // A re-pulled app comes to run only once its whole image is in again.
  const pullMB = SERVICES_PULL_MB + (pinned ? profile.app!.sizeMB : 0);
  const timeoutMs = 240_000 + pullAllowanceMs(device.rig, pullMB);
  await expectSupervisorAndAppRunning(device, source.path.to.supervisor, { when: 'after the update', timeoutMs });
  if (pinned) await expectPinnedAppPulled(device, pinned, profile.app!.sizeMB);
}

/** Updated (the default), or refused with the profile's words and the device left on its source. */
function judgeExpected(profile: DeviceProfile, source: BootedSource, run: HupRun, s: SettledDevice): Judgement {
  if (profile.expect?.outcome !== 'refused') return judgeUpdated(source, run, s);
  const words = profile.expect.message ? new RegExp(profile.expect.message) : undefined;
  const said = run.error ?? run.log.split('\n').slice(-5).join(' ');
  const onSource = s.after.osRelease.VERSION === source.path.from.version;
  const ok = run.exitCode !== 0 && onSource && s.dataKept && (!words || words.test(`${run.error ?? ''}\n${run.log}`));
  return {
    ok,
    line: `${ok ? 'refused as the profile expects' : 'NOT refused as the profile expects'} (updater exit ${run.exitCode}${words ? `, words /${words.source}/ ${words.test(`${run.error ?? ''}\n${run.log}`) ? 'found' : 'NOT found'}` : ''}: ${said}): ${s.where}`,
  };
}
