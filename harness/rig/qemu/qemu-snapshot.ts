// Login snapshots on a QEMU rig: a board saved at its login prompt (card and RAM) and resumed by every
// test that needs that state instead of booting again (harness/rig/qemu/login-snapshot.ts stores them).
import path from 'node:path';
import { copyFile } from 'node:fs/promises';
import { InfraError } from '../../errors.ts';
import { waitFor } from '../../wait.ts';
import { fileExists } from '../../../images/lib/cache.ts';
import { discardLoginSnapshot, findLoginSnapshot, saveLoginSnapshot } from './login-snapshot.ts';
import type { RunningQemu } from './qemu-process.ts';
import type { QemuRigParts } from './rig-parts.ts';

export async function requireImage(imagePath: string): Promise<void> {
  if (!(await fileExists(imagePath)))
    throw new InfraError(`Cannot flash ${imagePath}: no such image. Run \`npm run images\`.`);
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Boots the board from the login snapshot of `imagePath` when there is one that loads: its frozen card
 * under a new overlay, its saved state into a QEMU waiting for it. False when there is none (or it no
 * longer loads: then it is discarded and the image flashed, for the caller's real boot).
 */
export async function resumeLoginSnapshot(rig: QemuRigParts, imagePath: string): Promise<boolean> {
  await requireImage(imagePath);
  const snapshot = await findLoginSnapshot(rig.config, imagePath, rig.board.binary);
  if (!snapshot) return false;
  const note = `resumed at the login prompt from snapshot ${snapshot.key} (a real boot of ${path.basename(imagePath)} saved ${snapshot.meta.savedAt})`;
  const loaded = await loadSavedBoard(rig, snapshot, note);
  if (loaded === true) return true;
  // A snapshot that no longer loads is dropped; the caller boots for real (and saves a new one).
  rig.console.note(`login snapshot ${snapshot.key} did not load (${loaded}): discarded, booting for real`);
  await discardLoginSnapshot(snapshot);
  await rig.writeCard(imagePath);
  return false;
}

/**
 * Starts the board from a saved state: its frozen card under a new overlay, its migration stream into
 * a QEMU waiting for it, then running. True, or why it did not load (QEMU stopped, power off).
 */
export async function loadSavedBoard(
  rig: QemuRigParts,
  saved: { disk: string; state: string },
  note: string,
): Promise<true | string> {
  await rig.newCard(saved.disk, 'qcow2');
  try {
    await rig.start({ incoming: true });
    const qemu = rig.running()!;
    // Devices the saved board had gained at kernel start must exist before its state loads.
    if (rig.board.onKernelStart) {
      await rig.board.onKernelStart(qemu.qmp);
      qemu.kernelStarted = true;
    }
    rig.console.markPowerOn();
    rig.owner.set('on');
    rig.console.note(note);
    await qemu.qmp.execute('migrate-incoming', { uri: `exec:cat ${shellQuote(saved.state)}` });
    // Note: waitFor retries a probe that throws, so an end state is returned and judged after it.
    const loaded = await waitFor(
      async () => {
        if (qemu.exited) return 'QEMU exited';
        const { status } = await qemu.qmp.execute<{ status: string }>('query-status');
        return status === 'inmigrate' ? undefined : status;
      },
      { timeoutMs: 60_000, what: `QEMU loading the saved board ${saved.state}`, details: () => rig.qemuLog() },
    );
    if (loaded !== 'paused')
      throw new InfraError(`${loaded} while loading the snapshot: ${rig.qemuLog().trim().split('\n').at(-1) ?? ''}`);
    await qemu.qmp.execute('cont');
    return true;
  } catch (error) {
    await rig.stop();
    rig.owner.set('off');
    return (error as Error).message.split('\n')[0] ?? 'unknown';
  }
}

/** Writes the paused board's RAM and device state to `state` (QEMU's migration stream). */
export async function writeBoardState(qemu: RunningQemu, state: string): Promise<void> {
  // QEMU's default migration speed limit (32 MiB/s) would make this take several seconds.
  await qemu.qmp.execute('migrate-set-parameters', { 'max-bandwidth': 16 * 1024 ** 3 });
  await qemu.qmp.execute('migrate', { uri: `exec:cat > ${shellQuote(state)}` });
  const info = await waitFor(
    async () => {
      if (qemu.exited) return { status: 'failed', 'error-desc': 'QEMU exited' };
      const info = await qemu.qmp.execute<{ status?: string; 'error-desc'?: string }>('query-migrate');
      return info.status === 'completed' || info.status === 'failed' ? info : undefined;
    },
    { timeoutMs: 60_000, what: `QEMU writing the board's state to ${state}` },
  );
  if (info.status === 'failed')
    throw new InfraError(`saving the board's state failed: ${info['error-desc'] ?? 'no reason given'}`);
}

/** Saves the running board (at its login prompt) as the login snapshot of `imagePath`. */
export async function saveRunningBoard(rig: QemuRigParts, imagePath: string, bootMs: number): Promise<void> {
  const qemu = rig.running();
  if (!qemu || qemu.exited) throw new InfraError(`${rig.config.name}: no running board to save`);
  // The guest is paused for the save: a second or two, like a slow console, nothing it can see.
  await qemu.qmp.execute('stop');
  try {
    await saveLoginSnapshot(rig.config, imagePath, rig.board.binary, bootMs, async ({ disk, state }) => {
      await writeBoardState(qemu, state);
      // The migration flushed the card: its overlay is frozen as the snapshot's card.
      await copyFile(rig.diskPath, disk);
    });
  } finally {
    if (!qemu.exited) await qemu.qmp.execute('cont');
  }
}
