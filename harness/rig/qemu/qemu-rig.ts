// A board emulated by QEMU. The disk image file is the SD card, QMP is the power switch and the
// network cable, the console is a pty read through serialport, SSH goes through user-net hostfwd.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
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
import type { NetworkLink, PowerSwitch, Rig } from '../rig.ts';
import { qemuBoardFor } from './boards.ts';
import type { QemuBoard } from './boards/board.ts';
import { QmpClient } from './qmp.ts';

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
  private qemu?: RunningQemu;
  private sshPort = 0;
  private flashed = false;
  private readonly diskPath: string;
  private readonly board: QemuBoard;
  /** A relaunch after a guest reset in progress; power actions wait for it. */
  private relaunching?: Promise<void>;

  constructor(readonly config: QemuRigConfig, private readonly workDir: string) {
    this.console = new SerialConsole(config.name);
    this.board = qemuBoardFor(config.deviceType);
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
  }

  get deviceType(): string {
    return this.config.deviceType;
  }

  /**
   * Writes the image to the SD card: a copy-on-write overlay over the (read-only) built image, so a
   * flash takes milliseconds and never touches the cache.
   */
  async flash(imagePath: string): Promise<void> {
    if (!(await fileExists(imagePath))) throw new InfraError(`Cannot flash ${imagePath}: no such image. Run \`npm run images\`.`);
    await this.stopQemu();
    await mkdir(this.workDir, { recursive: true });
    await rm(this.diskPath, { force: true });
    await $`qemu-img create -q -f qcow2 -F raw -b ${path.resolve(imagePath)} ${this.diskPath}`;
    this.flashed = true;
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

  private async startQemu(attempt = 1): Promise<void> {
    await mkdir(this.workDir, { recursive: true });
    const qmpPath = path.join(this.workDir, 'qmp.sock');
    await rm(qmpPath, { force: true });
    this.sshPort = await freeLoopbackPort();
    const launch = await this.board.launch({ diskPath: this.diskPath, sshPort: this.sshPort, qmpPath, memoryMiB: this.config.memoryMiB, workDir: this.workDir });
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
      if (attempt < 3 && /hostfwd|host forwarding/i.test(running.stderr.join(''))) return this.startQemu(attempt + 1);
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
