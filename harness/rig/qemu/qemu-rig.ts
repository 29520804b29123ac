// A board emulated by QEMU. The disk image file is the SD card, QMP is the power switch and the
// network cable, the console is a pty read through serialport, SSH goes through user-net hostfwd.
// Every power action and every guest reset the rig acts on is a transition of one PowerOwner: they
// run one at a time, in the order asked, so a cut can never land inside a relaunch.
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
import { PowerOwner } from '../power-owner.ts';
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
  /** How it exited: `code 0`, `SIGKILL`. */
  exit?: string;
  /** The rig quit it on purpose (a relaunch, a new card, the end of the run): not a power loss. */
  stopping: boolean;
  kernelStarted: boolean;
  /** Whether its CPUs run, from QEMU's own STOP/RESUME events. */
  cpus: 'paused' | 'running';
}

export class QemuRig implements Rig {
  readonly console: SerialConsole;
  readonly power: PowerSwitch;
  readonly network: NetworkLink;
  readonly snapshots?: LoginSnapshots;
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
        resume: (image) => this.owner.transition('resume login snapshot', () => this.resumeLoginSnapshot(image)),
        save: (image, bootMs) =>
          this.owner.transition('save login snapshot', () => this.saveLoginSnapshot(image, bootMs)),
      };
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
      this.owner.set('on');
      this.console.note(
        `resumed at the login prompt from snapshot ${snapshot.key} (a real boot of ${path.basename(imagePath)} saved ${snapshot.meta.savedAt})`,
      );
      await qemu.qmp.execute('migrate-incoming', { uri: `exec:cat ${shellQuote(snapshot.state)}` });
      // Note: waitFor retries a probe that throws, so an end state is returned and judged after it.
      const loaded = await waitFor(
        async () => {
          if (qemu.exited) return 'QEMU exited';
          const { status } = await qemu.qmp.execute<{ status: string }>('query-status');
          return status === 'inmigrate' ? undefined : status;
        },
        { timeoutMs: 60_000, what: `QEMU loading login snapshot ${snapshot.state}`, details: () => this.qemuLog() },
      );
      if (loaded !== 'paused')
        throw new InfraError(`${loaded} while loading the snapshot: ${this.qemuLog().trim().split('\n').at(-1) ?? ''}`);
      await qemu.qmp.execute('cont');
      return true;
    } catch (error) {
      // A snapshot that no longer loads is dropped; the caller boots for real (and saves a new one).
      this.console.note(
        `login snapshot ${snapshot.key} did not load (${(error as Error).message.split('\n')[0]}): discarded, booting for real`,
      );
      await this.stopQemu();
      this.owner.set('off');
      await discardLoginSnapshot(snapshot);
      await this.writeCard(imagePath);
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
        const info = await waitFor(
          async () => {
            if (qemu.exited) return { status: 'failed', 'error-desc': 'QEMU exited' };
            const info = await qemu.qmp.execute<{ status?: string; 'error-desc'?: string }>('query-migrate');
            return info.status === 'completed' || info.status === 'failed' ? info : undefined;
          },
          { timeoutMs: 60_000, what: `QEMU writing the login snapshot to ${state}` },
        );
        if (info.status === 'failed')
          throw new InfraError(`saving the login snapshot failed: ${info['error-desc'] ?? 'no reason given'}`);
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
      workDir: this.workDir,
    });
    // A resumed board starts waiting for its saved state (migrate-incoming), not from the firmware.
    if (opts.incoming) launch.args.push('-incoming', 'defer');
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
    this.launched.add(running);
    this.lastQemu = running;
    child.stderr!.on('data', (d: Buffer) => running.stderr.push(d.toString()));
    child.on('exit', (code, signal) => {
      running.exited = true;
      running.exit = signal ?? `code ${code}`;
      this.launched.delete(running);
      if (running.stopping) return;
      this.console.markPowerOff(`lost: QEMU exited (${running.exit})`);
      if (running === this.qemu) this.owner.set('off');
    });
    const whatQemuSaid = () =>
      `QEMU stderr:\n${running.stderr.join('').trim() || '(empty)'}\nCommand: ${launch.binary} ${launch.args.join(' ')}`;
    try {
      await waitFor(
        async () =>
          running.exited ? Promise.reject(new Error('QEMU exited')) : (await fileExists(qmpPath)) || undefined,
        {
          timeoutMs: 15_000,
          what: `QEMU QMP socket ${qmpPath}`,
          details: whatQemuSaid,
        },
      );
    } catch (error) {
      running.stopping = true; // a start that failed, reported as such: not a power loss
      child.kill('SIGKILL');
      if (attempt < 3 && /hostfwd|host forwarding/i.test(running.stderr.join('')))
        return this.startQemu(attempt + 1, opts);
      throw new InfraError(`${this.config.name}: QEMU did not start.\n${whatQemuSaid()}`, { cause: error });
    }
    try {
      running.qmp = await QmpClient.connect(qmpPath);
    } catch (error) {
      running.stopping = true;
      child.kill('SIGKILL');
      throw new InfraError(`${this.config.name}: cannot connect to QEMU's QMP socket ${qmpPath}.\n${whatQemuSaid()}`, {
        cause: error,
      });
    }
    running.qmp.onEvent((event, data) => this.onQemuEvent(running, event, data));
    this.qemu = running;
    const chardevs = await running.qmp.execute<Array<{ label: string; filename: string }>>('query-chardev');
    const pty = chardevs.find((c) => c.label === 'console0')?.filename.replace(/^pty:/, '');
    if (!pty) throw new InfraError(`${this.config.name}: QEMU did not report the console pty. ${whatQemuSaid()}`);
    await this.console.detach();
    this.console.attach(await openSerialTransport(pty));
  }

  /**
   * QEMU's events, from the process that sent them. A guest reset or halt the rig must act on is a
   * transition queued behind whatever power action was asked for first.
   */
  private onQemuEvent(from: RunningQemu, event: string, data: Record<string, unknown>): void {
    if (event === 'STOP') from.cpus = 'paused';
    else if (event === 'RESUME') from.cpus = 'running';
    // Note: a board without -no-reboot is reset by QEMU in place; only noted, for the recording.
    else if (event === 'RESET' && data.guest) this.console.note('the OS reset the board (QEMU resets it in place)');
    else if (event === 'SHUTDOWN' && data.guest) {
      const what = data.reason === 'guest-reset' ? 'board reset' : 'halt by the OS';
      this.owner
        .transition(what, () =>
          data.reason === 'guest-reset' ? this.afterGuestReset(from) : this.afterGuestHalt(from),
        )
        .catch(() => undefined);
    }
  }

  /** True when `from` is still the board's QEMU and powered: otherwise its event is noted and dropped. */
  private stillPowered(from: RunningQemu, what: string): boolean {
    if (this.disposed) {
      this.owner.outcome('ignored: the rig is disposed');
      return false;
    }
    if (from !== this.qemu || from.exited) {
      this.owner.outcome('ignored: from a QEMU since stopped');
      this.console.note(`${what} from a QEMU the rig has since stopped: ignored`);
      return false;
    }
    if (this.owner.state === 'off') {
      // The power was cut while the board was resetting (its event arrived after the cut).
      this.owner.outcome('ignored: the power was off');
      this.console.note(`${what} while the power is off: ignored, the board stays off until it is powered on`);
      return false;
    }
    return true;
  }

  private async afterGuestHalt(from: RunningQemu): Promise<void> {
    if (!this.stillPowered(from, 'halt')) return;
    this.owner.set('off');
    this.console.markPowerOff('halted by the OS');
  }

  /**
   * Boards that relaunch on every boot run with -no-reboot: a guest reset pauses QEMU here. A reset
   * after `reboot: Power down` is a board that cannot power off (it stays off); any other one is a
   * reboot, done by a new QEMU process whose console is attached to the same recording.
   */
  private async afterGuestReset(from: RunningQemu): Promise<void> {
    if (!this.stillPowered(from, 'guest reset')) return;
    const lastRequest = this.console.bootEvents.events.findLast((e) => e.kind === 'restart' || e.kind === 'halt');
    if (lastRequest?.kind === 'halt' && lastRequest.atMs > (this.console.powerOnTimes().at(-1) ?? 0)) {
      await from.qmp.execute('stop').catch(() => undefined);
      this.owner.set('off');
      this.console.markPowerOff('halted by the OS');
      return;
    }
    this.console.note('board reset: relaunching QEMU');
    await this.stopQemu();
    await this.startQemu();
    await this.qemu!.qmp.execute('cont');
    this.console.note(`relaunched: QEMU pid ${this.qemu!.process.pid} running`);
  }

  private async stopQemu(): Promise<void> {
    const qemu = this.qemu;
    this.qemu = undefined;
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
}

async function requireImage(imagePath: string): Promise<void> {
  if (!(await fileExists(imagePath)))
    throw new InfraError(`Cannot flash ${imagePath}: no such image. Run \`npm run images\`.`);
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
