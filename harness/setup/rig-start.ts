// Proves each QEMU rig of this host can start: QEMU is launched with the command line the rig's board
// builds (harness/rig/qemu/boards/, imported as it is), paused before the first instruction (`-S`,
// part of every board's command line), asked its status over QMP, given the devices the board adds
// at kernel start, and told to `quit`. Everything QEMU loads at start (firmware, ROMs, U-Boot, the
// kernel and dtb the Raspberry Pi firmware hands over) is loaded by then, so a missing file shows
// here, named with the package that ships it, instead of as a failed boot in the middle of a test.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { qemuBoardFor } from '../rig/qemu/boards.ts';
import type { QemuBoard, QemuLaunch } from '../rig/qemu/boards/board.ts';
import { QmpClient } from '../rig/qemu/qmp.ts';
import { freeLoopbackPort } from '../rig/ports.ts';
import { listRigFiles, parseRigConfig } from '../rig/rig-config.ts';
import { HostSetupError, runCommand } from './apt.ts';
import { packageForFile, type HostRequirement } from './host-requirements.ts';
import { sdCard } from './stand-in-card.ts';

export interface RigStartTarget {
  deviceType: string;
  /** The rigs of this host that run this board (QEMU rigs and virtual benches). */
  rigs: string[];
  memoryMiB: number;
}

export interface RigStartResult extends RigStartTarget {
  ok: boolean;
  ms: number;
  command?: string;
  /** QEMU's stderr (warnings on success, the reason on failure). */
  stderr: string;
  failure?: StartFailure;
}

export interface StartFailure {
  reason: string;
  /** The file QEMU could not load, and what provides it, when its message names one. */
  missing?: { file: string; requirement?: HostRequirement };
}

/** The boards the non-example rigs in rigs/ run on QEMU, with the rigs that use each. */
export async function rigStartTargets(): Promise<RigStartTarget[]> {
  const byType = new Map<string, RigStartTarget>();
  for (const file of await listRigFiles()) {
    const rig = parseRigConfig(await readFile(file, 'utf8'), path.relative(path.dirname(path.dirname(file)), file));
    if (rig.example) continue;
    const memoryMiB = rig.kind === 'qemu' ? rig.memoryMiB : rig.virtualBench?.memoryMiB;
    if (memoryMiB === undefined) continue; // a real bench: no QEMU on this host
    const target = byType.get(rig.deviceType) ?? { deviceType: rig.deviceType, rigs: [], memoryMiB };
    target.rigs.push(rig.name);
    byType.set(rig.deviceType, target);
  }
  return [...byType.values()];
}

/** What a QEMU error message says is missing, with the package that ships it. */
export function explainQemuFailure(stderr: string, binary: string): StartFailure {
  const text = stderr.trim();
  const reason = text.split('\n').filter(Boolean).slice(-3).join(' / ') || 'QEMU exited without a message';
  if (/failed to execute|No such file or directory.*qemu-system|ENOENT/.test(text) && text.includes(binary)) {
    return {
      reason,
      missing: {
        file: binary,
        requirement: packageForFile(binary) ?? {
          needs: binary,
          debianPackage: 'qemu-system-arm',
          why: 'the QEMU system emulator',
        },
      },
    };
  }
  const romfile = text.match(/failed to find romfile "([^"]+)"/);
  if (romfile) return { reason, missing: { file: romfile[1]!, requirement: packageForFile(romfile[1]!) } };
  // Other loads name the path: "Could not load ROM image '…'", "could not load kernel '…'",
  // "Couldn't open dtb file …", "Could not open '…': No such file or directory".
  const named = [...text.matchAll(/['"‘]?(\/[^\s'"’:]+)['"’]?/g)].map((m) => m[1]!);
  const absent = named.find((f) => !existsSync(f));
  if (absent) return { reason, missing: { file: absent, requirement: packageForFile(absent) } };
  return { reason };
}

/** One line (or a few) a person can act on: the rig, the missing file, the package, the command. */
export function describeStartFailure(result: RigStartResult): string {
  const rigs = result.rigs.join(', ');
  const f = result.failure!;
  if (f.missing?.requirement) {
    const r = f.missing.requirement;
    return (
      `rig ${rigs}: QEMU would not start: ${f.missing.file === r.needs ? r.needs : `${f.missing.file} (${r.needs})`} is missing: ${r.why}. ` +
      `Debian package ${r.debianPackage} ships it; run as root: apt-get install -y --no-install-recommends ${r.debianPackage}` +
      `\n    QEMU said: ${f.reason}`
    );
  }
  if (f.missing)
    return `rig ${rigs}: QEMU would not start: ${f.missing.file} is missing (no known package ships it)\n    QEMU said: ${f.reason}`;
  return `rig ${rigs}: QEMU would not start: ${f.reason}${result.command ? `\n    Command: ${result.command}` : ''}`;
}

/**
 * Starts every rig's QEMU once (boards in parallel), stopped at once; throws a HostSetupError naming
 * each rig that cannot start. Takes about a second.
 */
export async function checkRigsStart(
  log: (m: string) => void = () => {},
  targets?: RigStartTarget[],
): Promise<RigStartResult[]> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'hupbench-rig-start-'));
  try {
    const results = await Promise.all((targets ?? (await rigStartTargets())).map((t) => startOnce(t, work)));
    const failed = results.filter((r) => !r.ok);
    for (const r of results.filter((r) => r.ok)) log(`rig ${r.rigs.join(', ')}: QEMU starts (${r.ms} ms)`);
    if (failed.length)
      throw new HostSetupError(
        `A rig's QEMU cannot start on this host:\n  ${failed.map(describeStartFailure).join('\n  ')}`,
      );
    return results;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function startOnce(target: RigStartTarget, work: string): Promise<RigStartResult> {
  const started = Date.now();
  const dir = path.join(work, target.deviceType);
  await mkdir(dir, { recursive: true });
  const board = qemuBoardFor(target.deviceType);
  const result = (ok: boolean, extra: Partial<RigStartResult>): RigStartResult => ({
    ...target,
    ok,
    ms: Date.now() - started,
    stderr: '',
    ...extra,
  });
  let card: string;
  try {
    card = await sdCard(dir);
  } catch (error) {
    return result(false, {
      failure: { reason: `could not make the SD card for the check: ${(error as Error).message}` },
    });
  }
  const diskPath = path.join(dir, 'sd.qcow2');
  // As QemuRig.flash does: a copy-on-write overlay over the card.
  const overlay = await runCommand(['qemu-img', 'create', '-q', '-f', 'qcow2', '-F', 'raw', '-b', card, diskPath]);
  if (overlay.exitCode !== 0) return result(false, { failure: explainQemuFailure(overlay.stderr, 'qemu-img') });
  const qmpPath = path.join(dir, 'qmp.sock');
  let launch: QemuLaunch;
  try {
    launch = await board.launch({
      diskPath,
      sshPort: await freeLoopbackPort(),
      qmpPath,
      memoryMiB: target.memoryMiB,
      workDir: dir,
    });
  } catch (error) {
    return result(false, {
      failure: { reason: `the board's command line could not be built: ${(error as Error).message.split('\n')[0]}` },
    });
  }
  const command = `${launch.binary} ${launch.args.join(' ')}`;
  if (!launch.args.includes('-S'))
    return result(false, {
      command,
      failure: { reason: 'the board command line has no -S: the check would run the guest' },
    });
  const run = await runPaused(launch, qmpPath, board);
  return result(run.ok, {
    command,
    stderr: run.stderr,
    failure: run.ok
      ? undefined
      : {
          ...explainQemuFailure(run.stderr, launch.binary),
          ...(run.reason && !run.stderr.trim() ? { reason: run.reason } : {}),
        },
  });
}

/** QEMU started paused; up when its QMP answers; then the board's kernel-start hook and `quit`. */
async function runPaused(
  launch: QemuLaunch,
  qmpPath: string,
  board: QemuBoard,
): Promise<{ ok: boolean; stderr: string; reason?: string }> {
  // As the rig does: QEMU dies with this process, whatever happens to it.
  const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', launch.binary, ...launch.args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  let exited = false;
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<void>((resolve) =>
    child.on('close', () => {
      exited = true;
      resolve();
    }),
  );
  child.on('error', (e) => (stderr += `${e.message}\n`));
  const deadline = Date.now() + 15_000;
  while (!exited && !existsSync(qmpPath) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  if (exited || !existsSync(qmpPath)) {
    if (!exited) child.kill('SIGKILL');
    await exit;
    return { ok: false, stderr, reason: exited ? 'QEMU exited at start' : 'QEMU opened no QMP socket within 15 s' };
  }
  let qmp: QmpClient | undefined;
  try {
    qmp = await QmpClient.connectWhenListening(qmpPath, { timeoutMs: 10_000, exited: () => exited });
    const { status } = await qmp.execute<{ status: string }>('query-status');
    if (status !== 'prelaunch') throw new Error(`QEMU is ${status}, not paused before the first instruction`);
    // Devices the board plugs in when the kernel starts (the Raspberry Pi's usb-net) must attach too.
    await board.onKernelStart?.(qmp);
    await qmp.execute('quit').catch(() => undefined);
  } catch (error) {
    child.kill('SIGKILL');
    await exit;
    return { ok: false, stderr, reason: (error as Error).message };
  } finally {
    qmp?.close();
  }
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exit;
  clearTimeout(timer);
  return { ok: true, stderr };
}
