// SSH to the device with ssh2: exec with exit codes, SFTP upload, and reconnect across reboots.
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { Client, type ClientChannel, type ConnectConfig } from 'ssh2';
import type { CommandResult } from '../command-result.ts';
import { InfraError } from '../errors.ts';
import { waitFor } from '../wait.ts';
import { SshTraffic } from './ssh-traffic.ts';

export interface SshEndpoint {
  host: string;
  port: number;
  username: string;
  privateKeyPath: string;
}

/** How long a refused exec whose connection then closed waits to connect again. */
const RECONNECT_AFTER_REFUSAL_MS = 30_000;

class ExecRefused extends InfraError {
  override name = 'ExecRefused';
}

export class DeviceSsh {
  private client?: Client;

  /**
   * `refusals` collects the exec requests the server refused; each was retried. `traffic` counts the
   * bytes of every connection made (pass one to keep counting across reconnects).
   */
  constructor(
    readonly endpoint: SshEndpoint,
    readonly refusals: string[] = [],
    readonly traffic = new SshTraffic(),
  ) {}

  get where(): string {
    return `${this.endpoint.username}@${this.endpoint.host}:${this.endpoint.port}`;
  }

  /** Connects, retrying with backoff until the device answers or the timeout runs out. */
  async waitReachable(timeoutMs: number, details?: () => string): Promise<void> {
    await this.close();
    this.client = await waitFor(() => this.connectOnce(), {
      timeoutMs,
      what: `SSH on ${this.where}`,
      details,
      intervalMs: 250,
    });
  }

  async exec(
    command: string,
    opts: { timeoutMs?: number; onStdout?: (chunk: string) => void } = {},
  ): Promise<CommandResult> {
    // Note: the reference OS's dropbear now and then refuses an exec request ("Unable to exec") on a
    // healthy connection. The command has been seen to run all the same, so a command that must not
    // run twice guards itself (see updater/detached-run.ts); reads and idempotent commands are fine.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.execOnce(command, opts);
      } catch (error) {
        if (!(error instanceof ExecRefused) || attempt === 3) throw error;
        this.refusals.push(`${new Date().toISOString()} ${command.slice(0, 80)}`);
        await new Promise((r) => setTimeout(r, 200 * attempt));
        // Note: dropbear's session process has been seen to die right after such a refusal (a failed
        // assertion, common-channel.c `!channel->sent_close`), taking the connection with it: the
        // device is fine, so connect again before the next attempt.
        if (!this.client) {
          this.refusals.push(`${new Date().toISOString()} the connection closed after the refusal; connecting again`);
          await this.waitReachable(RECONNECT_AFTER_REFUSAL_MS);
        }
      }
    }
  }

  private execOnce(
    command: string,
    opts: { timeoutMs?: number; onStdout?: (chunk: string) => void },
  ): Promise<CommandResult> {
    const client = this.requireClient();
    const started = Date.now();
    const timeoutMs = opts.timeoutMs ?? 60_000;
    return new Promise((resolve, reject) => {
      let stdout = '';
      let stderr = '';
      let stream: ClientChannel | undefined;
      let settled = false;
      const settle = (finish: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        client.off('close', onConnectionClose);
        finish();
      };
      // The timeout covers the channel's opening too: a connection that died as the device rebooted
      // never answers the request (stop 37: a rollback's reboot left an exec waiting 30 minutes).
      const timer = setTimeout(() => {
        stream?.close();
        settle(() =>
          reject(
            new InfraError(
              `\`${command}\` did not finish on ${this.where} within ${timeoutMs}ms${stream ? '' : ' (no channel opened)'}. Output so far:\n${stdout.slice(-2000)}`,
            ),
          ),
        );
      }, timeoutMs);
      // The connection closed before the command had a channel: it did not run, or its end is unknown.
      const onConnectionClose = () => {
        if (!stream)
          settle(() =>
            reject(
              new InfraError(`SSH to ${this.where} closed before \`${command.slice(0, 80)}\` started (a reboot?)`),
            ),
          );
      };
      client.on('close', onConnectionClose);
      // Note: a connection that is closing makes exec throw ("Not connected") instead of calling back.
      const exec = (cb: Parameters<Client['exec']>[1]) => {
        try {
          client.exec(command, cb);
        } catch (error) {
          settle(() => reject(new ExecRefused(`SSH exec on ${this.where} failed: ${(error as Error).message}`)));
        }
      };
      exec((err, opened) => {
        if (err) return settle(() => reject(new ExecRefused(`SSH exec on ${this.where} failed: ${err.message}`)));
        if (settled) return void opened.close(); // opened after the timeout
        stream = opened;
        opened.on('data', (d: Buffer) => {
          stdout += d.toString();
          opts.onStdout?.(d.toString());
        });
        opened.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        opened.on('close', (code: number | null, signal?: string) => {
          // Note: no exit code means the connection dropped (a reboot or power cut mid-command).
          settle(() =>
            resolve({
              command,
              exitCode: code ?? (signal ? 128 : 255),
              stdout,
              stderr,
              durationMs: Date.now() - started,
            }),
          );
        });
      });
    });
  }

  async put(localPath: string, remotePath: string, mode = 0o755): Promise<void> {
    const client = this.requireClient();
    const data = await readFile(localPath);
    await new Promise<void>((resolve, reject) => {
      client.sftp((err, sftp) => {
        if (err)
          return reject(
            new InfraError(`SFTP to ${this.where} failed: ${err.message}. Does the image ship an sftp-server?`),
          );
        sftp.writeFile(remotePath, data, { mode }, (werr) => {
          sftp.end();
          if (werr)
            reject(new InfraError(`Upload of ${localPath} to ${remotePath} on ${this.where} failed: ${werr.message}`));
          else resolve();
        });
      });
    });
  }

  async close(): Promise<void> {
    this.client?.end();
    this.client = undefined;
  }

  private requireClient(): Client {
    if (!this.client) throw new InfraError(`Not connected to ${this.where}: call waitReachable() first`);
    return this.client;
  }

  private async connectOnce(): Promise<Client> {
    const privateKey = await readFile(this.endpoint.privateKeyPath);
    // Our own socket, so its bytes can be counted (ssh2 connects one of its own otherwise).
    const sock = connect({ host: this.endpoint.host, port: this.endpoint.port });
    this.traffic.track(sock);
    const config: ConnectConfig = {
      sock,
      username: this.endpoint.username,
      privateKey,
      readyTimeout: 5000,
      keepaliveInterval: 2000,
      keepaliveCountMax: 10, // 20 s: an emulated board can freeze for seconds under heavy SD I/O
    };
    return new Promise((resolve, reject) => {
      const client = new Client();
      client.once('ready', () => resolve(client));
      // Note: `on`, not `once`: a handshake that times out can emit a second error ("Connection lost
      // before handshake") that would otherwise escape as an uncaught exception and fail the test.
      client.on('error', (err) => {
        client.end();
        sock.destroy();
        reject(err);
      });
      client.on('close', () => {
        if (this.client === client) this.client = undefined;
      });
      client.connect(config);
    });
  }
}
