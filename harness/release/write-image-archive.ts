// Writes an image as an OCI image-layout archive (what `docker save` writes since Docker 25: index.json,
// oci-layout, blobs/sha256/…, plus docker's manifest.json): the reference provider's hostOS,
// supervisor and tools images, so that they reach the registry by the same road as anyone's.
// The manifest is Docker's schema 2 with gzip layers, which the reference OS's engine pulls.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { $ } from 'zx';
import { fileExists } from '../../images/lib/cache.ts';
import { descriptor, type ImageConfig, MEDIA_TYPES, sha256Digest } from '../registry/manifest.ts';

export interface ImageToArchive {
  /** repository:tag, recorded as the image's name in the archive. */
  reference: string;
  config: Omit<ImageConfig, 'rootfs'>;
  /** gzip'd tar layers, bottom first. */
  layerFiles: string[];
}

/** The archive for `image` in `dir` (named by its contents; written once). */
export async function ensureImageArchive(dir: string, stem: string, image: ImageToArchive): Promise<string> {
  const key = createHash('sha256')
    .update(JSON.stringify([image.reference, image.config, image.layerFiles.map((f) => path.basename(f))]))
    .digest('hex')
    .slice(0, 16);
  const output = path.join(dir, `${stem}-${key}.tar`);
  if (await fileExists(output)) return output;
  const work = `${output}.${process.pid}.d`;
  await rm(work, { recursive: true, force: true });
  const blobDir = path.join(work, 'blobs/sha256');
  await mkdir(blobDir, { recursive: true });
  try {
    const blob = async (bytes: Buffer) => {
      await writeFile(path.join(blobDir, sha256Digest(bytes).slice(7)), bytes);
      return bytes;
    };
    const layers = [];
    const diffIds = [];
    for (const file of image.layerFiles) {
      const gz = await blob(await readFile(file));
      layers.push(descriptor(MEDIA_TYPES.layer, gz));
      diffIds.push(sha256Digest(gunzipSync(gz)));
    }
    const config: ImageConfig = { ...image.config, rootfs: { type: 'layers', diff_ids: diffIds } };
    const configDesc = descriptor(MEDIA_TYPES.config, await blob(Buffer.from(JSON.stringify(config))));
    const manifest = { schemaVersion: 2, mediaType: MEDIA_TYPES.manifest, config: configDesc, layers };
    const manifestDesc = descriptor(MEDIA_TYPES.manifest, await blob(Buffer.from(JSON.stringify(manifest, null, 2))));
    const index = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [{ ...manifestDesc, annotations: { 'io.containerd.image.name': image.reference } }],
    };
    await writeFile(path.join(work, 'index.json'), JSON.stringify(index));
    await writeFile(path.join(work, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    const saved = [
      {
        Config: `blobs/sha256/${configDesc.digest.slice(7)}`,
        RepoTags: [image.reference],
        Layers: layers.map((l) => `blobs/sha256/${l.digest.slice(7)}`),
      },
    ];
    await writeFile(path.join(work, 'manifest.json'), JSON.stringify(saved));
    const partial = `${output}.${process.pid}.partial`;
    await $`tar --numeric-owner --owner=0 --group=0 --sort=name --mtime=@0 -C ${work} -cf ${partial} .`;
    await rename(partial, output);
    return output;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
