// Every release reaches the harness through a manifest: its own (a release folder given with
// --release-dir, or `manifest:` in images/releases.yaml), or the one the reference provider writes
// for a release that has none. Resolved once per process and device type.
import { PromiseCache } from '../../images/lib/promise-cache.ts';
import { findRelease, type Release } from '../../images/lib/releases.ts';
import { deviceArtifacts, loadReleaseManifest, type LoadedManifest } from './load-manifest.ts';
import { ReleaseError } from './release-error.ts';
import { provideReferenceRelease } from './reference-provider.ts';

const resolved = new PromiseCache<LoadedManifest>();

/** The manifest of `version` with `deviceType`'s artifacts in it (refused, naming both, when absent). */
export async function releaseManifestFor(version: string, deviceType: string): Promise<LoadedManifest> {
  const release = await findRelease(version);
  // Note: keyed by the manifest too: a release folder given later in the process may replace a version.
  const key = `${version}|${deviceType}|${release.manifest ?? 'reference'}`;
  return resolved.get(key, () => resolve(release, deviceType));
}

async function resolve(release: Release, deviceType: string): Promise<LoadedManifest> {
  if (!release.manifest) return provideReferenceRelease(release, deviceType);
  const manifest = await loadGivenManifest(release);
  deviceArtifacts(manifest, deviceType);
  return manifest;
}

/** A release's own manifest, checked against what the catalogue says of it. */
export async function loadGivenManifest(release: Release): Promise<LoadedManifest> {
  const manifest = await loadReleaseManifest(release.manifest!);
  for (const field of ['version', 'layout', 'supervisor'] as const)
    if (manifest[field] !== release[field])
      throw new ReleaseError(
        `${manifest.file}: ${field} is "${manifest[field]}", but the release catalogue has "${release[field]}" for ${release.version}`,
      );
  return manifest;
}
