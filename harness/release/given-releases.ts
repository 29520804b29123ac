// Releases given on the command line (--release-dir DIR, repeatable): each folder's manifest is
// loaded and checked before anything starts, then the folders are put in HUPBENCH_RELEASE_DIRS, so
// this process and the test workers it starts know the releases (images/lib/releases.ts).
import path from 'node:path';
import { $ } from 'zx';
import { RELEASE_DIRS_ENV } from '../../images/lib/releases.ts';
import { checkHostOsLabel } from './hostos-label.ts';
import { type LoadedManifest, loadReleaseManifest, requireArtifact } from './load-manifest.ts';
import type { ImageArtifact } from './manifest-schema.ts';
import { readGivenImage } from './publish-release.ts';
import { ReleaseError } from './release-error.ts';

export async function useReleaseDirs(dirs: string[]): Promise<LoadedManifest[]> {
  const manifests = [];
  for (const dir of dirs) manifests.push(await loadReleaseManifest(dir));
  const versions = manifests.map((m) => m.version);
  const twice = versions.find((v, i) => versions.indexOf(v) !== i);
  if (twice) throw new ReleaseError(`Two --release-dir folders hold release ${twice}: give one`);
  const all = [
    ...(process.env[RELEASE_DIRS_ENV] ?? '').split(path.delimiter).filter(Boolean),
    ...manifests.map((m) => m.file),
  ];
  if (manifests.length) process.env[RELEASE_DIRS_ENV] = [...new Set(all)].join(path.delimiter);
  return manifests;
}

/** A given release as checked for one device type: its files and digests. */
export interface GivenReleaseCheck {
  version: string;
  manifestFile: string;
  deviceType: string;
  card: string;
  cardSha256: string;
  images: GivenImageDigests[];
}

export interface GivenImageDigests {
  kind: string;
  source: string;
  manifestDigest: string;
  /** Config, then layers. */
  blobs: string[];
  manifestWritten: boolean;
}

/**
 * Checks a given release for the rigs' device types before a run: every artifact a device needs is
 * there (card, hostOS, supervisor; tools for a from1x target), and the hostOS is what it claims to
 * be. Returns the images' digests, for the verdict.
 */
type ImageKind = 'hostOS' | 'supervisor' | 'tools' | 'resinhup';

export async function checkGivenRelease(
  manifest: LoadedManifest,
  deviceType: string,
): Promise<{ card: string; cardSha256: string; images: GivenImageDigests[] }> {
  const card = requireArtifact(manifest, deviceType, 'card');
  // Required: what every device pulls, and a from1x target's tools; resinhup only when given.
  const required: ImageKind[] = ['hostOS', 'supervisor', ...(manifest.from1x ? (['tools'] as const) : [])];
  const artifacts: { kind: ImageKind; artifact: ImageArtifact }[] = required.map((kind) => ({
    kind,
    artifact: requireArtifact(manifest, deviceType, kind),
  }));
  const resinhup = manifest.deviceTypes[deviceType]?.resinhup;
  if (resinhup) artifacts.push({ kind: 'resinhup', artifact: resinhup });
  const images: GivenImageDigests[] = [];
  for (const { kind, artifact } of artifacts) {
    const image = await readGivenImage(artifact);
    if (kind === 'hostOS') checkHostOsLabel(image, manifest.version, deviceType);
    images.push({
      kind,
      source: image.source,
      manifestDigest: image.manifestDigest,
      blobs: [image.config.digest, ...image.layers.map((l) => l.digest)],
      manifestWritten: image.manifestWritten,
    });
  }
  const sum = await $`sha256sum ${card.image}`;
  return { card: card.image, cardSha256: `sha256:${sum.stdout.split(' ')[0]}`, images };
}

/**
 * The CLI's preflight: loads the --release-dir folders, and checks every given release for each
 * rig's device type (a missing artifact or a mislabelled hostOS is refused here, before any board).
 */
export async function prepareGivenReleases(dirs: string[], deviceTypes: string[]): Promise<GivenReleaseCheck[]> {
  const manifests = await useReleaseDirs(dirs);
  const checks: GivenReleaseCheck[] = [];
  for (const manifest of manifests)
    for (const deviceType of new Set(deviceTypes))
      checks.push({
        version: manifest.version,
        manifestFile: manifest.file,
        deviceType,
        ...(await checkGivenRelease(manifest, deviceType)),
      });
  return checks;
}
