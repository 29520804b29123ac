// An image as given: the manifest, config and layer blobs of a `docker save` or OCI archive tarball
// (optionally gzip'd), byte for byte. Publishing pushes these blobs unchanged, so the registry
// serves the digests the archive holds. A legacy `docker save` archive (manifest.json, no
// distribution manifest) gets a schema 2 manifest written around its unchanged config and layers.
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { MEDIA_TYPES, sha256Digest, type Descriptor } from '../registry/manifest.ts';
import { ReleaseError } from './release-error.ts';
import { tarFiles } from './tar-entries.ts';

export interface GivenImage {
  /** Where it came from: the archive file or the registry reference. */
  source: string;
  /** The manifest's bytes as pushed (the archive's own, unless it had none). */
  manifestBytes: Buffer;
  manifestDigest: string;
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
  /** Config and layer blobs by digest. */
  blobs: Map<string, Buffer>;
  /** True when the archive held no distribution manifest and one was written around its blobs. */
  manifestWritten: boolean;
}

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

export const isGzip = (b: Buffer) => b.length > 2 && b[0] === 0x1f && b[1] === 0x8b;

export async function readImageArchive(file: string): Promise<GivenImage> {
  let tar = await readFile(file);
  if (isGzip(tar)) tar = gunzipSync(tar);
  const files = tarFiles(tar);
  if (!files.size) throw new ReleaseError(`${file} is not a tar archive (docker save or OCI image layout)`);
  if (files.has('index.json')) return fromOciLayout(file, files);
  if (files.has('manifest.json')) return fromDockerSave(file, files);
  throw new ReleaseError(
    `${file} holds neither index.json (an OCI image layout) nor manifest.json (docker save): is it an image archive?`,
  );
}

function blobAt(file: string, files: Map<string, Buffer>, digest: string): Buffer {
  const bytes = files.get(`blobs/${digest.replace(':', '/')}`);
  if (!bytes) throw new ReleaseError(`${file}: blob ${digest} is named but not in the archive`);
  if (sha256Digest(bytes) !== digest)
    throw new ReleaseError(
      `${file}: blob ${digest} does not hash to its name (${sha256Digest(bytes)}): corrupt archive`,
    );
  return bytes;
}

function json(file: string, what: string, bytes: Buffer) {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new ReleaseError(`${file}: ${what} is not JSON: ${(e as Error).message}`);
  }
}

function fromOciLayout(file: string, files: Map<string, Buffer>): GivenImage {
  let entry = json(file, 'index.json', files.get('index.json')!).manifests?.[0];
  if (!entry?.digest) throw new ReleaseError(`${file}: index.json lists no manifest`);
  let manifestBytes = blobAt(file, files, entry.digest);
  // A nested index (a multi-platform save): its first manifest.
  while (entry.mediaType === OCI_INDEX || json(file, entry.digest, manifestBytes).manifests) {
    entry = json(file, entry.digest, manifestBytes).manifests?.[0];
    if (!entry?.digest) throw new ReleaseError(`${file}: an index in it lists no manifest`);
    manifestBytes = blobAt(file, files, entry.digest);
  }
  const manifest = json(file, entry.digest, manifestBytes);
  if (!manifest.config?.digest || !Array.isArray(manifest.layers))
    throw new ReleaseError(`${file}: manifest ${entry.digest} has no config or layers`);
  const blobs = new Map<string, Buffer>();
  for (const d of [manifest.config, ...manifest.layers] as Descriptor[])
    blobs.set(d.digest, blobAt(file, files, d.digest));
  return {
    source: file,
    manifestBytes,
    manifestDigest: sha256Digest(manifestBytes),
    mediaType: manifest.mediaType ?? entry.mediaType,
    config: manifest.config,
    layers: manifest.layers,
    blobs,
    manifestWritten: false,
  };
}

function fromDockerSave(file: string, files: Map<string, Buffer>): GivenImage {
  const [image] = json(file, 'manifest.json', files.get('manifest.json')!) as { Config: string; Layers: string[] }[];
  if (!image?.Config) throw new ReleaseError(`${file}: manifest.json names no image`);
  const read = (name: string) => {
    const bytes = files.get(name);
    if (!bytes) throw new ReleaseError(`${file}: manifest.json names ${name}, which is not in the archive`);
    return bytes;
  };
  const blobs = new Map<string, Buffer>();
  const asBlob = (mediaType: string, bytes: Buffer): Descriptor => {
    const digest = sha256Digest(bytes);
    blobs.set(digest, bytes);
    return { mediaType, size: bytes.length, digest };
  };
  const config = asBlob(MEDIA_TYPES.config, read(image.Config));
  const layers = image.Layers.map((l) => {
    const bytes = read(l);
    return asBlob(isGzip(bytes) ? MEDIA_TYPES.layer : 'application/vnd.docker.image.rootfs.diff.tar', bytes);
  });
  const manifestBytes = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.manifest, config, layers }, null, 2),
  );
  return {
    source: file,
    manifestBytes,
    manifestDigest: sha256Digest(manifestBytes),
    mediaType: MEDIA_TYPES.manifest,
    config,
    layers,
    blobs,
    manifestWritten: true,
  };
}

/** The image's config (labels, architecture). */
export function imageConfig(image: GivenImage): {
  architecture?: string;
  config?: { Labels?: Record<string, string> | null };
  rootfs?: { diff_ids?: string[] };
} {
  return JSON.parse(image.blobs.get(image.config.digest)!.toString('utf8'));
}

/** A layer's tar stream (gunzipped when it is gzip). */
export function layerTar(image: GivenImage, layer: Descriptor): Buffer {
  const bytes = image.blobs.get(layer.digest)!;
  return isGzip(bytes) ? gunzipSync(bytes) : bytes;
}
