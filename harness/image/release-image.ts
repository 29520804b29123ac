// The card image a test flashes for a release: a real vendor image when releases.yaml names one for
// the device type, otherwise the card of the release's manifest (given, or the reference provider's,
// built and cached on demand), decompressed or written with bmaptool when it is not raw.
import path from 'node:path';
import { fileExists } from '../../images/lib/cache.ts';
import { PromiseCache } from '../../images/lib/promise-cache.ts';
import { projectRoot } from '../project-root.ts';
import { findRelease, type Release } from '../../images/lib/releases.ts';
import { rawCardImage } from '../release/card-image.ts';
import { requireArtifact } from '../release/load-manifest.ts';
import { REFERENCE_PROVIDER } from '../release/reference-provider.ts';
import { releaseManifestFor } from '../release/release-artifacts.ts';

export interface ReleaseImage {
  path: string;
  version: string;
  deviceType: string;
  /** True for the hupbench reference build, false for a vendor image named in releases.yaml. */
  reference: boolean;
}

// Note: resolving an image's inputs asks apt several times (seconds each on hosts whose apt keeps no
// package cache); within one process a release's image does not change, so the answer is kept.
// Keyed by the release's manifest too: a release folder given later in the process may replace a version.
const resolved = new PromiseCache<ReleaseImage>();

export async function imageForRelease(version: string, deviceType: string): Promise<ReleaseImage> {
  const release = await findRelease(version);
  const key = `${version}|${deviceType}|${release.manifest ?? 'reference'}`;
  return resolved.get(key, () => resolveImage(release, deviceType));
}

async function resolveImage(release: Release, deviceType: string): Promise<ReleaseImage> {
  const { version } = release;
  const vendor = release.images?.[deviceType];
  if (vendor) {
    const file = path.resolve(projectRoot, vendor);
    if (!(await fileExists(file))) {
      throw new Error(
        `images/releases.yaml names ${vendor} as the ${deviceType} image of ${version}, but ${file} does not exist. Download it there or remove the entry to use the reference build.`,
      );
    }
    return { path: file, version, deviceType, reference: false };
  }
  // Every other release through its manifest: given, or written by the reference provider.
  const manifest = await releaseManifestFor(version, deviceType);
  const card = requireArtifact(manifest, deviceType, 'card');
  return {
    path: await rawCardImage(card),
    version,
    deviceType,
    reference: manifest.provider === REFERENCE_PROVIDER,
  };
}
