// The upgrade-path matrix, from images/releases.yaml: which source versions update to which targets.
import { compareVersions, loadReleases, type Release } from '../../images/lib/releases.ts';

export type PathClass = '2x' | '1x-2x' | '1x';

export interface UpgradePath {
  from: Release;
  to: Release;
  pathClass: PathClass;
  /** The updater script under images/updater/ that performs it. */
  updater: string;
  /** The target ships a newer supervisor than the source. */
  supervisorUpdate: boolean;
  /** `2.0.0+rev2 → 2.12.3+rev1` */
  name: string;
}

/** Every 2.x source to every newer 2.x target, oldest source first, then oldest target first. */
export function pathsFor2x(releases: Release[]): UpgradePath[] {
  const twoX = releases.filter((r) => r.layout === '2.x').sort((a, b) => compareVersions(a.version, b.version));
  const paths: UpgradePath[] = [];
  for (const from of twoX) {
    for (const to of twoX) {
      if (compareVersions(to.version, from.version) <= 0) continue;
      paths.push({
        from,
        to,
        pathClass: '2x',
        updater: 'upgrade-2.x.sh',
        supervisorUpdate: compareVersions(to.supervisor, from.supervisor) > 0,
        name: `${from.version} → ${to.version}`,
      });
    }
  }
  return paths;
}

export async function loadPaths2x(): Promise<UpgradePath[]> {
  return pathsFor2x(await loadReleases());
}

/**
 * Every 1.x source to every 2.x target marked `from1x` in images/releases.yaml (the releases a 1.x
 * device may be migrated straight to), oldest first.
 */
export function pathsFor1xTo2x(releases: Release[]): UpgradePath[] {
  const byVersion = (a: Release, b: Release) => compareVersions(a.version, b.version);
  const sources = releases.filter((r) => r.layout === '1.x').sort(byVersion);
  const targets = releases.filter((r) => r.layout === '2.x' && r.from1x).sort(byVersion);
  return sources.flatMap((from) =>
    targets.map((to) => ({
      from,
      to,
      pathClass: '1x-2x' as const,
      updater: 'upgrade-1.x-to-2.x.sh',
      supervisorUpdate: compareVersions(to.supervisor, from.supervisor) > 0,
      name: `${from.version} → ${to.version}`,
    })),
  );
}

export async function loadPaths1xTo2x(): Promise<UpgradePath[]> {
  return pathsFor1xTo2x(await loadReleases());
}

/** Every 1.x source to every newer 1.x target (upgrade-1.x.sh through the resinhup image), oldest first. */
export function pathsFor1x(releases: Release[]): UpgradePath[] {
  const oneX = releases.filter((r) => r.layout === '1.x').sort((a, b) => compareVersions(a.version, b.version));
  return oneX.flatMap((from) =>
    oneX
      .filter((to) => compareVersions(to.version, from.version) > 0)
      .map((to) => ({
        from,
        to,
        pathClass: '1x' as const,
        updater: 'upgrade-1.x.sh',
        supervisorUpdate: compareVersions(to.supervisor, from.supervisor) > 0,
        name: `${from.version} → ${to.version}`,
      })),
  );
}

export async function loadPaths1x(): Promise<UpgradePath[]> {
  return pathsFor1x(await loadReleases());
}

/** Every upgrade class of DESIGN.md: 2.x → 2.x, 1.x → 2.x, 1.x → 1.x. */
export function allPaths(releases: Release[]): UpgradePath[] {
  return [...pathsFor2x(releases), ...pathsFor1xTo2x(releases), ...pathsFor1x(releases)];
}
