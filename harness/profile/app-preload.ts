// A big app preloaded on the card, as a device that has run its app for months has it: the app image
// (the harness's heartbeat app plus one incompressible payload layer, so the image is `sizeMB`) put
// on resin-data for the engine (its store on the lean engine; a `docker save` archive the real engine
// loads at boot), so the supervisor finds it and starts it without pulling. Preparing a 339 MB app by
// pulling it over the emulated board's link would take minutes of TCG time for nothing the update looks at.
import { $ } from 'zx';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { APP_REFERENCE, appImage } from '../../images/containers/container-images.ts';
import { cacheDir, fileExists } from '../../images/lib/cache.ts';
import { selectedEngine } from '../../images/lib/engine.ts';
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
 * Preloads the app into `dataTree` (the resin-data partition's root): the heartbeat app's own layer
 * plus a payload layer that makes the image `sizeMB` in all. The lean engine's store is written as it
 * keeps it (blobs, manifest, repositories); for the real engine, whose store only dockerd writes, a
 * `docker save` archive goes to resin-data/preload/, which the reference OS loads before it starts
 * the supervisor (images/engine-moby/overlay/etc/rc.d/S60supervisor).
 */
export async function preloadApp(dataTree: string, deviceType: string, sizeMB: number): Promise<PreloadedApp> {
  const { config, configDigest, layers } = await preloadedAppImage(deviceType, sizeMB);
  if (selectedEngine() === 'lean') await writeLeanStore(dataTree, config, configDigest, layers);
  else await writeSaveArchive(dataTree, config, configDigest, layers);
  const bytes = layers.reduce((s, l) => s + l.size, Buffer.byteLength(config));
  return { reference: APP_REFERENCE, bytes };
}

/** The preloaded app's image: its config (bytes and sha256) and its layers, the payload's cached. */
export async function preloadedAppImage(
  deviceType: string,
  sizeMB: number,
): Promise<{ config: string; configDigest: string; layers: PreloadLayer[] }> {
  const app = await appImage(deviceType);
  // The heartbeat app is one layer.
  const base = await readFile(app.layerPaths[0]!);
  // An app no bigger than the heartbeat app itself is that image alone.
  const payloadBytes = Math.round(sizeMB * MB) - base.length;
  const payload = payloadBytes > 0 ? await payloadLayer(payloadBytes) : undefined;
  const layers = [
    { file: app.layerPaths[0]!, size: base.length, digest: sha256(base), diffId: `sha256:${sha256(gunzipSync(base))}` },
  ];
  if (payload) {
    const digest = (await $`sha256sum ${payload.file}`).stdout.split(' ')[0]!;
    const size = Number((await $`stat -c %s ${payload.file}`).stdout.trim());
    layers.push({ file: payload.file, size, digest, diffId: payload.diffId });
  }
  const config = JSON.stringify({ ...app.config, rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) } });
  return { config, configDigest: sha256(config), layers };
}

export interface PreloadLayer {
  file: string;
  size: number;
  /** sha256 of the gzip blob, hex. */
  digest: string;
  diffId: string;
}

/** The image's registry manifest (v2 schema 2), as the lean store keeps it and a registry serves it. */
export function preloadedAppManifest(config: string, configDigest: string, layers: PreloadLayer[]): string {
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA.manifest,
    config: { mediaType: MEDIA.config, size: Buffer.byteLength(config), digest: `sha256:${configDigest}` },
    layers: layers.map((l) => ({ mediaType: MEDIA.layer, size: l.size, digest: `sha256:${l.digest}` })),
  });
}

/** The lean engine's store: blobs/sha256, images/<id>/manifest.json, repositories. */
async function writeLeanStore(dataTree: string, config: string, configDigest: string, layers: PreloadLayer[]) {
  const store = path.join(dataTree, 'docker');
  const blobs = path.join(store, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  for (const layer of layers) await $`cp ${layer.file} ${path.join(blobs, layer.digest)}`;
  await writeFile(path.join(blobs, configDigest), config);
  const manifest = preloadedAppManifest(config, configDigest, layers);
  await mkdir(path.join(store, 'images', configDigest), { recursive: true });
  await writeFile(path.join(store, 'images', configDigest, 'manifest.json'), manifest);
  await writeFile(path.join(store, 'repositories'), `${APP_REFERENCE} ${configDigest} sha256:${sha256(manifest)}\n`);
}

/** A `docker save` archive at preload/app.tar: manifest.json, the config, the layers (gzip, which `docker load` takes). */
async function writeSaveArchive(dataTree: string, config: string, configDigest: string, layers: PreloadLayer[]) {
  const work = path.join(dataTree, 'preload', '.app');
  await mkdir(work, { recursive: true });
  try {
    await writeFile(path.join(work, `${configDigest}.json`), config);
    for (const layer of layers) await $`cp ${layer.file} ${path.join(work, `${layer.digest}.tar.gz`)}`;
    const manifest = [
      { Config: `${configDigest}.json`, RepoTags: [APP_REFERENCE], Layers: layers.map((l) => `${l.digest}.tar.gz`) },
    ];
    await writeFile(path.join(work, 'manifest.json'), JSON.stringify(manifest));
    await $`tar -C ${work} --owner=0 --group=0 --numeric-owner -cf ${path.join(dataTree, 'preload', 'app.tar')} .`;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
