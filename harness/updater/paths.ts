// The upgrade-path matrix, from images/releases.yaml: which source versions update to which targets.
import { compareVersions, loadReleases, type Release } from '../../images/lib/releases.ts';
import { updaterFor } from './profiles/index.ts';
import type { UpdaterProfile } from './profiles/types.ts';

export type PathClass = '2x' | '1x-2x' | '1x';

export interface UpgradePath {
  from: Release;
  to: Release;
  pathClass: PathClass;
  /** The updater script under images/updater/ that performs it (its profile's for the path's class). */
  updater: string;
  /** The updater profile that describes it (harness/updater/profiles/). */
  profile: string;
  /** The target ships a newer supervisor than the source. */
  supervisorUpdate: boolean;
  /** `2.0.0+rev2 → 2.12.3+rev1` */
  name: string;
}

const byVersion = (a: Release, b: Release) => compareVersions(a.version, b.version);

/**
 * One update from a release to a newer one; its class follows from the two layouts, its updater from
 * the profile ($HUPBENCH_UPDATER_PROFILE by default; the reference updater for a class it lacks).
 */
export function pathBetween(from: Release, to: Release, profile?: UpdaterProfile): UpgradePath {
  const pathClass: PathClass = from.layout === '2.x' ? '2x' : to.layout === '2.x' ? '1x-2x' : '1x';
  const chosen = updaterFor(pathClass, profile);
  return {
    from,
    to,
    pathClass,
    updater: chosen.contract.script,
    profile: chosen.profile.name,
    supervisorUpdate: compareVersions(to.supervisor, from.supervisor) > 0,
    name: `${from.version} → ${to.version}`,
  };
}

/** Every source × every target newer than it, oldest source first, then oldest target first. */
function pathsBetween(sources: Release[], targets: Release[]): UpgradePath[] {
  return [...sources].sort(byVersion).flatMap((from) =>
    [...targets]
      .sort(byVersion)
      .filter((to) => compareVersions(to.version, from.version) > 0)
      .map((to) => pathBetween(from, to)),
  );
}

const withLayout = (releases: Release[], layout: Release['layout']) => releases.filter((r) => r.layout === layout);

/** Every 2.x source to every newer 2.x target (upgrade-2.x.sh). */
export function pathsFor2x(releases: Release[]): UpgradePath[] {
  return pathsBetween(withLayout(releases, '2.x'), withLayout(releases, '2.x'));
}

/**
 * Every 1.x source to every 2.x target marked `from1x` in images/releases.yaml (the releases a 1.x
 * device may be migrated straight to; upgrade-1.x-to-2.x.sh).
 */
export function pathsFor1xTo2x(releases: Release[]): UpgradePath[] {
  return pathsBetween(
    withLayout(releases, '1.x'),
    withLayout(releases, '2.x').filter((r) => r.from1x),
  );
}

/** Every 1.x source to every newer 1.x target (upgrade-1.x.sh through the resinhup image). */
export function pathsFor1x(releases: Release[]): UpgradePath[] {
  return pathsBetween(withLayout(releases, '1.x'), withLayout(releases, '1.x'));
}

/** Every upgrade class of DESIGN.md: 2.x → 2.x, 1.x → 2.x, 1.x → 1.x. */
export function allPaths(releases: Release[]): UpgradePath[] {
  return [...pathsFor2x(releases), ...pathsFor1xTo2x(releases), ...pathsFor1x(releases)];
}

export async function loadPaths2x(): Promise<UpgradePath[]> {
  return pathsFor2x(await loadReleases());
}

export async function loadPaths1xTo2x(): Promise<UpgradePath[]> {
  return pathsFor1xTo2x(await loadReleases());
}

export async function loadPaths1x(): Promise<UpgradePath[]> {
  return pathsFor1x(await loadReleases());
}

/**
 * The release a `hupbench gate` run judges (HUPBENCH_GATE_TARGET), or undefined outside a gate.
 * Suites whose tests use one representative path (rollback, sanity, power cuts) take the path to it.
 */
export function gateTarget(): string | undefined {
  return process.env.HUPBENCH_GATE_TARGET || undefined;
}

/**
 * The one path a single-subject suite tests, out of `paths` (one class): in a gate, the path from the
 * newest source to the gated release (undefined when this class cannot install it); otherwise the
 * newest target from the newest source below it — the update a fleet would take next.
 */
export function subjectPath(paths: UpgradePath[], target = gateTarget()): UpgradePath | undefined {
  const to = target ?? [...paths].sort((a, b) => byVersion(a.to, b.to)).at(-1)?.to.version;
  return paths
    .filter((p) => p.to.version === to)
    .sort((a, b) => byVersion(a.from, b.from))
    .at(-1);
}
