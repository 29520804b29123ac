// hupbench's reference builder as one provider of releases among others: it builds a release's card
// image (images/build.ts), packs its hostOS, supervisor and (for a 2.x target of 1.x migrations)
// tools images as OCI archives, and writes .cache/releases/<version>/release.yaml naming them. The
// harness then takes the release through that manifest like any other. Only releases without a
// manifest of their own (images/releases.yaml entries) come here.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parse, stringify } from 'yaml';
import { ensureImage } from '../../images/build.ts';
import { platformOf, supervisorImage, type ContainerImage } from '../../images/containers/container-images.ts';
import { toolsImage } from '../../images/containers/tools-image.ts';
import { cacheDir } from '../../images/lib/cache.ts';
import { hostOsArchive } from '../../images/lib/hostos-archive.ts';
import type { Release } from '../../images/lib/releases.ts';
import { ext4RootNeedBytes, hostOsReference, ROOTFS_BYTES_LABEL } from '../registry/publish.ts';
import { loadReleaseManifest, type LoadedManifest, MANIFEST_NAME } from './load-manifest.ts';
import type { DeviceArtifacts, ReleaseManifest } from './manifest-schema.ts';
import { referenceProviderCalls } from './published-record.ts';
import { ensureImageArchive } from './write-image-archive.ts';

export const REFERENCE_PROVIDER = 'hupbench-reference';

export const referenceReleaseDir = (version: string) => path.join(cacheDir, 'releases', version);

/** Builds what is missing of `release` for `deviceType` and returns its manifest. */
export async function provideReferenceRelease(
  release: Release,
  deviceType: string,
  log = (_: string) => {},
): Promise<LoadedManifest> {
  referenceProviderCalls.push(`${release.version} ${deviceType}`);
  log(`[reference provider] ${release.version} for ${deviceType}`);
  const dir = referenceReleaseDir(release.version);
  const typeDir = path.join(dir, deviceType);
  await mkdir(typeDir, { recursive: true });
  const built = await ensureImage(release, deviceType, log);
  const layer = await hostOsArchive(built);
  const platform = platformOf(deviceType);
  const hostOS = await ensureImageArchive(typeDir, 'hostos', {
    reference: hostOsReference(release.version, deviceType),
    layerFiles: [layer],
    config: {
      architecture: platform.architecture,
      variant: platform.variant,
      os: 'linux',
      config: {
        Cmd: ['/bin/sh'],
        Labels: {
          'io.resin.os.version': release.version,
          'io.resin.device-type': deviceType,
          [ROOTFS_BYTES_LABEL]: String(ext4RootNeedBytes(gunzipSync(await readFile(layer)))),
        },
      },
    },
  });
  const container = (stem: string, image: ContainerImage) =>
    ensureImageArchive(typeDir, stem, {
      reference: image.reference,
      layerFiles: image.layerPaths,
      config: image.config,
    });
  const supervisor = await container('supervisor', await supervisorImage(deviceType, release.supervisor));
  const tools =
    release.layout === '2.x' && release.from1x ? await container('tools', await toolsImage(built)) : undefined;
  const rel = (file: string) => path.relative(dir, file);
  const artifacts: DeviceArtifacts = {
    card: { image: rel(built.path) },
    hostOS: { archive: rel(hostOS) },
    supervisor: { archive: rel(supervisor) },
    ...(tools ? { tools: { archive: rel(tools) } } : {}),
  };
  return loadReleaseManifest(await writeManifestEntry(release, deviceType, artifacts));
}

/** Adds (or replaces) one device type's artifacts in the release's manifest, atomically. */
async function writeManifestEntry(release: Release, deviceType: string, artifacts: DeviceArtifacts): Promise<string> {
  const file = path.join(referenceReleaseDir(release.version), MANIFEST_NAME);
  const others = await loadReleaseManifest(file).then(
    (m) => (m.provider === REFERENCE_PROVIDER ? Object.keys(m.deviceTypes) : []),
    () => [],
  );
  const existing = others.length ? (parse(await readFile(file, 'utf8')) as ReleaseManifest) : undefined;
  const manifest: ReleaseManifest = {
    version: release.version,
    layout: release.layout,
    supervisor: release.supervisor,
    ...(release.from1x ? { from1x: true } : {}),
    provider: REFERENCE_PROVIDER,
    deviceTypes: { ...existing?.deviceTypes, [deviceType]: artifacts },
  };
  const partial = `${file}.${process.pid}.partial`;
  await writeFile(
    partial,
    `# Written by hupbench's reference provider (harness/release/reference-provider.ts).\n${stringify(manifest)}`,
  );
  await rename(partial, file);
  return file;
}
