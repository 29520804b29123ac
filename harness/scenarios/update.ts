// "Run the update of path P and follow it": the path's updater with the arguments its class takes,
// its phases as steps, the reboot it makes followed to the new OS and SSH (and, for a pre-step that
// asks for it, the rerun). Faults that strike at a phase ride on `at`.
import { pullAllowanceMs, SERVICES_PULL_MB } from '../device/services.ts';
import type { Rig } from '../rig/rig.ts';
import type { UpgradePath } from '../updater/paths.ts';
import { buildUpdaterArgs, contractOfScript, type UpdaterContract } from '../updater/profiles/index.ts';
import { type HupRun, type RunUpdaterOptions, runUpdater } from '../updater/runner.ts';
import { updaterScript } from '../updater/script.ts';
import type { ScenarioContext } from './context.ts';

export interface UpdateOptions extends Pick<RunUpdaterOptions, 'at' | 'expectReboot' | 'onOutput' | 'timeoutMs'> {
  /** More updater arguments, as the path's updater spells them. */
  extraArgs?: string[];
  /** Do not reboot when done (the updater's no-reboot flag, as its profile names it). */
  noReboot?: boolean;
  /** Go on past a refusal the updater can be talked out of (its profile's force flag). */
  force?: boolean;
  /** Step names get this prefix (e.g. `retry: `). */
  stepPrefix?: string;
  /** MB seeded into resin-data (1.x → 2.x: the backup's size sets the time the migration may take). */
  seedMB?: number;
}

/** The contract of the path's updater (its profile's, harness/updater/profiles/). */
export const pathContract = (path: UpgradePath): UpdaterContract => contractOfScript(path.updater).contract;

/** The arguments the path's updater takes for it, in its own flag names. */
export function updaterArgs(
  path: UpgradePath,
  extra: string[] = [],
  opts: Pick<UpdateOptions, 'noReboot' | 'force'> = {},
): string[] {
  const invocation = { targetVersion: path.to.version, supervisorVersion: path.to.supervisor, ...opts };
  return [...buildUpdaterArgs(pathContract(path), invocation), ...extra];
}

/** The top of real hostOS images' range (70-120 MB compressed). */
const REAL_HOSTOS_MB = 120;

/**
 * What pulling and unpacking real-sized images adds to one update (or one source's preparation) on
 * this rig, beyond the budgets below (set for the lean engine's 16-26 MB images): a hostOS image and
 * the supervisor and app, and the hostOS's export onto the spare root.
 */
export function imagePullAllowanceMs(rig: Rig): number {
  return pullAllowanceMs(rig, REAL_HOSTOS_MB + SERVICES_PULL_MB);
}

/**
 * Test time for one 1.x migration: the Raspberry Pi rig is several times slower (SD card I/O under
 * raspi3b). A migration pulls two images (the updater's and the hostOS).
 */
export function migrationTimeoutMs(rig: Rig, dataMB = 0): number {
  const slow = rig.deviceType === 'raspberrypi3-64' ? 3 : 1;
  return (12 + dataMB / 25) * 60_000 * slow + 2 * imagePullAllowanceMs(rig);
}

/** How long one update of the path may take on this rig. */
export function updateTimeoutMs(rig: Rig, path: UpgradePath, seedMB = 0): number {
  return path.pathClass === '2x' ? 15 * 60_000 + imagePullAllowanceMs(rig) : migrationTimeoutMs(rig, seedMB);
}

/** The runner's options for the update of a path: its script and arguments, its steps, its time. */
export function updaterOptions(ctx: ScenarioContext, path: UpgradePath, opts: UpdateOptions = {}): RunUpdaterOptions {
  const { board } = ctx;
  const prefix = opts.stepPrefix ?? '';
  return {
    script: updaterScript(path.updater),
    contract: pathContract(path),
    files: pathContract(path).files.map(updaterScript),
    args: updaterArgs(path, opts.extraArgs, opts),
    step: (name, body) => board.step(`${prefix}${name}`, body),
    timeoutMs: opts.timeoutMs ?? updateTimeoutMs(board.rig, path, opts.seedMB),
    at: opts.at,
    expectReboot: opts.expectReboot,
    onOutput: opts.onOutput,
  };
}

export function runUpdate(ctx: ScenarioContext, path: UpgradePath, opts: UpdateOptions = {}): Promise<HupRun> {
  return runUpdater(ctx.board, updaterOptions(ctx, path, opts));
}
