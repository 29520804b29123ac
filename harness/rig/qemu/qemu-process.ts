// One QEMU process of a rig: started as its board's launch says, with its QMP socket connected and
// its console pty found; stopped with `quit` (SIGKILL when it does not answer).
import { spawn, type ChildProcess } from 'node:child_process';
import { InfraError } from '../../errors.ts';
import { waitFor } from '../../wait.ts';
import { fileExists } from '../../../images/lib/cache.ts';
import type { QemuLaunch } from './boards/board.ts';
import { QmpClient } from './qmp.ts';

export interface RunningQemu {
  process: ChildProcess;
  qmp: QmpClient;
  stderr: string[];
  exited: boolean;
  /** How it exited: `code 0`, `SIGKILL`. */
  exit?: string;
  /** The rig quit it on purpose (a relaunch, a new card, the end of the run): not a power loss. */
  stopping: boolean;
  kernelStarted: boolean;
  /** Whether its CPUs run, from QEMU's own STOP/RESUME events. */
  cpus: 'paused' | 'running';
}

/** What the rig does as a QEMU process comes and goes. */
export interface QemuHooks {
  /** Right after the spawn (the rig tracks every QEMU it started: none may outlive it). */
  spawned(running: RunningQemu): void;
  /** The process exited, on purpose (`running.stopping`) or not. */
  exited(running: RunningQemu): void;
  /** QMP is connected: from here on it is the board's QEMU, and its events go to `event`. */
  connected(running: RunningQemu): void;
  event(running: RunningQemu, event: string, data: Record<string, unknown>): void;
}

/**
 * Starts QEMU and waits for its QMP socket; the running QEMU and its console pty, or `portTaken` when
 * QEMU could not forward the SSH port it was given (another process took it first) and `mayRetry`.
 */
export async function startQemuProcess(
  rigName: string,
  launch: QemuLaunch,
  qmpPath: string,
  hooks: QemuHooks,
  mayRetry: boolean,
): Promise<{ running: RunningQemu; pty: string } | { portTaken: true }> {
  // Note: setpriv --pdeathsig makes the kernel kill QEMU when this worker dies, even by SIGKILL,
  // so no board outlives the test run that started it.
  const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', launch.binary, ...launch.args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const running: RunningQemu = {
    process: child,
    qmp: undefined as unknown as QmpClient,
    stderr: [],
    exited: false,
    stopping: false,
    kernelStarted: false,
    cpus: 'paused',
  };
  hooks.spawned(running);
  child.stderr!.on('data', (d: Buffer) => running.stderr.push(d.toString()));
  child.on('exit', (code, signal) => {
    running.exited = true;
    running.exit = signal ?? `code ${code}`;
    hooks.exited(running);
  });
  const whatQemuSaid = () =>
    `QEMU stderr:\n${running.stderr.join('').trim() || '(empty)'}\nCommand: ${launch.binary} ${launch.args.join(' ')}`;
  try {
    await waitFor(
      async () =>
        running.exited ? Promise.reject(new Error('QEMU exited')) : (await fileExists(qmpPath)) || undefined,
      { timeoutMs: 15_000, what: `QEMU QMP socket ${qmpPath}`, details: whatQemuSaid },
    );
  } catch (error) {
    running.stopping = true; // a start that failed, reported as such: not a power loss
    child.kill('SIGKILL');
    if (mayRetry && /hostfwd|host forwarding/i.test(running.stderr.join(''))) return { portTaken: true };
    throw new InfraError(`${rigName}: QEMU did not start.\n${whatQemuSaid()}`, { cause: error });
  }
  try {
    running.qmp = await QmpClient.connectWhenListening(qmpPath, {
      timeoutMs: 10_000,
      exited: () => running.exited,
    });
  } catch (error) {
    running.stopping = true;
    child.kill('SIGKILL');
    throw new InfraError(`${rigName}: cannot connect to QEMU's QMP socket ${qmpPath}.\n${whatQemuSaid()}`, {
      cause: error,
    });
  }
  running.qmp.onEvent((event, data) => hooks.event(running, event, data));
  hooks.connected(running);
  const chardevs = await running.qmp.execute<Array<{ label: string; filename: string }>>('query-chardev');
  const pty = chardevs.find((c) => c.label === 'console0')?.filename.replace(/^pty:/, '');
  if (!pty) throw new InfraError(`${rigName}: QEMU did not report the console pty. ${whatQemuSaid()}`);
  return { running, pty };
}

/** Quits QEMU (marked as stopped on purpose); kills it when it has not exited 5 s later. */
export async function stopQemuProcess(qemu: RunningQemu | undefined): Promise<void> {
  if (!qemu || qemu.exited) return;
  qemu.stopping = true;
  await qemu.qmp.execute('quit').catch(() => undefined);
  qemu.qmp.close();
  try {
    await waitFor(async () => (qemu.exited ? true : undefined), { timeoutMs: 5000, what: 'QEMU to exit after quit' });
  } catch {
    qemu.process.kill('SIGKILL');
  }
}
