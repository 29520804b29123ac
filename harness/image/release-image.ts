// The card image a test flashes for a release: a real vendor image when releases.yaml names one for
// the device type, otherwise the reference image (built and cached on demand).
import path from 'node:path';
import { ensureImage } from '../../images/build.ts';
import { fileExists } from '../../images/lib/cache.ts';
import { projectRoot } from '../project-root.ts';
import { findRelease } from '../../images/lib/releases.ts';

export interface ReleaseImage {
  path: string;
  version: string;
  deviceType: string;
  /** True for the hupbench reference build, false for a vendor image named in releases.yaml. */
  reference: boolean;
}

// Note: resolving an image's inputs asks apt several times (seconds each on hosts whose apt keeps no
// package cache); within one process a release's image does not change, so the answer is kept.
const resolved = new Map<string, Promise<ReleaseImage>>();

export function imageForRelease(version: string, deviceType: string): Promise<ReleaseImage> {
  const key = `${version}|${deviceType}`;
  let image = resolved.get(key);
  if (!image) {
    image = resolveImage(version, deviceType);
    resolved.set(key, image);
    image.catch(() => resolved.delete(key));
  }
  return image;
}

async function resolveImage(version: string, deviceType: string): Promise<ReleaseImage> {
  const release = await findRelease(version);
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
  const built = await ensureImage(release, deviceType);
  return { path: built.path, version, deviceType, reference: true };
}
