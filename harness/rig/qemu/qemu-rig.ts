// A board emulated by QEMU. The disk image file is the SD card, QMP is the power switch and the
// network cable, the console is a pty read through serialport, SSH goes through user-net hostfwd.
// Every power action and every guest reset the rig acts on is a transition of one PowerOwner: they
// run one at a time, in the order asked, so a cut can never land inside a relaunch.
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { $ } from 'zx';
import { SerialConsole } from '../../console/serial-console.ts';
import { openSerialTransport } from '../../console/transport.ts';
import { InfraError } from '../../errors.ts';
import type { SshEndpoint } from '../../ssh/ssh-client.ts';
import { deviceKeyPath } from '../../../images/lib/keys.ts';
import { freeLoopbackPort } from '../ports.ts';
import type { QemuRigConfig } from '../rig-config.ts';
import { PowerOwner } from '../power-owner.ts';
import type { LoginSnapshots, NetworkLink, PhaseSnapshots, PowerSwitch, Rig } from '../rig.ts';
import { qemuBoardFor } from './boards.ts';
import type { QemuBoard } from './boards/board.ts';
import { type RunningQemu, startQemuProcess, stopQemuProcess } from './qemu-process.ts';
import { onQemuEvent } from './guest-events.ts';
import { phaseSnapshotsOf } from './phase-snapshots.ts';
import { requireImage, resumeLoginSnapshot, saveRunningBoard } from './qemu-snapshot.ts';
import type { QemuRigParts } from './rig-parts.ts';

export class QemuRig implements Rig {
  readonly console: SerialConsole;
  readonly power: PowerSwitch;
  readonly network: NetworkLink;
  readonly snapshots?: LoginSnapshots;
  readonly phaseSnapshots?: PhaseSnapshots;
  private qemu?: RunningQemu;
  /** The last QEMU started, running or not: for powerReport(). */
  private lastQemu?: RunningQemu;
  /** Every QEMU this rig started: none may outlive dispose(). */
  private readonly launched = new Set<RunningQemu>();
  private sshPort = 0;
  private flashed = false;
  private disposed = false;
  private readonly diskPath: string;
  private readonly board: QemuBoard;
  private readonly owner: PowerOwner;

  /** `opts.board`: the QEMU board to run instead of the device type's (tests run a firmware-only board). */
  constructor(
    readonly config: QemuRigConfig,
    private readonly workDir: string,
    opts: { board?: QemuBoard } = {},
  ) {
    this.console = new SerialConsole(config.name);
    this.board = opts.board ?? qemuBoardFor(config.deviceType);
    this.owner = new PowerOwner(this.console);
    this.console.onBootEvent((event) => {
      const qemu = this.qemu;
      if (event.kind !== 'kernel' || !qemu || qemu.exited || qemu.kernelStarted || !this.board.onKernelStart) return;
      qemu.kernelStarted = true;
      this.board
        .onKernelStart(qemu.qmp)
        .catch((e: Error) => this.console.note(`board hook at kernel start failed: ${e.message}`));
    });
    this.diskPath = path.join(workDir, 'sd.qcow2');
    this.power = {
      on: () => this.owner.transition('power on', () => this.powerOn()),
      off: () => this.owner.transition('power off', () => this.powerOff('off')),
      cut: () => this.owner.transition('power cut', () => this.powerOff('cut')),
    };
    this.network = {
      up: () => this.owner.transition('network up', () => this.setLink(true)),
      down: () => this.owner.transition('network down', () => this.setLink(false)),
    };
    if (!this.board.notSnapshottable)
      this.snapshots = {
        resume: (image) =>
          this.owner.transition('resume login snapshot', () => resumeLoginSnapshot(this.parts(), image)),
        save: (image, bootMs) =>
          this.owner.transition('save login snapshot', () => saveRunningBoard(this.parts(), image, bootMs)),
      };
    if (!this.board.notSnapshottable) this.phaseSnapshots = phaseSnapshotsOf(this.parts());
  }

  get deviceType(): string {
    return this.config.deviceType;
  }

  /**
   * Writes the image to the SD card: a copy-on-write overlay over the (read-only) built image, so a
   * flash takes milliseconds and never touches the cache.
   */
  flash(imagePath: string): Promise<void> {
    return this.owner.transition('flash', () => this.writeCard(imagePath));
  }

  private async writeCard(imagePath: string): Promise<void> {
    await requireImage(imagePath);
    await this.newCard(path.resolve(imagePath), 'raw');
  }

  /** A fresh SD card: a qcow2 overlay over `backing` (the image, or a snapshot's frozen card). */
  private async newCard(backing: string, format: 'raw' | 'qcow2'): Promise<void> {
    if (this.qemu && !this.qemu.exited) this.console.note('power off: QEMU quit for a new SD card');
    await this.stopQemu();
    this.owner.set('off');
    await mkdir(this.workDir, { recursive: true });
    await rm(this.diskPath, { force: true });
    await $`qemu-img create -q -f qcow2 -F ${format} -b ${backing} ${this.diskPath}`;
    this.flashed = true;
  }

  /** The rig as its login snapshots and guest events (qemu-snapshot.ts, guest-events.ts) use it. */
  private parts(): QemuRigParts {
    return {
      config: this.config,
      board: this.board,
      diskPath: this.diskPath,
      console: this.console,
      owner: this.owner,
      running: () => this.qemu,
      disposed: () => this.disposed,
      newCard: (backing, format) => this.newCard(backing, format),
      writeCard: (imagePath) => this.writeCard(imagePath),
      start: (opts) => this.startQemu(1, opts),
      stop: () => this.stopQemu(),
      qemuLog: () => this.qemuLog(),
    };
  }

  sshEndpoint(): SshEndpoint {
    if (!this.sshPort) throw new InfraError(`${this.config.name} has not been powered on yet: no SSH port forwarded`);
    return { host: '127.0.0.1', port: this.sshPort, username: 'root', privateKeyPath: deviceKeyPath };
  }

  async dispose(): Promise<void> {
    // Note: after the transitions already asked for (a relaunch under way ends first), and none after.
    const stopped = this.owner.transition('dispose', async () => {
      this.disposed = true;
      await this.stopQemu();
      this.owner.set('off');
    });
    // A transition stuck on a QEMU that no longer answers must not keep the run from ending.
    const ended = await Promise.race([
      stopped.then(
        () => true,
        () => true,
      ),
      new Promise<false>((r) => setTimeout(() => r(false), 60_000).unref()),
    ]);
    this.disposed = true;
    if (!ended) this.console.note('dispose: a power transition did not end within 60 s; killing QEMU');
    for (const qemu of this.launched) if (!qemu.exited) qemu.process.kill('SIGKILL');
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

  /**
   * Where the board's power stands, for a wait that timed out: the power state as the rig believes
   * it and the last transition, the QEMU process (running or exited, its CPUs running or paused),
   * whether the console transport is attached and when its last byte arrived.
   */
  boardPid(): number | undefined {
    const q = this.qemu;
    return q && !q.exited ? q.process.pid : undefined;
  }

  powerReport(): string {
    const q = this.lastQemu;
    const qemu = !q
      ? 'no QEMU started yet'
      : q.exited
        ? `QEMU pid ${q.process.pid} exited (${q.exit ?? 'unknown'})${q.stopping ? ', quit by the rig' : ''}`
        : `QEMU pid ${q.process.pid} running, CPUs ${q.cpus}`;
    return `${this.config.name}: ${this.owner.describe()}; ${qemu}; ${this.console.linkReport()}`;
  }

  private async powerOn(): Promise<void> {
    if (!this.flashed) throw new InfraError(`${this.config.name}: flash an image before powering on`);
    if (this.board.relaunchOnEveryBoot) await this.stopQemu();
    if (this.qemu && !this.qemu.exited) {
      // Note: power off froze the CPU; a reset before continuing makes it a cold boot.
      await this.qemu.qmp.execute('system_reset');
    } else {
      await this.startQemu();
    }
    this.console.markPowerOn();
    await this.qemu!.qmp.execute('cont');
    this.owner.set('on');
  }

  private async powerOff(how: 'off' | 'cut'): Promise<void> {
    if (this.qemu && !this.qemu.exited) await this.qemu.qmp.execute('stop');
    this.owner.set('off');
    this.console.markPowerOff(this.qemu && !this.qemu.exited ? how : `${how} (QEMU had already exited)`);
  }

  private async setLink(up: boolean): Promise<void> {
    if (!this.qemu || this.qemu.exited)
      throw new InfraError(`${this.config.name}: cannot set the link while powered off`);
    await this.qemu.qmp.execute('set_link', { name: this.board.nicId, up });
  }

  private async startQemu(attempt = 1, opts: { incoming?: boolean } = {}): Promise<void> {
    if (this.disposed) throw new InfraError(`${this.config.name} has been disposed: no QEMU is started any more`);
    await mkdir(this.workDir, { recursive: true });
    const qmpPath = path.join(this.workDir, 'qmp.sock');
    await rm(qmpPath, { force: true });
    this.sshPort = await freeLoopbackPort();
    const launch = await this.board.launch({
      diskPath: this.diskPath,
      sshPort: this.sshPort,
      qmpPath,
      memoryMiB: this.config.memoryMiB,
      tcgThread: this.config.tcgThread,
      workDir: this.workDir,
    });
    // A resumed board starts waiting for its saved state (migrate-incoming), not from the firmware.
    if (opts.incoming) launch.args.push('-incoming', 'defer');
    const started = await startQemuProcess(
      this.config.name,
      launch,
      qmpPath,
      {
        spawned: (running) => {
          this.launched.add(running);
          this.lastQemu = running;
        },
        exited: (running) => {
          this.launched.delete(running);
          if (running.stopping) return;
          this.console.markPowerOff(`lost: QEMU exited (${running.exit})`);
          if (running === this.qemu) this.owner.set('off');
        },
        connected: (running) => {
          this.qemu = running;
        },
        event: (running, event, data) => onQemuEvent(this.parts(), running, event, data),
      },
      attempt < 3,
    );
    // Another process took the SSH port between our pick and QEMU's bind: another port, another QEMU.
    if ('portTaken' in started) return this.startQemu(attempt + 1, opts);
    await this.console.detach();
    this.console.attach(await openSerialTransport(started.pty));
  }

  private async stopQemu(): Promise<void> {
    const qemu = this.qemu;
    this.qemu = undefined;
    await stopQemuProcess(qemu);
  }
}
