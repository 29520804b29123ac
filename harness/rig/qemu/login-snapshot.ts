// Login snapshots: a QEMU board saved at the login prompt of a real boot of one card image (its RAM
// and device state as a migration stream, its SD card as a frozen qcow2 overlay), so the next test
// that starts from the same image resumes there in a second or two instead of booting again.
// Cached under .cache/snapshots/<rig>/<key>/, where the key covers the image file, the rig file, the
// QEMU binary and the board code: anything that could make the saved state not match a fresh boot.
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { $ } from 'zx';
import { cacheDir, fileExists } from '../../../images/lib/cache.ts';
import { PromiseCache } from '../../../images/lib/promise-cache.ts';
import type { QemuRigConfig } from '../rig-config.ts';

/** Snapshots kept per rig; older ones are removed when a new one is saved (each is ~50–200 MB). */
const KEEP_PER_RIG = 12;
/** Bumped when the snapshot layout or what it assumes changes. */
const FORMAT = 1;

export interface LoginSnapshot {
  key: string;
  dir: string;
  /** The SD card as it was when the board was saved: a qcow2 overlay over the image. */
  disk: string;
  /** QEMU's migration stream: RAM and device state. */
  state: string;
  meta: SnapshotMeta;
}

export interface SnapshotMeta {
  image: string;
  rig: string;
  savedAt: string;
  /** Power-on → login prompt of the boot that was saved, ms. */
  bootMs: number;
  stateBytes: number;
}

const rigRoot = (config: QemuRigConfig) => path.join(cacheDir, 'snapshots', config.name);

const fingerprints = new PromiseCache<string>();
/** The QEMU version and the board code: a change in either may change what a board's state means. */
export function emulatorFingerprint(binary: string): Promise<string> {
  return fingerprints.get(binary, async () => {
    const hash = createHash('sha256');
    const version = await $({ quiet: true, nothrow: true })`${binary} --version`;
    hash.update(version.stdout);
    const boardsDir = path.join(import.meta.dirname, 'boards');
    for (const file of [
      ...(await readdir(boardsDir)).sort().map((f) => path.join(boardsDir, f)),
      path.join(import.meta.dirname, 'qemu-rig.ts'),
    ]) {
      if (file.endsWith('.ts')) hash.update(await readFile(file));
    }
    return hash.digest('hex');
  });
}

export async function snapshotKey(config: QemuRigConfig, imagePath: string, binary: string): Promise<string> {
  const image = path.resolve(imagePath);
  const info = await stat(image);
  const { description: _, ...rigFields } = config;
  return createHash('sha256')
    .update(
      JSON.stringify({
        FORMAT,
        image,
        size: info.size,
        mtime: info.mtimeMs,
        rigFields,
        emulator: await emulatorFingerprint(binary),
      }),
    )
    .digest('hex')
    .slice(0, 16);
}

/** The saved snapshot of this image on this rig, if there is a complete one. */
export async function findLoginSnapshot(
  config: QemuRigConfig,
  imagePath: string,
  binary: string,
): Promise<LoginSnapshot | undefined> {
  const key = await snapshotKey(config, imagePath, binary);
  const dir = path.join(rigRoot(config), key);
  const metaFile = path.join(dir, 'meta.json');
  if (!(await fileExists(metaFile))) return undefined;
  const meta = JSON.parse(await readFile(metaFile, 'utf8')) as SnapshotMeta;
  // Used snapshots are the last to be pruned.
  const now = new Date();
  await utimes(dir, now, now).catch(() => undefined);
  return { key, dir, disk: path.join(dir, 'disk.qcow2'), state: path.join(dir, 'state.bin'), meta };
}

/**
 * Saves a snapshot: `write` gets a private directory to write disk.qcow2 and state.bin into; the
 * directory is published under the key only once complete, so a reader never sees half of one.
 */
export async function saveLoginSnapshot(
  config: QemuRigConfig,
  imagePath: string,
  binary: string,
  bootMs: number,
  write: (files: { disk: string; state: string }) => Promise<void>,
): Promise<void> {
  const key = await snapshotKey(config, imagePath, binary);
  const root = rigRoot(config);
  const dir = path.join(root, key);
  const partial = path.join(root, `.${key}.partial-${process.pid}`);
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true });
  const files = { disk: path.join(partial, 'disk.qcow2'), state: path.join(partial, 'state.bin') };
  try {
    await write(files);
    const meta: SnapshotMeta = {
      image: path.resolve(imagePath),
      rig: config.name,
      savedAt: new Date().toISOString(),
      bootMs,
      stateBytes: (await stat(files.state)).size,
    };
    await writeFile(path.join(partial, 'meta.json'), JSON.stringify(meta, null, 2));
    // Another worker may have saved the same image meanwhile: either copy is good, the first stays.
    if (await fileExists(path.join(dir, 'meta.json'))) await rm(partial, { recursive: true, force: true });
    else {
      await rm(dir, { recursive: true, force: true });
      await rename(partial, dir);
    }
    await pruneSnapshots(root, KEEP_PER_RIG);
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    throw error;
  }
}

/** Forgets a snapshot that failed to load (e.g. saved by an older QEMU): the next start boots for real. */
export async function discardLoginSnapshot(snapshot: LoginSnapshot): Promise<void> {
  await rm(snapshot.dir, { recursive: true, force: true });
}

async function pruneSnapshots(root: string, keep: number): Promise<void> {
  const entries = (await readdir(root)).filter((e) => !e.startsWith('.'));
  const aged = await Promise.all(
    entries.map(async (e) => ({ dir: path.join(root, e), mtime: (await stat(path.join(root, e))).mtimeMs })),
  );
  for (const old of aged.sort((a, b) => b.mtime - a.mtime).slice(keep))
    await rm(old.dir, { recursive: true, force: true });
}
