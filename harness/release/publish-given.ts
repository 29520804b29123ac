// Publishes an image exactly as given: its config and layer blobs and its manifest pushed byte for
// byte, so the registry serves the digests of the artifact, never a rebuilt substitute.
import type { PushedImage, RegistryClient } from '../registry/client.ts';
import { parseReference } from '../registry/client.ts';
import type { ImageManifest } from '../registry/manifest.ts';
import type { GivenImage } from './image-archive.ts';
import { ReleaseError } from './release-error.ts';

export async function pushGivenImage(
  client: RegistryClient,
  reference: string,
  image: GivenImage,
): Promise<PushedImage> {
  const { repository, tag } = parseReference(reference);
  let bytesUploaded = 0;
  for (const d of [image.config, ...image.layers]) {
    const pushed = await client.pushBlob(repository, image.blobs.get(d.digest)!, d.mediaType);
    if (pushed.descriptor.digest !== d.digest)
      throw new ReleaseError(`${image.source}: blob ${d.digest} hashed to ${pushed.descriptor.digest} when pushed`);
    bytesUploaded += pushed.uploaded;
  }
  const manifestDigest = await client.pushManifestBytes(repository, tag, image.manifestBytes, image.mediaType);
  if (manifestDigest !== image.manifestDigest)
    throw new ReleaseError(`${image.source}: manifest ${image.manifestDigest} was stored as ${manifestDigest}`);
  bytesUploaded += image.manifestBytes.length;
  return {
    reference,
    manifestDigest,
    manifest: JSON.parse(image.manifestBytes.toString('utf8')) as ImageManifest,
    bytesUploaded,
  };
}
