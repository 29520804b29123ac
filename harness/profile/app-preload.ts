// A big app preloaded on the card, as a device that has run its app for months has it: the app image
// (the harness's heartbeat app plus one incompressible payload layer, so the image is `sizeMB`) laid out
// in the engine's store on resin-data (blobs/sha256, images/<id>/manifest.json, repositories), so the
// supervisor finds it and starts it without pulling. Preparing a 339 MB app by pulling it over the
// emulated board's link would take minutes of TCG time for nothing the update looks at.
import { $ } from 'zx';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { APP_REFERENCE, appImage } from '../../images/containers/container-images.ts';
import { cacheDir, fileExists } from '../../images/lib/cache.ts';
import { writeSeedFile } from '../image/seed-data.ts';
import { MB } from './profile-sizes.ts';

const MEDIA = {
  manifest: 'application/vnd.docker.distribution.manifest.v2+json',
  config: 'application/vnd.docker.container.image.v1+json',
  layer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
};
const PAYLOAD = 'opt/app-payload/payload.bin';

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** The payload layer (gzip) for an app of `sizeMB`, cached: incompressible, so the blob is that size. */
async function payloadLayer(payloadBytes: number): Promise<{ file: string; diffId: string }> {
  const dir = path.join(cacheDir, 'derived', 'profile-app');
  const file = path.join(dir, `payload-${payloadBytes}.tar.gz`);
  const idFile = `${file}.diffid`;
  if ((await fileExists(file)) && (await fileExists(idFile))) return { file, diffId: await readFile(idFile, 'utf8') };
  const work = path.join(dir, `work-${process.pid}`);
  await rm(work, { recursive: true, force: true });
  await mkdir(path.join(work, path.dirname(PAYLOAD)), { recursive: true });
  try {
    await writeSeedFile(path.join(work, PAYLOAD), payloadBytes, 'incompressible', `app-payload/${payloadBytes}`);
    const tar = path.join(work, 'layer.tar');
    await $`tar -C ${work} --owner=0 --group=0 --numeric-owner --mtime=@0 --sort=name -cf ${tar} opt`;
    const diffId = `sha256:${(await $`sha256sum ${tar}`).stdout.split(' ')[0]}`;
    await $`gzip -1 -n -c ${tar} > ${`${file}.partial`}`;
    await rename(`${file}.partial`, file);
    await writeFile(idFile, diffId);
    return { file, diffId };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

export interface PreloadedApp {
  reference: string;
  /** The image's blob bytes (config and layers), as the engine stores and `docker images` reports them. */
  bytes: number;
}

/**
 * Writes the engine's store for the app into `dataTree` (the resin-data partition's root): the
 * heartbeat app's own layer plus a payload layer that makes the image `sizeMB` in all.
 */
export async function preloadApp(dataTree: string, deviceType: string, sizeMB: number): Promise<PreloadedApp> {
  const app = await appImage(deviceType);
  const base = await readFile(app.layerPath);
  // An app no bigger than the heartbeat app itself is that image alone.
  const payloadBytes = Math.round(sizeMB * MB) - base.length;
  const payload = payloadBytes > 0 ? await payloadLayer(payloadBytes) : undefined;
  const store = path.join(dataTree, 'docker');
  const blobs = path.join(store, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  const baseDigest = sha256(base);
  await writeFile(path.join(blobs, baseDigest), base);
  const layers = [{ mediaType: MEDIA.layer, size: base.length, digest: `sha256:${baseDigest}` }];
  const diffIds = [`sha256:${sha256(gunzipSync(base))}`];
  if (payload) {
    const digest = (await $`sha256sum ${payload.file}`).stdout.split(' ')[0]!;
    await $`cp ${payload.file} ${path.join(blobs, digest)}`;
    const size = Number((await $`stat -c %s ${payload.file}`).stdout.trim());
    layers.push({ mediaType: MEDIA.layer, size, digest: `sha256:${digest}` });
    diffIds.push(payload.diffId);
  }
  const config = JSON.stringify({ ...app.config, rootfs: { type: 'layers', diff_ids: diffIds } });
  const configDigest = sha256(config);
  await writeFile(path.join(blobs, configDigest), config);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA.manifest,
    config: { mediaType: MEDIA.config, size: Buffer.byteLength(config), digest: `sha256:${configDigest}` },
    layers,
  });
  await mkdir(path.join(store, 'images', configDigest), { recursive: true });
  await writeFile(path.join(store, 'images', configDigest, 'manifest.json'), manifest);
  await writeFile(path.join(store, 'repositories'), `${APP_REFERENCE} ${configDigest} sha256:${sha256(manifest)}\n`);
  const bytes = layers.reduce((s, l) => s + l.size, Buffer.byteLength(config));
  return { reference: APP_REFERENCE, bytes };
}
