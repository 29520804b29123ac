// A real board on a lab bench: its console (a serial adapter or a ser2net port), its power (relay
// commands or a pdudaemon outlet), its SD card behind a mux and written block by block, and its
// address (fixed, or read on the console). With `virtualBench`, the same code drives a QEMU board
// through those same interfaces (virtual/virtual-lab.ts).
import { readFileSync } from 'node:fs';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { cacheDir } from '../../../images/lib/cache.ts';
import { deviceKeyPath } from '../../../images/lib/keys.ts';
import { SerialConsole } from '../../console/serial-console.ts';
import { openSerialTransport, type ConsoleTransport } from '../../console/transport.ts';
import { InfraError } from '../../errors.ts';
import type { SshEndpoint } from '../../ssh/ssh-client.ts';
import { waitFor } from '../../wait.ts';
import type { BenchRigConfig } from '../rig-config.ts';
import { PowerOwner } from '../power-owner.ts';
import type { NetworkLink, PowerSwitch, Rig } from '../rig.ts';
import type { BenchWiring, ConsoleWiring, PowerWiring } from './bench-config.ts';
import { checkFlashTarget } from './flash-target.ts';
import { runLabCommand } from './host-command.ts';
import { commandPower } from './power/command-power.ts';
import { pdudaemonPower } from './power/pdudaemon-power.ts';
import type { PowerBackend } from './power/power-backend.ts';
import { sdMuxFor } from './sd-mux.ts';
import { writeSparseImage, type FlashReport } from './sparse-writer.ts';
import { tcpSerialTransport } from './tcp-serial-transport.ts';
import { startVirtualLab, type StartedVirtualLab } from './virtual/virtual-lab.ts';

export class BenchRig implements Rig {
  readonly console: SerialConsole;
  readonly power: PowerSwitch;
  readonly network: NetworkLink;
  /** What the last flash wrote and verified. */
  lastFlash?: FlashReport;
  private wiring?: BenchWiring;
  private powerBackend?: PowerBackend;
  private lab?: StartedVirtualLab;
  private starting?: Promise<void>;
  private consoleAddress?: string;
  /** Power actions, flashing and disposal run one at a time, in the order asked. */
  private readonly owner: PowerOwner;

  constructor(
    readonly config: BenchRigConfig,
    private readonly workDir: string,
  ) {
    this.console = new SerialConsole(config.name);
    this.owner = new PowerOwner(this.console);
    this.power = {
      on: () => this.owner.transition('power on', () => this.powerOn()),
      off: () => this.owner.transition('power off', () => this.powerOff('off')),
      cut: () => this.owner.transition('power cut', () => this.powerOff('cut')),
    };
    this.network = {
      up: () => this.setLink('up'),
      down: () => this.setLink('down'),
    };
  }

  get deviceType(): string {
    return this.config.deviceType;
  }

  /** The virtual bench, when this rig is one (started on first use). */
  get virtualLab(): StartedVirtualLab | undefined {
    return this.lab;
  }

  /** Starts the virtual bench (if any) and connects the console. Every action starts with it. */
  start(): Promise<void> {
    this.starting ??= this.connect();
    return this.starting;
  }

  /**
   * Writes the image to the SD card: power off, mux to the host, only the image's mapped ranges
   * written to the configured card and read back against their checksums, mux back to the board.
   */
  async flash(imagePath: string): Promise<void> {
    if (
      !(await stat(imagePath).then(
        (s) => s.isFile(),
        () => false,
      ))
    )
      throw new InfraError(`Cannot flash ${imagePath}: no such image. Run \`npm run images\`.`);
    await this.owner.transition('flash', () => this.writeCard(imagePath));
  }

  private async writeCard(imagePath: string): Promise<void> {
    await this.start();
    const sdMux = this.requireWiring().sdMux;
    const mux = sdMuxFor(sdMux);
    await this.powerOff('off');
    await mux.toHost();
    try {
      await waitFor(
        async () =>
          (await stat(sdMux.device).then(
            () => true,
            () => false,
          )) || undefined,
        {
          timeoutMs: sdMux.switchTimeoutSeconds * 1000,
          what: `SD card ${sdMux.device} to appear on the lab host after switching ${mux.description} to the host`,
          details: () =>
            "Check the mux's USB cable and that sdMux.device is the card's path (`ls -l /dev/disk/by-id/` while switched to the host).",
        },
      );
      const target = await checkFlashTarget(sdMux.device, { allowCardImageFile: Boolean(this.lab) });
      this.lastFlash = await writeSparseImage(imagePath, target, (line) => this.console.note(`flash: ${line}`));
    } finally {
      await mux.toBoard();
    }
  }

  sshEndpoint(): SshEndpoint {
    const address = this.requireWiring().address;
    if ('fixed' in address)
      return { host: address.fixed, port: address.sshPort, username: 'root', privateKeyPath: deviceKeyPath };
    // Note: reading the console here is impossible (this is synchronous and a test may be using the
    // console), so a board's address is the one last read on its console, by this run or an earlier
    // one (`hupbench check`), kept in .cache/rigs/<rig>.address.json.
    this.consoleAddress ??= this.rememberedAddress();
    if (!this.consoleAddress) {
      throw new InfraError(
        `${this.config.name} reads its address from the console (address.fromConsole: ${address.fromConsole}) and it has not been read yet: run \`hupbench check --rig ${this.config.name}\` once (or call resolveAddress() after boot), or give address.fixed in the rig file.`,
      );
    }
    return { host: this.consoleAddress, port: address.sshPort, username: 'root', privateKeyPath: deviceKeyPath };
  }

  /**
   * The board's address: the fixed one, or read on the console (login, `ip -4 -o addr show dev
   * <interface>`). The board must be up to its login prompt or shell.
   */
  async resolveAddress(opts: { timeoutMs?: number } = {}): Promise<string> {
    const address = this.requireWiring().address;
    if ('fixed' in address) return address.fixed;
    const timeoutMs = opts.timeoutMs ?? 30_000;
    await this.console.login({ timeoutMs });
    const shown = await this.console.run(`ip -4 -o addr show dev ${address.fromConsole}`, { timeoutMs });
    const found = parseIpv4Address(shown.stdout);
    if (shown.exitCode !== 0 || !found) {
      throw new InfraError(
        `${this.config.name}: no IPv4 address on ${address.fromConsole} (\`${shown.command}\` exited ${shown.exitCode}):\n${shown.stdout.trim() || '(no output)'}\nIs the Ethernet cable in and DHCP answering? Is address.fromConsole the board's interface?`,
      );
    }
    this.consoleAddress = found;
    await mkdir(path.dirname(this.addressFile), { recursive: true });
    await writeFile(
      this.addressFile,
      `${JSON.stringify({ address: found, interface: address.fromConsole, readAt: new Date().toISOString() })}\n`,
    );
    return found;
  }

  private get addressFile(): string {
    return path.join(cacheDir, 'rigs', `${this.config.name}.address.json`);
  }

  private rememberedAddress(): string | undefined {
    try {
      return (JSON.parse(readFileSync(this.addressFile, 'utf8')) as { address?: string }).address;
    } catch {
      return undefined;
    }
  }

  /**
   * Where the board's power stands, for an error report: the power state as the rig believes it and
   * its last transition, the relay, the virtual lab's QEMU when there is one, the console line.
   */
  powerReport(): string {
    const parts = [
      `${this.config.name}: ${this.owner.describe()}`,
      this.powerBackend ? `power through ${this.powerBackend.description}` : 'bench not started',
    ];
    const qemu = this.lab?.processes.find((p) => p.name === 'QEMU');
    if (qemu)
      parts.push(
        `virtual lab QEMU pid ${qemu.pid} ${qemu.exited ? `exited (${qemu.exitStatus})` : 'running'}, its relay ${labRelayState(this.lab!.dir)}`,
      );
    parts.push(this.console.linkReport());
    return parts.join('; ');
  }

  async dispose(): Promise<void> {
    // Note: a board is left unpowered after a run; a failing power-off must not keep the lab up.
    if (this.starting) {
      await this.owner.transition('power off at the end of the run', () => this.powerOff('off')).catch(() => undefined);
    }
    await this.console.detach();
    await this.lab?.stop();
    await rm(this.workDir, { recursive: true, force: true });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  private async connect(): Promise<void> {
    if (this.config.virtualBench) {
      this.lab = await startVirtualLab({
        deviceType: this.config.deviceType,
        ...this.config.virtualBench,
        dir: path.join(this.workDir, 'virtual-lab'),
      });
      this.wiring = this.lab.wiring;
    } else {
      this.wiring = {
        console: this.config.console!,
        power: this.config.power!,
        sdMux: this.config.sdMux!,
        address: this.config.address!,
        network: this.config.network,
      };
    }
    this.powerBackend = powerBackendFor(this.wiring.power);
    this.console.attach(await openConsole(this.wiring.console));
    this.console.note(`console ${describeConsole(this.wiring.console)}; power ${this.powerBackend.description}`);
  }

  private async powerOn(): Promise<void> {
    await this.start();
    // Note: marked before the relay switches, so the recording's clock starts before the first byte.
    this.console.markPowerOn();
    await this.powerBackend!.on();
    this.checkLabRelay('on');
    this.owner.set('on');
  }

  private async powerOff(how: 'off' | 'cut'): Promise<void> {
    await this.start();
    await this.powerBackend!.off();
    this.checkLabRelay('off');
    this.owner.set('off');
    this.console.markPowerOff(how);
  }

  /**
   * On the virtual bench, that the relay really switched. Note: pdudaemon answers 200 even when its
   * driver's command failed (localcmdline ignores the exit code), so a refused switch would pass
   * for a done one; the lab's script records the state it reached.
   */
  private checkLabRelay(expected: 'on' | 'off'): void {
    if (!this.lab) return;
    const state = labRelayState(this.lab.dir);
    if (state !== expected) {
      throw new InfraError(
        `${this.config.name}: pdudaemon accepted power ${expected} but the virtual lab's relay is ${state}: its command failed (pdudaemon does not report that; see its log). ${this.powerReport()}`,
      );
    }
  }

  private async setLink(state: 'up' | 'down'): Promise<void> {
    await this.start();
    const network = this.requireWiring().network;
    if (!network)
      throw new InfraError(
        `${this.config.name} has no network switch: add \`network: { up: <command>, down: <command> }\` (e.g. a managed switch port or uhubctl for a USB Ethernet adapter) to its rig file.`,
      );
    await runLabCommand(network[state], `Network ${state}`, 30_000);
  }

  private requireWiring(): BenchWiring {
    if (!this.wiring) throw new InfraError(`${this.config.name} has not been started: power it on or flash it first`);
    return this.wiring;
  }
}

/** The virtual lab's relay as its script last left it (`on`, `off`). */
function labRelayState(dir: string): string {
  try {
    return readFileSync(path.join(dir, 'power'), 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

function powerBackendFor(power: PowerWiring): PowerBackend {
  return 'commands' in power ? commandPower(power.commands) : pdudaemonPower(power.pdudaemon);
}

function openConsole(wiring: ConsoleWiring): Promise<ConsoleTransport> {
  return 'serial' in wiring
    ? openSerialTransport(wiring.serial.path, wiring.serial.baud)
    : tcpSerialTransport(wiring.tcp);
}

function describeConsole(wiring: ConsoleWiring): string {
  return 'serial' in wiring
    ? `${wiring.serial.path} @ ${wiring.serial.baud}`
    : `${wiring.tcp.protocol}://${wiring.tcp.host}:${wiring.tcp.port}`;
}

/** The first IPv4 address in `ip -4 [-o] addr` output, e.g. "inet 192.168.1.23/24 …" → 192.168.1.23. */
export function parseIpv4Address(output: string): string | undefined {
  return /\binet (\d{1,3}(?:\.\d{1,3}){3})\//.exec(output)?.[1];
}
