// Publishes a release's artifacts for one device type into a registry, as given: the hostOS (after
// its os-release is checked against the release), the supervisor, and the helper images a path
// needs, each pushed blob for blob from its archive or source registry. The user app is the
// harness's own test workload, not part of a release.
import { supervisorReference } from '../../images/containers/container-images.ts';
import { toolsReference } from '../../images/containers/tools-image.ts';
import type { PushedImage, RegistryClient } from '../registry/client.ts';
import { type ClientToBe, hostOsReference, pushApp } from '../registry/publish.ts';
import { type GivenImage, readImageArchive } from './image-archive.ts';
import { checkHostOsLabel } from './hostos-label.ts';
import { pushGivenImage } from './publish-given.ts';
import { type LoadedManifest, requireArtifact } from './load-manifest.ts';
import type { ImageArtifact } from './manifest-schema.ts';
import { publishRecord, type PublishedArtifact } from './published-record.ts';
import { readRegistryImage } from './registry-source.ts';
import { ReleaseError } from './release-error.ts';
import { releaseManifestFor } from './release-artifacts.ts';

export function readGivenImage(artifact: ImageArtifact): Promise<GivenImage> {
  return 'archive' in artifact ? readImageArchive(artifact.archive) : readRegistryImage(artifact.reference);
}

async function pushArtifact(
  client: ClientToBe,
  manifest: LoadedManifest,
  deviceType: string,
  kind: PublishedArtifact['kind'],
  reference: string,
  image: GivenImage,
): Promise<PushedImage> {
  const registry = await client;
  if (kind === 'supervisor') await refuseOtherImageUnder(registry, reference, image, manifest.version);
  const pushed = await pushGivenImage(registry, reference, image);
  publishRecord.push({
    version: manifest.version,
    deviceType,
    kind,
    reference,
    source: image.source,
    manifestFile: manifest.file,
    manifestDigest: image.manifestDigest,
    blobs: [image.config.digest, ...image.layers.map((l) => l.digest)],
  });
  return pushed;
}

/** Everything a device of `deviceType` at or going to `version` pulls: hostOS, supervisor, app. */
export async function publishRelease(client: ClientToBe, version: string, deviceType: string): Promise<PushedImage[]> {
  const manifest = await releaseManifestFor(version, deviceType);
  const hostOS = await readGivenImage(requireArtifact(manifest, deviceType, 'hostOS'));
  checkHostOsLabel(hostOS, manifest.version, deviceType);
  const supervisor = await readGivenImage(requireArtifact(manifest, deviceType, 'supervisor'));
  return [
    await pushArtifact(client, manifest, deviceType, 'hostOS', hostOsReference(version, deviceType), hostOS),
    await pushArtifact(
      client,
      manifest,
      deviceType,
      'supervisor',
      supervisorReference(deviceType, manifest.supervisor),
      supervisor,
    ),
    await pushApp(await client, deviceType),
  ];
}

/** The tools image upgrade-1.x-to-2.x.sh pulls for a migration to `targetVersion` (2.x). */
export async function publishTools(
  client: ClientToBe,
  targetVersion: string,
  deviceType: string,
): Promise<PushedImage> {
  const manifest = await releaseManifestFor(targetVersion, deviceType);
  const tools = await readGivenImage(requireArtifact(manifest, deviceType, 'tools'));
  return pushArtifact(client, manifest, deviceType, 'tools', toolsReference(targetVersion, deviceType), tools);
}

/** The release's own resinhup image when its manifest names one (1.x), else undefined. */
export async function publishGivenResinhup(
  client: ClientToBe,
  version: string,
  deviceType: string,
  reference: string,
): Promise<PushedImage | undefined> {
  const manifest = await releaseManifestFor(version, deviceType);
  const artifact = manifest.deviceTypes[deviceType]?.resinhup;
  if (!artifact) return undefined;
  return pushArtifact(client, manifest, deviceType, 'resinhup', reference, await readGivenImage(artifact));
}

/**
 * Supervisor images are tagged by supervisor version alone, so two releases that ship the same
 * version share a tag: a second image with other contents under it is refused, never swapped in.
 */
async function refuseOtherImageUnder(
  registry: RegistryClient,
  reference: string,
  image: GivenImage,
  version: string,
): Promise<void> {
  const existing = await registry.getManifest(reference).catch(() => undefined);
  if (!existing) return;
  const blobs = (m: { config: { digest: string }; layers: { digest: string }[] }) =>
    [m.config.digest, ...m.layers.map((l) => l.digest)].join(' ');
  if (blobs(existing.manifest) !== blobs(image))
    throw new ReleaseError(
      `${reference} already holds another image (${existing.digest}) than release ${version}'s ${image.source} (${image.manifestDigest}): two releases ship different supervisor images as the same version`,
    );
}
