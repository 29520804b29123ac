// Phase snapshots: a QEMU board saved as an updater phase starts (its RAM and device state as a
// migration stream, its SD card as a qcow2 over the card image), so every power-cut row of that phase
// resumes inside the running updater instead of booting the source and running the updater up to it.
// Cached under .cache/phase-snapshots/<rig>/<subject>/<phase>/, where <subject> hashes what the
// recording ran (the scenario's description: source card, path, updater script, registry…), the rig
// file, the QEMU binary and the board code. A subject is recorded by one worker at a time (a lock).
import { createHash } from 'node:crypto';
import { copyFile, link, mkdir, open, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { $ } from 'zx';
import { cacheDir, fileExists } from '../../../images/lib/cache.ts';
import { InfraError } from '../../errors.ts';
import type { QemuRigConfig } from '../rig-config.ts';
import type { PhaseSnapshotKey } from '../rig.ts';
import { emulatorFingerprint } from './login-snapshot.ts';
import { loadSavedBoard, writeBoardState } from './qemu-snapshot.ts';
import type { QemuRigParts } from './rig-parts.ts';

/** Bumped when the layout or what a phase snapshot assumes changes. */
const FORMAT = 1;
/** Subjects kept per rig (each ~10 phases of ~100–300 MB): older ones go when a new one is saved. */
const KEEP_SUBJECTS = 4;
/** Prepared sources kept per rig (harness/scenarios/prepared-source.ts: ~60–100 MB each). */
const KEEP_PREPARED = 8;
/** A lock older than this is a recording that died without letting go. */
const STALE_LOCK_MS = 30 * 60_000;

const rigRoot = (config: QemuRigConfig) => path.join(cacheDir, 'phase-snapshots', config.name);

/** The subject's folder name: its description, the rig file, the emulator and the board code. */
export async function subjectHash(config: QemuRigConfig, binary: string, subject: PhaseSnapshotKey['subject']) {
  const { description: _, ...rigFields } = config;
  const emulator = await emulatorFingerprint(binary);
  return createHash('sha256')
    .update(JSON.stringify({ FORMAT, rigFields, emulator, subject }))
    .digest('hex')
    .slice(0, 16);
}

export async function phaseSnapshotDir(config: QemuRigConfig, binary: string, key: PhaseSnapshotKey) {
  if (!/^[\w.-]+$/.test(key.phase)) throw new InfraError(`not a phase name: ${key.phase}`);
  return path.join(rigRoot(config), await subjectHash(config, binary, key.subject), key.phase);
}

/** The saved snapshot's meta (what the recording wrote with it), or undefined. */
export async function findPhaseSnapshot(rig: QemuRigParts, key: PhaseSnapshotKey): Promise<unknown> {
  const dir = await phaseSnapshotDir(rig.config, rig.board.binary, key);
  const metaFile = path.join(dir, 'meta.json');
  if (!(await fileExists(metaFile))) return undefined;
  const now = new Date();
  await utimes(path.dirname(dir), now, now).catch(() => undefined); // used subjects are pruned last
  return (JSON.parse(await readFile(metaFile, 'utf8')) as { recorded: unknown }).recorded;
}

/** The snapshot a held board was last saved as: it has not run since (several phases read at once). */
const savedWhileHeld = new WeakMap<object, string>();

/** Stops the board's CPUs at once (nothing of it sees the pause but its clock). */
export async function holdBoard(rig: QemuRigParts): Promise<void> {
  const qemu = rig.running();
  if (!qemu || qemu.exited) throw new InfraError(`${rig.config.name}: no running board to hold`);
  await qemu.qmp.execute('stop');
}

export async function releaseBoard(rig: QemuRigParts): Promise<void> {
  const qemu = rig.running();
  if (qemu) savedWhileHeld.delete(qemu);
  if (qemu && !qemu.exited) await qemu.qmp.execute('cont');
}

/**
 * Saves the held board as the snapshot of `key`, with `recorded` (JSON) beside it. Written into a
 * private folder and renamed into place once whole, so a reader never sees half of one.
 */
export async function savePhaseSnapshot(rig: QemuRigParts, key: PhaseSnapshotKey, recorded: unknown): Promise<void> {
  const qemu = rig.running();
  if (!qemu || qemu.exited) throw new InfraError(`${rig.config.name}: no running board to save`);
  const dir = await phaseSnapshotDir(rig.config, rig.board.binary, key);
  const partial = `${dir}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true });
  try {
    const state = path.join(partial, 'state.bin');
    const disk = path.join(partial, 'disk.qcow2');
    const same = savedWhileHeld.get(qemu);
    // Note: phases whose lines came in one read are held at one moment: the board is the same, and a
    // second migration of a board that has not run since the first is not needed (and not known to work).
    if (same) await Promise.all([link(path.join(same, 'state.bin'), state), link(path.join(same, 'disk.qcow2'), disk)]);
    else {
      await writeBoardState(qemu, state);
      // The migration flushed the card. Its overlay sits on a chain (a login snapshot's card over the
      // image): the copy is rebased onto the image itself, so it outlives the login snapshot.
      await copyFile(rig.diskPath, disk);
      const image = await bottomOfChain(disk);
      await $({ quiet: true })`qemu-img rebase -f qcow2 -b ${image} -F raw ${disk}`;
    }
    const meta = { key, savedAt: new Date().toISOString(), stateBytes: (await stat(state)).size, recorded };
    await writeFile(path.join(partial, 'meta.json'), JSON.stringify(meta, null, 2));
    await rm(dir, { recursive: true, force: true });
    await rename(partial, dir);
    savedWhileHeld.set(qemu, dir);
    await pruneSubjects(rigRoot(rig.config), path.basename(path.dirname(dir)));
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    throw error;
  }
}

/** Resumes the board, running, where the snapshot of `key` stood. False: none, or it did not load (discarded). */
export async function resumePhaseSnapshot(rig: QemuRigParts, key: PhaseSnapshotKey): Promise<boolean> {
  const dir = await phaseSnapshotDir(rig.config, rig.board.binary, key);
  if (!(await fileExists(path.join(dir, 'meta.json')))) return false;
  const saved = { disk: path.join(dir, 'disk.qcow2'), state: path.join(dir, 'state.bin') };
  const note = `resumed at the start of updater phase ${key.phase} from phase snapshot ${path.relative(rigRoot(rig.config), dir)}`;
  const loaded = await loadSavedBoard(rig, saved, note);
  if (loaded === true) return true;
  rig.console.note(`phase snapshot ${dir} did not load (${loaded}): discarded`);
  await rm(dir, { recursive: true, force: true });
  return false;
}

/**
 * Holds the recording lock of a subject (one worker records it; the others wait, then find it saved).
 * Returns the release. A lock whose holder died, or older than 30 min, is taken over.
 */
export async function lockSubject(
  rig: QemuRigParts,
  subject: PhaseSnapshotKey['subject'],
  timeoutMs: number,
): Promise<() => Promise<void>> {
  const root = rigRoot(rig.config);
  await mkdir(root, { recursive: true });
  const lock = path.join(root, `.${await subjectHash(rig.config, rig.board.binary, subject)}.lock`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const handle = await open(lock, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(lock, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (await staleLock(lock)) await rm(lock, { force: true });
    else if (Date.now() > deadline)
      throw new InfraError(`${lock}: another worker has been recording these phase snapshots for too long`);
    else await new Promise((r) => setTimeout(r, 2000));
  }
}

async function staleLock(lock: string): Promise<boolean> {
  const info = await stat(lock).catch(() => undefined);
  if (!info) return false;
  if (Date.now() - info.mtimeMs > STALE_LOCK_MS) return true;
  const pid = Number(await readFile(lock, 'utf8').catch(() => ''));
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}

async function bottomOfChain(disk: string): Promise<string> {
  const info = await $({ quiet: true })`qemu-img info -U --backing-chain --output=json ${disk}`;
  const chain = JSON.parse(info.stdout) as Array<{ filename: string; format: string }>;
  const bottom = chain.at(-1)!;
  if (bottom.format !== 'raw')
    throw new InfraError(`${disk}: its backing chain ends in ${bottom.format}, not an image`);
  return bottom.filename;
}

/**
 * Keeps the newest subjects of each kind: prepared sources (one small snapshot each, valid only while
 * their worker's registry runs) never push out an updater recording, which is a whole update to remake.
 */
async function pruneSubjects(root: string, keep: string): Promise<void> {
  const entries = (await readdir(root)).filter((e) => !e.startsWith('.') && e !== keep);
  const aged = await Promise.all(
    entries.map(async (e) => {
      const dir = path.join(root, e);
      const phases = await readdir(dir).catch(() => [] as string[]);
      return { dir, mtime: (await stat(dir)).mtimeMs, prepared: phases.length === 1 && phases[0] === 'prepared' };
    }),
  );
  const kept = (await readdir(path.join(root, keep)).catch(() => [] as string[])).join() === 'prepared';
  for (const [prepared, limit] of [
    [true, KEEP_PREPARED],
    [false, KEEP_SUBJECTS],
  ] as const) {
    const older = aged.filter((a) => a.prepared === prepared).sort((a, b) => b.mtime - a.mtime);
    for (const old of older.slice(limit - (kept === prepared ? 1 : 0)))
      await rm(old.dir, { recursive: true, force: true });
  }
}
