// A lab daemon (QEMU, ser2net, pdudaemon) started by the virtual bench: tied to this process with
// setpriv --pdeathsig so it never outlives the run, stopped by its own pid, its output kept for errors.
import { spawn, type ChildProcess } from 'node:child_process';
import { InfraError } from '../../errors.ts';
import { waitFor } from '../../wait.ts';

export class LabProcess {
  private readonly output: string[] = [];
  private exit?: string;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    readonly commandLine: string,
  ) {
    const keep = (d: Buffer) => {
      this.output.push(d.toString());
      if (this.output.length > 200) this.output.splice(0, this.output.length - 200);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.on('exit', (code, signal) => (this.exit = signal ?? `exit code ${code}`));
  }

  static start(name: string, binary: string, args: string[]): LabProcess {
    // Note: setpriv execs the binary, so child.pid is the daemon's own pid.
    const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', binary, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const process = new LabProcess(name, child, `${binary} ${args.join(' ')}`);
    child.on('error', (e) => (process.exit = `could not start: ${e.message}`));
    return process;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get exited(): boolean {
    return this.exit !== undefined;
  }

  /** How it ended (`exit code 0`, `SIGKILL`), once it has. */
  get exitStatus(): string | undefined {
    return this.exit;
  }

  describe(): string {
    return `${this.name} (pid ${this.pid}${this.exit ? `, ${this.exit}` : ''}) output:\n${this.output.join('').trim().split('\n').slice(-20).join('\n') || '(none)'}\nCommand: ${this.commandLine}`;
  }

  /** Waits for `probe` to succeed while the process is alive; names the process when it dies or times out. */
  async waitReady<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
    try {
      return await waitFor(
        async () => {
          if (this.exited) throw new InfraError(`${this.name} exited`);
          return probe();
        },
        { timeoutMs, what, details: () => this.describe() },
      );
    } catch (error) {
      throw new InfraError(
        `${this.name} did not become ready: ${(error as Error).message}\n${this.exited ? this.describe() : ''}`.trim(),
        { cause: error },
      );
    }
  }

  /** SIGTERM, then SIGKILL if it has not exited within 5 s. */
  async stop(): Promise<void> {
    if (this.exited || this.pid === undefined) return;
    this.child.kill('SIGTERM');
    try {
      await waitFor(async () => (this.exited ? true : undefined), {
        timeoutMs: 5000,
        what: `${this.name} (pid ${this.pid}) to exit after SIGTERM`,
        intervalMs: 50,
      });
    } catch {
      this.child.kill('SIGKILL');
      await waitFor(async () => (this.exited ? true : undefined), {
        timeoutMs: 5000,
        what: `${this.name} (pid ${this.pid}) to exit after SIGKILL`,
        intervalMs: 50,
      });
    }
  }
}
