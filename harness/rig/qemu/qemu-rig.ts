// A board emulated by QEMU. The disk image file is the SD card, QMP is the power switch and the
// network cable, the console is a pty read through serialport, SSH goes through user-net hostfwd.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { $ } from 'zx';
import { SerialConsole } from '../../console/serial-console.ts';
import { openSerialTransport } from '../../console/transport.ts';
import { InfraError } from '../../errors.ts';
import type { SshEndpoint } from '../../ssh/ssh-client.ts';
import { waitFor } from '../../wait.ts';
import { fileExists } from '../../../images/lib/cache.ts';
import { deviceKeyPath } from '../../../images/lib/keys.ts';
import { freeLoopbackPort } from '../ports.ts';
import type { QemuRigConfig } from '../rig-config.ts';
import type { LoginSnapshots, NetworkLink, PowerSwitch, Rig } from '../rig.ts';
import { qemuBoardFor } from './boards.ts';
import type { QemuBoard } from './boards/board.ts';
import { QmpClient } from './qmp.ts';
import { discardLoginSnapshot, findLoginSnapshot, saveLoginSnapshot } from './login-snapshot.ts';

interface RunningQemu {
  process: ChildProcess;
  qmp: QmpClient;
  stderr: string[];
  exited: boolean;
  kernelStarted: boolean;
}

export class QemuRig implements Rig {
  readonly console: SerialConsole;
  readonly power: PowerSwitch;
  readonly network: NetworkLink;
  readonly snapshots?: LoginSnapshots;
  private qemu?: RunningQemu;
  private sshPort = 0;
  private flashed = false;
  private readonly diskPath: string;
  private readonly board: QemuBoard;
  /** A relaunch after a guest reset in progress; power actions wait for it. */
  private relaunching?: Promise<void>;

  /** `opts.board`: the QEMU board to run instead of the device type's (tests run a firmware-only board). */
  constructor(readonly config: QemuRigConfig, private readonly workDir: string, opts: { board?: QemuBoard } = {}) {
    this.console = new SerialConsole(config.name);
    this.board = opts.board ?? qemuBoardFor(config.deviceType);
    this.console.onBootEvent((event) => {
      const qemu = this.qemu;
      if (event.kind !== 'kernel' || !qemu || qemu.exited || qemu.kernelStarted || !this.board.onKernelStart) return;
      qemu.kernelStarted = true;
      this.board.onKernelStart(qemu.qmp).catch((e: Error) => this.console.note(`board hook at kernel start failed: ${e.message}`));
    });
    this.diskPath = path.join(workDir, 'sd.qcow2');
    this.power = {
      on: () => this.powerOn(),
      off: () => this.powerOff('off'),
      cut: () => this.powerOff('cut'),
    };
    this.network = {
      up: () => this.setLink(true),
      down: () => this.setLink(false),
    };
    if (!this.board.notSnapshottable) this.snapshots = {
      resume: (image) => this.resumeLoginSnapshot(image),
      save: (image, bootMs) => this.saveLoginSnapshot(image, bootMs),
    };
  }

  get deviceType(): string {
    return this.config.deviceType;
  }

  /**
   * Writes the image to the SD card: a copy-on-write overlay over the (read-only) built image, so a
   * flash takes milliseconds and never touches the cache.
   */
  async flash(imagePath: string): Promise<void> {
    await requireImage(imagePath);
    await this.newCard(path.resolve(imagePath), 'raw');
  }

  /** A fresh SD card: a qcow2 overlay over `backing` (the image, or a snapshot's frozen card). */
  private async newCard(backing: string, format: 'raw' | 'qcow2'): Promise<void> {
    await this.stopQemu();
    await mkdir(this.workDir, { recursive: true });
    await rm(this.diskPath, { force: true });
    await $`qemu-img create -q -f qcow2 -F ${format} -b ${backing} ${this.diskPath}`;
    this.flashed = true;
  }

  private async resumeLoginSnapshot(imagePath: string): Promise<boolean> {
    await requireImage(imagePath);
    const snapshot = await findLoginSnapshot(this.config, imagePath, this.board.binary);
    if (!snapshot) return false;
    await this.newCard(snapshot.disk, 'qcow2');
    try {
      await this.startQemu(1, { incoming: true });
      const qemu = this.qemu!;
      // Devices the saved board had gained at kernel start must exist before its state loads.
      if (this.board.onKernelStart) {
        await this.board.onKernelStart(qemu.qmp);
        qemu.kernelStarted = true;
      }
      this.console.markPowerOn();
      this.console.note(`resumed at the login prompt from snapshot ${snapshot.key} (a real boot of ${path.basename(imagePath)} saved ${snapshot.meta.savedAt})`);
      await qemu.qmp.execute('migrate-incoming', { uri: `exec:cat ${shellQuote(snapshot.state)}` });
      // Note: waitFor retries a probe that throws, so an end state is returned and judged after it.
      const loaded = await waitFor(async () => {
        if (qemu.exited) return 'QEMU exited';
        const { status } = await qemu.qmp.execute<{ status: string }>('query-status');
        return status === 'inmigrate' ? undefined : status;
      }, { timeoutMs: 60_000, what: `QEMU loading login snapshot ${snapshot.state}`, details: () => this.qemuLog() });
      if (loaded !== 'paused') throw new InfraError(`${loaded} while loading the snapshot: ${this.qemuLog().trim().split('\n').at(-1) ?? ''}`);
      await qemu.qmp.execute('cont');
      return true;
    } catch (error) {
      // A snapshot that no longer loads is dropped; the caller boots for real (and saves a new one).
      this.console.note(`login snapshot ${snapshot.key} did not load (${(error as Error).message.split('\n')[0]}): discarded, booting for real`);
      await this.stopQemu();
      await discardLoginSnapshot(snapshot);
      await this.flash(imagePath);
      return false;
    }
  }

  private async saveLoginSnapshot(imagePath: string, bootMs: number): Promise<void> {
    const qemu = this.qemu;
    if (!qemu || qemu.exited) throw new InfraError(`${this.config.name}: no running board to save`);
    // The guest is paused for the save: a second or two, like a slow console, nothing it can see.
    await qemu.qmp.execute('stop');
    try {
      await saveLoginSnapshot(this.config, imagePath, this.board.binary, bootMs, async ({ disk, state }) => {
        // QEMU's default migration speed limit (32 MiB/s) would make this take several seconds.
        await qemu.qmp.execute('migrate-set-parameters', { 'max-bandwidth': 16 * 1024 ** 3 });
        await qemu.qmp.execute('migrate', { uri: `exec:cat > ${shellQuote(state)}` });
        const info = await waitFor(async () => {
          if (qemu.exited) return { status: 'failed', 'error-desc': 'QEMU exited' };
          const info = await qemu.qmp.execute<{ status?: string; 'error-desc'?: string }>('query-migrate');
          return info.status === 'completed' || info.status === 'failed' ? info : undefined;
        }, { timeoutMs: 60_000, what: `QEMU writing the login snapshot to ${state}` });
        if (info.status === 'failed') throw new InfraError(`saving the login snapshot failed: ${info['error-desc'] ?? 'no reason given'}`);
        // The migration flushed the card: its overlay is frozen as the snapshot's card.
        await copyFile(this.diskPath, disk);
      });
    } finally {
      if (!qemu.exited) await qemu.qmp.execute('cont');
    }
  }

  sshEndpoint(): SshEndpoint {
    if (!this.sshPort) throw new InfraError(`${this.config.name} has not been powered on yet: no SSH port forwarded`);
    return { host: '127.0.0.1', port: this.sshPort, username: 'root', privateKeyPath: deviceKeyPath };
  }

  async dispose(): Promise<void> {
    await this.stopQemu();
    await this.console.detach();
    await rm(this.workDir, { recursive: true, force: true });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  /** QEMU's own stderr, for infrastructure error reports. */
  qemuLog(): string {
    return this.qemu?.stderr.join('') ?? '';
  }

  private async powerOn(): Promise<void> {
    if (!this.flashed) throw new InfraError(`${this.config.name}: flash an image before powering on`);
    await this.relaunching;
    if (this.board.relaunchOnEveryBoot) await this.stopQemu();
    if (this.qemu && !this.qemu.exited) {
      // Note: power off froze the CPU; a reset before continuing makes it a cold boot.
      await this.qemu.qmp.execute('system_reset');
    } else {
      await this.startQemu();
    }
    this.console.markPowerOn();
    await this.qemu!.qmp.execute('cont');
  }

  private async powerOff(how: 'off' | 'cut'): Promise<void> {
    await this.relaunching;
    if (!this.qemu || this.qemu.exited) return;
    await this.qemu.qmp.execute('stop');
    this.console.markPowerOff(how);
  }

  private async setLink(up: boolean): Promise<void> {
    if (!this.qemu || this.qemu.exited) throw new InfraError(`${this.config.name}: cannot set the link while powered off`);
    await this.qemu.qmp.execute('set_link', { name: this.board.nicId, up });
  }

  private async startQemu(attempt = 1, opts: { incoming?: boolean } = {}): Promise<void> {
    await mkdir(this.workDir, { recursive: true });
    const qmpPath = path.join(this.workDir, 'qmp.sock');
    await rm(qmpPath, { force: true });
    this.sshPort = await freeLoopbackPort();
    const launch = await this.board.launch({ diskPath: this.diskPath, sshPort: this.sshPort, qmpPath, memoryMiB: this.config.memoryMiB, workDir: this.workDir });
    // A resumed board starts waiting for its saved state (migrate-incoming), not from the firmware.
    if (opts.incoming) launch.args.push('-incoming', 'defer');
    // Note: setpriv --pdeathsig makes the kernel kill QEMU when this worker dies, even by SIGKILL,
    // so no board outlives the test run that started it.
    const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', launch.binary, ...launch.args], { stdio: ['ignore', 'ignore', 'pipe'] });
    const running: RunningQemu = { process: child, qmp: undefined as unknown as QmpClient, stderr: [], exited: false, kernelStarted: false };
    child.stderr!.on('data', (d: Buffer) => running.stderr.push(d.toString()));
    child.on('exit', (code, signal) => {
      running.exited = true;
      this.console.markPowerOff(`lost: QEMU exited (${signal ?? `code ${code}`})`);
    });
    const describe = () => `QEMU stderr:\n${running.stderr.join('').trim() || '(empty)'}\nCommand: ${launch.binary} ${launch.args.join(' ')}`;
    try {
      await waitFor(async () => (running.exited ? Promise.reject(new Error('QEMU exited')) : (await fileExists(qmpPath)) || undefined), {
        timeoutMs: 15_000, what: `QEMU QMP socket ${qmpPath}`, details: describe,
      });
    } catch (error) {
      if (attempt < 3 && /hostfwd|host forwarding/i.test(running.stderr.join(''))) return this.startQemu(attempt + 1, opts);
      child.kill('SIGKILL');
      throw new InfraError(`${this.config.name}: QEMU did not start.\n${describe()}`, { cause: error });
    }
    running.qmp = await QmpClient.connect(qmpPath);
    running.qmp.onEvent((event, data) => {
      if (event !== 'SHUTDOWN' || !data.guest) return;
      if (data.reason === 'guest-reset') this.relaunching = this.relaunchAfterGuestReset().finally(() => (this.relaunching = undefined));
      else this.console.markPowerOff('halted by the OS');
    });
    this.qemu = running;
    const chardevs = await running.qmp.execute<Array<{ label: string; filename: string }>>('query-chardev');
    const pty = chardevs.find((c) => c.label === 'console0')?.filename.replace(/^pty:/, '');
    if (!pty) throw new InfraError(`${this.config.name}: QEMU did not report the console pty. ${describe()}`);
    await this.console.detach();
    this.console.attach(await openSerialTransport(pty));
  }

  /**
   * Boards that relaunch on every boot run with -no-reboot: a guest reset pauses QEMU here. A reset
   * after `reboot: Power down` is a board that cannot power off (it stays off); any other one is a
   * reboot, done by a new QEMU process whose console is attached to the same recording.
   */
  private async relaunchAfterGuestReset(): Promise<void> {
    const lastRequest = this.console.bootEvents.events.findLast((e) => e.kind === 'restart' || e.kind === 'halt');
    if (lastRequest?.kind === 'halt' && lastRequest.atMs > (this.console.powerOnTimes().at(-1) ?? 0)) {
      await this.qemu?.qmp.execute('stop').catch(() => undefined);
      this.console.markPowerOff('halted by the OS');
      return;
    }
    this.console.note('board reset: relaunching QEMU');
    await this.stopQemu();
    await this.startQemu();
    await this.qemu!.qmp.execute('cont');
  }

  private async stopQemu(): Promise<void> {
    const qemu = this.qemu;
    this.qemu = undefined;
    if (!qemu || qemu.exited) return;
    await qemu.qmp.execute('quit').catch(() => undefined);
    qemu.qmp.close();
    try {
      await waitFor(async () => (qemu.exited ? true : undefined), { timeoutMs: 5000, what: 'QEMU to exit after quit' });
    } catch {
      qemu.process.kill('SIGKILL');
    }
  }
}

async function requireImage(imagePath: string): Promise<void> {
  if (!(await fileExists(imagePath))) throw new InfraError(`Cannot flash ${imagePath}: no such image. Run \`npm run images\`.`);
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
