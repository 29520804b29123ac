// What `hupbench run` was asked to do, checked before anything starts: the rig, the path (any class:
// 2.x → 2.x, 1.x → 2.x, 1.x → 1.x), and the fault with where it strikes.
import type { DropFault, NewOsFault, OutageFault, PhaseCutFault, ThrottleFault } from '../faults/index.ts';
import { OUTAGE_MS } from '../faults/link.ts';
import { type GuaranteeRow, powerCutGuarantees } from '../faults/guarantees.ts';
import type { RigConfig } from '../rig/rig-config.ts';
import type { UpgradePath } from '../updater/paths.ts';
import {
  faultUsage,
  requireFault,
  requirePath,
  requirePhase,
  requireRelease,
  requireRig,
  requireUpdaterProfile,
  updaterPhases,
  upgradeMatrix,
} from './known.ts';
import { UsageError } from './usage-error.ts';
import { prepareGivenReleases } from '../release/given-releases.ts';
import { loadRunProfile, type RunProfile } from './profile-plan.ts';

export interface RunOptions {
  rig?: string;
  from?: string;
  to?: string;
  fault?: string;
  at?: string;
  /** ms into the phase for the cut (default: the guarantee table's, 0 for the short phases). */
  afterMs?: number;
  /** network-down: how long the link stays down, seconds. */
  outage?: number;
  keep?: boolean;
  /** The updater profile (harness/updater/profiles/); default $HUPBENCH_UPDATER_PROFILE or the reference. */
  updaterProfile?: string;
  /** Release folders (release.yaml and its artifacts) to take releases from. */
  releaseDir?: string[];
  /** A device profile (profiles/*.yaml): the source and how the device looks; --from comes from it. */
  profile?: string;
}

export type PlannedFault =
  | { kind: 'none' }
  | { kind: 'phase-cut'; fault: PhaseCutFault; row: GuaranteeRow }
  | { kind: 'outage'; fault: OutageFault; at: { phase: string; afterMs: number }; outageMs: number }
  | { kind: 'throttle'; fault: ThrottleFault }
  | { kind: 'drop'; fault: DropFault }
  | { kind: 'new-os'; fault: NewOsFault };

export interface RunPlan {
  rig: RigConfig;
  path: UpgradePath;
  fault: PlannedFault;
  /** `<from> → <to>[, <fault> at <phase>]`, for titles and the results folder. */
  label: string;
  /** The results folder's name. */
  slug: string;
  /** The device profile the source is built from (--profile). */
  profile?: RunProfile;
}

export async function planRun(opts: RunOptions): Promise<RunPlan> {
  const profile = requireUpdaterProfile(opts.updaterProfile);
  const rig = await requireRig(opts.rig);
  await prepareGivenReleases(opts.releaseDir ?? [], [rig.deviceType]);
  const profiled = opts.profile ? await loadRunProfile(opts.profile, rig, opts) : undefined;
  const from = await requireRelease(profiled?.from ?? opts.from, '--from (or --profile)');
  const to = await requireRelease(profiled?.to ?? opts.to, '--to');
  const { path } = requirePath(await upgradeMatrix([rig.name]), rig.name, from.version, to.version);
  const fault = await planFault(opts, path);
  const faultLabel =
    fault.kind === 'phase-cut'
      ? `, ${fault.fault.name} at ${fault.row.phase}`
      : fault.kind === 'outage'
        ? `, ${fault.fault.name} at ${fault.at.phase}`
        : fault.kind === 'none'
          ? ''
          : `, ${fault.fault.name}`;
  const slug = `run-${rig.name}${profiled ? `-profile-${profiled.profile.name}` : ''}-${from.version}-to-${to.version}${opts.fault ? `-${opts.fault}${opts.at ? `-at-${opts.at}` : ''}` : ''}`;
  const by = profile.name === 'hupbench-reference' ? '' : `, ${profile.name} updater`;
  return {
    rig,
    path,
    fault,
    label: `${profiled ? `profile ${profiled.profile.name}: ` : ''}${path.from.version} → ${path.to.version}${faultLabel}${by}`,
    slug: by ? `${slug}-${profile.name}` : slug,
    profile: profiled,
  };
}

async function planFault(opts: RunOptions, path: UpgradePath): Promise<PlannedFault> {
  if (opts.at && !opts.fault) throw new UsageError('--at needs a --fault (list them with: hupbench faults)');
  if (!opts.fault) return { kind: 'none' };
  const fault = requireFault(opts.fault);
  const takesAt =
    fault.kind === 'phase-cut' || ((fault.kind === 'link' || fault.kind === 'registry') && fault.effect === 'outage');
  if (opts.at && !takesAt) throw new UsageError(`--fault ${fault.name} ${faultUsage(fault)}.`);
  const at = opts.at ? await requirePhase(opts.at, path.updater) : undefined;
  switch (fault.kind) {
    case 'phase-cut': {
      if (!at)
        throw new UsageError(
          `--fault ${fault.name} needs --at PHASE: the updater phase at which it strikes. Phases of ${path.updater}: ${(await updaterPhases(path.updater)).join(', ')}`,
        );
      const listed = powerCutGuarantees.find((r) => r.updater === path.updater && r.phase === at);
      // A phase the table does not list is still a valid experiment: the old or the new OS, whole.
      const row: GuaranteeRow = listed
        ? { ...listed, afterMs: opts.afterMs ?? listed.afterMs }
        : {
            updater: path.updater,
            phase: at,
            afterMs: opts.afterMs ?? 0,
            guarantee: 'old-or-new',
            why: 'not in the guarantee table: an update must leave the old or the new OS, whole',
          };
      return { kind: 'phase-cut', fault, row };
    }
    case 'link':
    case 'registry':
      if (fault.effect === 'throttle') return { kind: 'throttle', fault };
      if (fault.effect === 'drop') return { kind: 'drop', fault };
      return {
        kind: 'outage',
        fault,
        at: { phase: at ?? fault.at.phase, afterMs: opts.afterMs ?? fault.at.afterMs },
        outageMs: opts.outage !== undefined ? opts.outage * 1000 : OUTAGE_MS,
      };
    case 'new-os':
      if (path.pathClass !== '2x')
        throw new UsageError(
          `--fault ${fault.name} needs a 2.x → 2.x path: it breaks the new root of an A/B update, and the rollback that must catch it exists only between 2.x releases (${path.name} is ${path.pathClass}).`,
        );
      return { kind: 'new-os', fault };
    case 'refusal':
      throw new UsageError(
        `--fault ${fault.name} is a device every updater must refuse; the sanity suites run it: npx playwright test suites/sanity -g '${fault.name}'`,
      );
  }
}
