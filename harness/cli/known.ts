// What the CLI accepts, checked before anything starts: rigs (rigs/*.yaml), releases
// (images/releases.yaml), faults (harness/faults: the catalogue, every kind), updater
// phases (the updater's profile's), and the upgrade-path matrix with which
// suite covers each path class.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../project-root.ts';
import { compareVersions, loadReleases, type Release } from '../../images/lib/releases.ts';
import { type Fault, faultCatalogue, faultKinds, strikesAtPhase } from '../faults/index.ts';
import { allPaths, type UpgradePath } from '../updater/paths.ts';
import {
  contractOfScript,
  findUpdaterProfile,
  PROFILE_ENV,
  profileNames,
  type UpdaterProfile,
} from '../updater/profiles/index.ts';
import { listRigFiles, loadRigConfig, type RigConfig } from '../rig/rig-config.ts';
import { UsageError, unknown } from './usage-error.ts';

export async function rigNames(opts: { includeExamples?: boolean } = {}): Promise<string[]> {
  const configs = await Promise.all((await listRigFiles()).map((f) => loadRigConfig(f).catch(() => undefined)));
  return configs.filter((c): c is RigConfig => !!c && (opts.includeExamples || !c.example)).map((c) => c.name);
}

export async function requireRig(name: string | undefined): Promise<RigConfig> {
  const known = await rigNames({ includeExamples: true });
  if (!name) throw new UsageError(`Name a rig with --rig. Known rigs: ${known.join(', ')}`);
  if (!known.includes(name) && !name.endsWith('.yaml'))
    throw unknown('rig', name, known, 'A rig is a file rigs/<name>.yaml (see README "Adding a rig").');
  return loadRigConfig(name);
}

export async function requireRelease(version: string | undefined, option = '--from/--to'): Promise<Release> {
  const releases = await loadReleases();
  const known = releases.map((r) => r.version);
  if (!version) throw new UsageError(`Give a version with ${option}. Known versions: ${known.join(', ')}`);
  const release = releases.find((r) => r.version === version);
  if (!release) throw unknown('version', version, known, 'Versions come from images/releases.yaml.');
  return release;
}

/** The faults that strike at an updater phase (`--at PHASE`), by name, with what each does. */
export const phaseFaults: Readonly<Record<string, string>> = Object.fromEntries(
  faultCatalogue.filter(strikesAtPhase).map((f) => [f.name, `${f.description}; ${f.guarantee}`]),
);
export type PhaseFault = string;

export function faultNames(): string[] {
  return faultCatalogue.map((f) => f.name);
}

/** How `hupbench run` applies a fault of each kind (the hint an unknown --fault gets). */
export function faultUsage(fault: Fault): string {
  switch (fault.kind) {
    case 'phase-cut':
      return "needs --at PHASE (and --after-ms, default the guarantee row's)";
    case 'link':
    case 'registry':
      if (fault.effect === 'drop')
        return `drops the link in ${fault.phase} once ${fault.atFraction * 100}% of the hostOS layer is in: takes no --at`;
      return fault.effect === 'outage'
        ? `needs --at PHASE (the suites strike at ${fault.at.phase} +${fault.at.afterMs} ms)`
        : 'applies to the whole run: takes no --at';
    case 'new-os':
      return `breaks the new OS before its first boot (${fault.caughtBy} must roll back): takes no --at`;
    case 'refusal':
      return 'sets up a device the updater must refuse: takes no --at';
  }
}

/** The catalogue entry `--fault` names; an unknown name lists every fault and how each applies. */
export function requireFault(name: string): Fault {
  const fault = faultCatalogue.find((f) => f.name === name);
  if (fault) return fault;
  throw unknown(
    'fault',
    name,
    faultNames(),
    faultKinds
      .map((kind) => {
        const of = faultCatalogue.filter((f) => f.kind === kind);
        return of.length ? `${kind}: ${of.map((f) => f.name).join(', ')} (${faultUsage(of[0]!)})` : '';
      })
      .filter(Boolean)
      .join('\n'),
  );
}

/**
 * The updater profile a run uses (`--updater-profile`, else $HUPBENCH_UPDATER_PROFILE, else the
 * reference), made this process's (and its children's) through the variable.
 */
export function requireUpdaterProfile(name = process.env[PROFILE_ENV]): UpdaterProfile {
  if (!name?.trim()) return findUpdaterProfile('hupbench-reference');
  if (!profileNames().includes(name.trim()))
    throw unknown('updater profile', name, profileNames(), 'Profiles are modules of harness/updater/profiles/.');
  process.env[PROFILE_ENV] = name.trim();
  return findUpdaterProfile(name.trim());
}

/** The phases an updater runs, in order, as its profile names them (harness/updater/profiles/). */
export async function updaterPhases(script: string): Promise<string[]> {
  return contractOfScript(script).contract.phases.map((p) => p.name);
}

export async function requirePhase(phase: string, script: string): Promise<string> {
  const known = await updaterPhases(script);
  if (!known.includes(phase)) throw unknown('phase', phase, known, `Phases of ${script}, in the order it runs them.`);
  return phase;
}

/** Which suite file covers a path class; a class without one cannot be run or gated yet. */
export const suiteForClass: Record<UpgradePath['pathClass'], string> = {
  '2x': 'suites/hup-2x.spec.ts',
  '1x-2x': 'suites/hup-1x-to-2x.spec.ts',
  '1x': 'suites/hup-1x.spec.ts',
};

export interface MatrixEntry {
  rig: string;
  deviceType: string;
  path: UpgradePath;
  suite: string;
  /** The suite exists in this checkout. */
  covered: boolean;
}

/** Every path the catalogue defines (2.x → 2.x, and 1.x → 2.x where harness/updater offers it), on every rig. */
export async function upgradeMatrix(rigs?: string[]): Promise<MatrixEntry[]> {
  const releases = await loadReleases();
  const paths = allPaths(releases);
  const rigConfigs = await Promise.all((rigs ?? (await rigNames())).map((r) => loadRigConfig(r)));
  const entries: MatrixEntry[] = [];
  for (const rig of rigConfigs) {
    for (const p of paths) {
      const suite = suiteForClass[p.pathClass];
      entries.push({
        rig: rig.name,
        deviceType: rig.deviceType,
        path: p,
        suite,
        covered: existsSync(path.join(projectRoot, suite)),
      });
    }
  }
  return entries.sort(
    (a, b) =>
      a.rig.localeCompare(b.rig) ||
      compareVersions(a.path.from.version, b.path.from.version) ||
      compareVersions(a.path.to.version, b.path.to.version),
  );
}

export function requirePath(matrix: MatrixEntry[], rig: string, from: string, to: string): MatrixEntry {
  const entry = matrix.find((e) => e.rig === rig && e.path.from.version === from && e.path.to.version === to);
  if (!entry) {
    const offered = matrix.filter((e) => e.rig === rig).map((e) => e.path.name);
    throw new UsageError(
      `No upgrade path ${from} → ${to} on ${rig}. Paths on ${rig}: ${offered.join(', ') || '(none)'}\nList them with: hupbench paths --rig ${rig}`,
    );
  }
  return entry;
}
