// What the CLI accepts, checked before anything starts: rigs (rigs/*.yaml), releases
// (images/releases.yaml), faults (the catalogue plus the phase faults the CLI injects), updater
// phases (the `phase <name>` lines of the updater script), and the upgrade-path matrix with which
// suite covers each path class.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { projectRoot } from '../project-root.ts';
import { compareVersions, loadReleases, type Release } from '../../images/lib/releases.ts';
import { faults } from '../faults/index.ts';
import { allPaths, type UpgradePath } from '../updater/paths.ts';
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

/** Faults the CLI injects at an updater phase itself (the catalogue's faults act on the new OS). */
export const phaseFaults = {
  'power-cut':
    'power removed when the updater is in the phase (mid-phase for the long ones, as the faults suite does); power comes back, and the device must boot what the guarantee table (harness/faults/guarantees.ts) promises for that phase',
  'network-down':
    "the device's link goes down when the updater enters the phase and comes back after --outage seconds (default 45, longer than the engine's 30 s stall timeout); the updater must fail cleanly or finish, never leave a broken device",
} as const;
export type PhaseFault = keyof typeof phaseFaults;

export function faultNames(): string[] {
  return [...Object.keys(phaseFaults), ...Object.keys(faults)];
}

export function requireFault(name: string): { kind: 'phase'; name: PhaseFault } | { kind: 'new-os'; name: string } {
  if (name in phaseFaults) return { kind: 'phase', name: name as PhaseFault };
  if (name in faults) return { kind: 'new-os', name };
  throw unknown(
    'fault',
    name,
    faultNames(),
    `Phase faults (${Object.keys(phaseFaults).join(', ')}) need --at PHASE; the others are applied to the new OS before its first boot.`,
  );
}

/** The phases an updater script announces, in order (its `phase <name>` calls). */
export async function updaterPhases(script: string): Promise<string[]> {
  const text = await readFile(path.join(projectRoot, 'images/updater', script), 'utf8').catch(() => '');
  return [...new Set([...text.matchAll(/^\s*phase ([a-z0-9-]+)\s*$/gm)].map((m) => m[1]!))];
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
