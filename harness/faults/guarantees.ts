// What must hold after a power cut in each phase of an update, per path class: data the faults suite
// iterates over, and the report prints with the measured outcome beside each row. An updater's rows are
// its profile's phases (harness/updater/profiles/), each with its class's guarantee for that phase: any
// updater described by a profile is held to the same table. A phase the table does not list (e.g. a
// pre-step's) has no row.
import type { DeviceState } from '../device/device-state.ts';
import { updaterProfiles } from '../updater/profiles/index.ts';
import type { UpdaterContract } from '../updater/profiles/types.ts';

/**
 * - `old-os`: the old OS boots intact, with its data, and a rerun of the updater succeeds.
 * - `new-os`: the new OS boots, with the data.
 * - `old-or-new`: one of the two, whole (an atomic switch was cut around its commit point).
 * - `unsafe`: a known unsafe window: the outcome is recorded and reported as a finding; still asserted:
 *   one OS boots whole with its data, or a rerun of the updater brings the device to the target with
 *   its data (else the row fails as "bricked").
 */
export type Guarantee = 'old-os' | 'new-os' | 'old-or-new' | 'unsafe';

export interface GuaranteeRow {
  /** The updater's script (as UpgradePath.updater names it). */
  updater: string;
  phase: string;
  /** How far into the phase the cut comes, ms (mid-phase for the long ones). */
  afterMs: number;
  guarantee: Guarantee;
  why: string;
}

type PathClass = '2x' | '1x-2x' | '1x';

/** One phase's guarantee for every updater of a path class. */
interface PhaseGuarantee extends Omit<GuaranteeRow, 'updater'> {
  pathClass: PathClass;
}

const row =
  (pathClass: PathClass) =>
  (phase: string, guarantee: Guarantee, why: string, afterMs = 0): PhaseGuarantee => ({
    pathClass,
    phase,
    afterMs,
    guarantee,
    why,
  });
const twoX = row('2x');
const oneX = row('1x');
const oneXToTwoX = row('1x-2x');

const phaseGuarantees: PhaseGuarantee[] = [
  twoX('checks', 'old-os', 'nothing written yet'),
  twoX('stop-supervisor', 'old-os', 'only the supervisor stopped; the old OS starts it at boot'),
  twoX('pull', 'old-os', 'a partial pull lives in the engine store; the boot settings still name the old root', 2000),
  twoX('format-spare', 'old-os', 'only the spare root is being written', 300),
  twoX('export', 'old-os', 'only the spare root is being written', 1500),
  twoX(
    'boot-files',
    'old-os',
    'boot files are written to a temporary name and renamed; the boot settings still name the old root',
  ),
  twoX('supervisor', 'old-os', 'a newer supervisor runs on the old OS as well'),
  // Note: breadcrumbs is a few file writes and a sync, directly followed by switch-boot; its
  // `phase=` line, switch-boot's and reboot's have been measured to reach the harness in one read,
  // so a cut sent as it starts landed after the switch (new-os): either OS, whole, is what a cut
  // here can be held to.
  twoX(
    'breadcrumbs',
    'old-or-new',
    'breadcrumbs without upgrade_available=1 are cleared by rollback-health; the boot switch follows at once',
  ),
  twoX(
    'switch-boot',
    'old-or-new',
    'resinOS_uEnv.txt is replaced by a rename on vfat, synced right after: either settings, whole',
  ),
  twoX('reboot', 'new-os', 'everything was synced before the reboot phase'),
  oneXToTwoX('checks', 'old-os', 'nothing written yet'),
  oneXToTwoX('stop-services', 'old-os', 'services stopped; the old OS starts them at boot'),
  oneXToTwoX('remove-containers', 'old-os', 'containers and images removed; the old OS pulls its supervisor again'),
  oneXToTwoX('tools', 'old-os', 'tools fetched to a temporary directory'),
  oneXToTwoX('pull', 'old-os', "the 2.x hostOS image is pulled into the 1.x engine's store only", 2000),
  oneXToTwoX('stage', 'old-os', 'the 2.x root is exported to the spare root only', 1500),
  oneXToTwoX('backup', 'old-os', 'the backup is written to the spare root only', 1500),
  // The repartition (upgrade-1.x-to-2.x.sh's header): the 1.x root keeps its place and boot settings until
  // switch-boot, so the 1.x OS boots after any of these cuts; a rerun resumes from the resume point on
  // resin-boot. Until restore has finished, the 1.x OS that boots has no resin-data (it is in the backup).
  oneXToTwoX(
    'layout',
    'unsafe',
    'resume point, resin-state at its 2.x place, then the table (stage 1) rewritten: resin-data exists only in the backup until a rerun restores it',
  ),
  oneXToTwoX(
    'format',
    'unsafe',
    'the table names the 2.x resin-data but its filesystem is not made yet: the 1.x OS boots without resin-data; a rerun restores it from the backup',
  ),
  oneXToTwoX('restore', 'unsafe', 'resin-data is being restored from the backup onto the new ext4 filesystem', 1000),
  oneXToTwoX(
    'repartition',
    'old-os',
    'resin-data is restored; the table is rewritten (rootA grown in place, rootB moved): the 1.x root keeps its place, the 1.x OS boots with its data and a rerun resumes',
  ),
  oneXToTwoX(
    'populate',
    'unsafe',
    'the layout is already 2.x while the device still boots the 1.x root; a rerun resumes',
    1000,
  ),
  oneXToTwoX(
    'boot-files',
    'unsafe',
    'the layout is already 2.x while the device still boots the 1.x root; a rerun resumes',
  ),
  oneXToTwoX('wifi', 'unsafe', 'the layout is already 2.x while the device still boots the 1.x root; a rerun resumes'),
  oneXToTwoX(
    'supervisor',
    'unsafe',
    'the layout is already 2.x while the device still boots the 1.x root; a rerun resumes',
  ),
  oneXToTwoX('switch-boot', 'old-or-new', 'the boot selection is switched by renames, synced right after'),
  oneXToTwoX('reboot', 'new-os', 'everything was synced before the reboot phase'),
  oneX('checks', 'old-os', 'nothing written yet'),
  oneX('stop-services', 'old-os', 'services stopped; the old OS starts them at boot'),
  oneX('supervisor', 'old-os', 'the new supervisor is only pulled; config.json still names the old one'),
  oneX('resinhup', 'old-os', 'the resinhup image is unpacked into tmpfs'),
  oneX('version', 'old-os', 'the secondary only reads'),
  oneX('fingerprint', 'old-os', 'the secondary only reads'),
  oneX('pull', 'old-os', 'a partial pull lives in the engine store', 1000),
  oneX('export', 'old-os', 'only the spare root is being written', 1500),
  oneX(
    'boot-files',
    'old-os',
    'boot files are written to a temporary name and renamed; the boot settings still name the old root',
  ),
  // Note: data-migrations and switch-boot take well under a second together, so a cut sent as the
  // phase starts has been measured to land after the switch (new-os): either OS, whole, is the guarantee.
  oneX(
    'data-migrations',
    'old-or-new',
    'config.json and then the boot settings are each replaced by a rename, synced; the old OS ignores the migrated keys',
  ),
  oneX(
    'switch-boot',
    'old-or-new',
    'uEnv.txt / cmdline.txt is replaced by a rename on vfat, synced right after: either settings, whole',
  ),
  oneX('finish', 'new-os', 'the boot settings were synced before the outer script took over again'),
  oneX('reboot', 'new-os', 'everything was synced before the reboot phase'),
];

/** An updater's rows: its phases (in its order) that the table lists for its path class. */
export function guaranteeRows(pathClass: PathClass, contract: UpdaterContract): GuaranteeRow[] {
  return contract.phases.flatMap(({ name }) => {
    const listed = phaseGuarantees.find((g) => g.pathClass === pathClass && g.phase === name);
    if (!listed) return [];
    const { pathClass: _, ...rest } = listed;
    return [{ updater: contract.script, ...rest }];
  });
}

/** Every described updater's rows (every profile's), the reference updaters' first. */
export const powerCutGuarantees: GuaranteeRow[] = updaterProfiles().flatMap((profile) =>
  Object.entries(profile.updaters).flatMap(([pathClass, contract]) =>
    contract ? guaranteeRows(pathClass as PathClass, contract) : [],
  ),
);

export type Outcome = 'old-os' | 'new-os' | 'no-boot' | 'other';

/** What the device booted after the cut, compared with the state before the update. */
export function classifyOutcome(
  before: DeviceState,
  after: DeviceState | undefined,
  target: { version: string },
): { outcome: Outcome; detail: string } {
  if (!after) return { outcome: 'no-boot', detail: 'no login prompt or no SSH after power-on' };
  const version = after.osRelease.VERSION ?? '?';
  const root = after.activeRoot.label ?? `partition ${after.activeRoot.partition}`;
  const detail = `${root}, ${version}`;
  if (after.activeRoot.partition === before.activeRoot.partition && version === before.osRelease.VERSION)
    return { outcome: 'old-os', detail };
  if (after.activeRoot.partition !== before.activeRoot.partition && version === target.version)
    return { outcome: 'new-os', detail };
  return { outcome: 'other', detail };
}

export function meetsGuarantee(guarantee: Guarantee, outcome: Outcome): boolean {
  switch (guarantee) {
    case 'old-os':
    case 'new-os':
      return outcome === guarantee;
    case 'old-or-new':
      return outcome === 'old-os' || outcome === 'new-os';
    case 'unsafe':
      return true;
  }
}

export interface MeasuredRow extends GuaranteeRow {
  rig: string;
  outcome: Outcome;
  detail: string;
  /** Whether the rerun of the updater after the cut succeeded (undefined: not attempted). */
  rerunOk?: boolean;
}

/** The test annotation that carries a power-cut test's MeasuredRow (JSON) to the reporters. */
export const POWER_CUT_ROW_ANNOTATION = 'power-cut-row';

/** The guarantee table with the measured outcomes, as Markdown. */
export function guaranteeTable(rows: MeasuredRow[]): string {
  const mark = (r: MeasuredRow) => {
    // An unsafe window is a finding as long as the device booted one OS or a rerun recovered it.
    if (r.guarantee === 'unsafe') return r.outcome === 'no-boot' || r.rerunOk === false ? 'BRICKED' : 'finding';
    return meetsGuarantee(r.guarantee, r.outcome) && r.rerunOk !== false ? 'ok' : 'VIOLATED';
  };
  return [
    '| rig | updater | phase (+ms) | guarantee | measured | rerun | verdict | why |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.rig} | ${r.updater} | ${r.phase}${r.afterMs ? ` +${r.afterMs}` : ''} | ${r.guarantee} | ${r.outcome} (${r.detail}) | ${r.rerunOk === undefined ? '-' : r.rerunOk ? 'ok' : 'failed'} | ${mark(r)} | ${r.why} |`,
    ),
  ].join('\n');
}
