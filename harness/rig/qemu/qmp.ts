// QMP, QEMU's machine protocol, over its unix socket: the rig's power switch and link control.
import net from 'node:net';
import { InfraError } from '../../errors.ts';
import { waitFor } from '../../wait.ts';

type Json = Record<string, unknown>;

export class QmpClient {
  private buffer = '';
  private nextId = 1;
  private pending = new Map<string, { resolve: (v: unknown) => void; reject: (e: Error) => void; command: string }>();
  private eventListeners: Array<(event: string, data: Json) => void> = [];

  private constructor(
    private readonly socket: net.Socket,
    readonly path: string,
  ) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => this.receive(d));
    socket.on('close', () => {
      for (const p of this.pending.values())
        p.reject(new InfraError(`QMP connection ${path} closed during ${p.command}`));
      this.pending.clear();
    });
  }

  static async connect(path: string): Promise<QmpClient> {
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect(path);
      s.once('connect', () => resolve(s));
      s.once('error', reject);
    });
    const client = new QmpClient(socket, path);
    await client.execute('qmp_capabilities');
    return client;
  }

  /**
   * Connects once QEMU listens. QEMU binds the socket file before it listens on it, so a connect
   * in between is refused (seen on a loaded host): a refused connect is tried again until
   * `timeoutMs`, or until `exited()` says QEMU is gone.
   */
  static connectWhenListening(
    path: string,
    opts: { timeoutMs: number; exited: () => boolean; details?: () => string },
  ): Promise<QmpClient> {
    return waitFor(async () => (opts.exited() ? Promise.reject(new Error('QEMU exited')) : QmpClient.connect(path)), {
      timeoutMs: opts.timeoutMs,
      what: `QEMU listening on its QMP socket ${path}`,
      details: opts.details,
    });
  }

  onEvent(listener: (event: string, data: Json) => void): void {
    this.eventListeners.push(listener);
  }

  execute<T = unknown>(command: string, args?: Json): Promise<T> {
    const id = String(this.nextId++);
    return new Promise<T>((resolve, reject) => {
      // A command after QEMU went away would wait forever for its answer.
      if (this.socket.destroyed)
        return reject(new InfraError(`QMP connection ${this.path} is closed (QEMU exited?): cannot ${command}`));
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, command });
      this.socket.write(`${JSON.stringify({ execute: command, arguments: args, id })}\n`);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private receive(data: string): void {
    this.buffer += data;
    for (let newline = this.buffer.indexOf('\n'); newline >= 0; newline = this.buffer.indexOf('\n')) {
      const line = this.buffer.slice(0, newline).trim();
      this.buffer = this.buffer.slice(newline + 1);
      if (line) this.dispatch(JSON.parse(line) as Json);
    }
  }

  private dispatch(message: Json): void {
    if (typeof message.event === 'string') {
      for (const l of this.eventListeners) l(message.event, (message.data as Json) ?? {});
      return;
    }
    // The greeting ({"QMP": …}) carries no id.
    const id = message.id as string | undefined;
    const pending = id ? this.pending.get(id) : undefined;
    if (!pending) return;
    this.pending.delete(id!);
    if (message.error)
      pending.reject(new InfraError(`QMP ${pending.command} failed: ${JSON.stringify(message.error)}`));
    else pending.resolve(message.return);
  }
}
