// The device's OS as seen through SSH (or the serial console, for boards without a network).
import type { CommandResult } from '../command-result.ts';
import { requireOk } from '../command-result.ts';
import type { Rig } from '../rig/rig.ts';
import { DeviceSsh } from '../ssh/ssh-client.ts';
import { SshTraffic } from '../ssh/ssh-traffic.ts';
import { parseSnapshot, snapshotScript, type DeviceState } from './device-state.ts';

export class Device {
  private ssh?: DeviceSsh;
  /** Exec requests the device's SSH server refused (and that were retried), for the evidence. */
  readonly sshRefusals: string[] = [];
  /** The harness's SSH bytes to and from the device, over every connection (harness/ssh/ssh-traffic.ts). */
  readonly sshTraffic = new SshTraffic();

  constructor(readonly rig: Rig) {}

  /** Waits until the device answers on SSH; reconnects after a reboot. */
  async connect(timeoutMs = 60_000): Promise<void> {
    // Note: a rig may forward SSH on a new port after a power cycle, so ask it every time.
    await this.ssh?.close();
    this.ssh = new DeviceSsh(this.rig.sshEndpoint(), this.sshRefusals, this.sshTraffic);
    await this.ssh.waitReachable(timeoutMs, () => `Last console lines:\n${this.rig.console.tail(15)}`);
  }

  async exec(
    command: string,
    opts: { timeoutMs?: number; onStdout?: (chunk: string) => void } = {},
  ): Promise<CommandResult> {
    if (!this.ssh) await this.connect();
    return this.ssh!.exec(command, opts);
  }

  /** Runs a command that must succeed; its failure is an error naming the command and output. */
  async check(command: string, opts: { timeoutMs?: number } = {}): Promise<string> {
    return requireOk(await this.exec(command, opts), this.rig.config.name).stdout;
  }

  async put(localPath: string, remotePath: string, mode?: number): Promise<void> {
    if (!this.ssh) await this.connect();
    await this.ssh!.put(localPath, remotePath, mode);
  }

  async snapshot(): Promise<DeviceState> {
    return parseSnapshot(await this.check(snapshotScript));
  }

  async disconnect(): Promise<void> {
    await this.ssh?.close();
    this.ssh = undefined;
  }
}
