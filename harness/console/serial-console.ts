// The board's serial console: a recording of every line (timestamped from power-on), expect(), login
// and run() with exit codes, and the boot events it saw. It outlives its transport: a rig that
// restarts QEMU attaches the new pty and the recording goes on.
import { randomBytes } from 'node:crypto';
import type { CommandResult } from '../command-result.ts';
import { WaitTimeoutError } from '../errors.ts';
import { BootEventParser, type BootEvent } from './boot-events.ts';
import { isLoginPrompt, LOGIN_PROMPT } from './login-prompt.ts';
import type { ConsoleTransport } from './transport.ts';

interface Waiter {
  pattern: RegExp;
  resolve: (m: RegExpExecArray) => void;
}

export interface RecordedLine {
  atMs: number;
  text: string;
}

export class SerialConsole {
  readonly bootEvents = new BootEventParser();
  readonly lines: RecordedLine[] = [];
  private readonly powerOns: number[] = [];
  private transport?: ConsoleTransport;
  private partial = '';
  /** Unconsumed text that expect() searches. */
  private pending = '';
  private waiters: Waiter[] = [];
  private eventListeners: Array<(e: BootEvent) => void> = [];
  private epoch = Date.now();
  /** Wall-clock time (Date.now()) of the last byte from the board, whatever transport brought it. */
  private lastByteAt?: number;

  constructor(readonly name: string) {}

  attach(transport: ConsoleTransport): void {
    this.transport = transport;
    transport.onData((chunk) => {
      // Note: a transport replaced by a newer one (a relaunched QEMU's pty) may still flush a chunk.
      if (this.transport !== transport) return;
      this.lastByteAt = Date.now();
      this.receive(chunk.toString('latin1'));
    });
  }

  async detach(): Promise<void> {
    const t = this.transport;
    this.transport = undefined;
    await t?.close();
  }

  /**
   * Where the console line stands, for an error report: `attached (<transport>)`, `attached but
   * closed (…)` or `not attached`, and how long ago the board last sent a byte.
   */
  linkReport(): string {
    const t = this.transport;
    const link = !t
      ? 'console not attached'
      : t.isOpen?.() === false
        ? `console transport closed (${t.description})`
        : `console attached (${t.description})`;
    const last =
      this.lastByteAt === undefined
        ? 'no byte received yet'
        : `last byte ${formatAgo(Date.now() - this.lastByteAt)} ago`;
    return `${link}, ${last}`;
  }

  /** Whether a transport is attached and still open. */
  get attached(): boolean {
    return Boolean(this.transport && this.transport.isOpen?.() !== false);
  }

  /** Called by the rig when it powers the board on; the first one starts the clock. */
  markPowerOn(): void {
    if (this.lines.length === 0 && this.powerOns.length === 0) this.epoch = Date.now();
    this.powerOns.push(this.now());
    this.note(`power on (${new Date().toISOString()})`);
  }

  markPowerOff(how: string): void {
    this.note(`power ${how}`);
  }

  /** A line from the harness itself (not the board) in the recording, e.g. what a rig did. */
  note(text: string): void {
    this.record(`---- ${text} ----`);
  }

  onBootEvent(listener: (e: BootEvent) => void): void {
    this.eventListeners.push(listener);
  }

  async send(text: string): Promise<void> {
    if (!this.transport) throw new WaitTimeoutError(`Console ${this.name} is not attached: is the board powered on?`);
    await this.transport.write(text);
  }

  /** Waits for `pattern` in the console text not yet consumed by an earlier expect. */
  async expect(pattern: RegExp | string, opts: { timeoutMs: number; what?: string }): Promise<RegExpExecArray> {
    const re = typeof pattern === 'string' ? new RegExp(escapeRegExp(pattern)) : pattern;
    const immediate = this.consume(re);
    if (immediate) return immediate;
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        pattern: re,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(
          new WaitTimeoutError(
            `${opts.what ?? `Console pattern ${re}`} not seen on ${this.name} after ${opts.timeoutMs}ms.\nLast console lines:\n${this.tail(15)}`,
          ),
        );
      }, opts.timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Logs in as root (the reference images' dev mode has no password). */
  async login(opts: { timeoutMs: number; user?: string } = { timeoutMs: 30_000 }): Promise<void> {
    this.pending = '';
    // Note: a daemon's console message can land on the prompt's line ("login: [engine] up"), so the
    // prompt is asked for again, every few seconds, until one stands at the end of a line.
    const deadline = Date.now() + opts.timeoutMs;
    let first: RegExpExecArray | undefined;
    while (!first) {
      await this.send('\n');
      const left = deadline - Date.now();
      try {
        first = await this.expect(new RegExp(`${LOGIN_PROMPT.source}|[#$] (\\x1b\\[6n)?$`, 'm'), {
          timeoutMs: Math.min(5000, Math.max(left, 1)),
          what: 'Login prompt',
        });
      } catch (error) {
        if (Date.now() + 1 >= deadline) {
          throw new WaitTimeoutError(
            `Login prompt not seen on ${this.name} after ${opts.timeoutMs}ms (asked every 5 s).\nLast console lines:\n${this.tail(15)}`,
          );
        }
        if (!(error instanceof WaitTimeoutError)) throw error;
      }
    }
    if (!first[0].includes('login')) return; // already logged in
    await this.send(`${opts.user ?? 'root'}\n`);
    // A shell prompt (busybox ash may follow it with a cursor-position query), or a password prompt
    // we answer with an empty line.
    const m = await this.expect(/Password: ?$|[#$] (\x1b\[6n)?$/m, {
      timeoutMs: opts.timeoutMs,
      what: 'Shell prompt after login',
    });
    if (m[0].startsWith('Password')) await this.send('\n');
  }

  /** Runs a shell command on the console; output and exit code come back between random markers. */
  async run(command: string, opts: { timeoutMs: number } = { timeoutMs: 30_000 }): Promise<CommandResult> {
    const id = randomBytes(4).toString('hex');
    const started = Date.now();
    // Note: the markers are split in the echoed command line ("__B""EGIN") so only the output matches.
    await this.send(`echo "__B""EGIN_${id}"; ${command}; echo "__E""ND_${id}_$?"\n`);
    await this.expect(new RegExp(`__BEGIN_${id}\\n`), { timeoutMs: opts.timeoutMs, what: `Start of \`${command}\`` });
    const end = await this.expect(new RegExp(`([\\s\\S]*?)__END_${id}_(\\d+)`), {
      timeoutMs: opts.timeoutMs,
      what: `End of \`${command}\``,
    });
    return { command, exitCode: Number(end[2]), stdout: end[1]!, stderr: '', durationMs: Date.now() - started };
  }

  /** The whole recording, each line prefixed by seconds since the first power-on. */
  transcript(fromLine = 0): string {
    return this.lines
      .slice(fromLine)
      .map((l) => `[${(l.atMs / 1000).toFixed(3).padStart(9)}] ${l.text}`)
      .join('\n');
  }

  tail(count: number): string {
    const last = this.lines.slice(-count).map((l) => `  | ${l.text}`);
    const partial = this.partial ? [`  | ${this.partial}`] : [];
    return [...last, ...partial].join('\n') || '  (console silent)';
  }

  powerOnTimes(): number[] {
    return [...this.powerOns];
  }

  now(): number {
    return Date.now() - this.epoch;
  }

  private receive(text: string): void {
    const clean = text.replace(/\r/g, '');
    this.pending += clean;
    const parts = (this.partial + clean).split('\n');
    this.partial = parts.pop()!;
    for (const line of parts) this.record(line);
    // A prompt has no newline yet; let the boot-event parser see it too.
    if (isLoginPrompt(this.partial)) this.feedEvent(this.partial, this.lines.length);
    this.wakeWaiters();
    // Keep the expect buffer bounded: nobody waits for text older than this.
    if (this.pending.length > 1_000_000) this.pending = this.pending.slice(-500_000);
  }

  private record(text: string): void {
    this.lines.push({ atMs: this.now(), text });
    this.feedEvent(text, this.lines.length - 1);
  }

  private lastPromptLine = -1;
  private feedEvent(text: string, lineIndex: number): void {
    // Note: a login prompt is fed while it is a partial line and again once its line ends; count it once.
    if (isLoginPrompt(text) && this.lastPromptLine === lineIndex) return;
    const event = this.bootEvents.feed(text, this.now());
    if (!event) return;
    if (event.kind === 'login') this.lastPromptLine = lineIndex;
    for (const l of this.eventListeners) l(event);
  }

  private consume(re: RegExp): RegExpExecArray | undefined {
    const m = re.exec(this.pending);
    if (!m) return undefined;
    this.pending = this.pending.slice(m.index + m[0].length);
    return m;
  }

  private wakeWaiters(): void {
    for (const waiter of [...this.waiters]) {
      const m = this.consume(waiter.pattern);
      if (m) {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        waiter.resolve(m);
      }
    }
  }
}

function formatAgo(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
