// Follows an updater's `[hup] phase=<name>` lines as they stream: times each phase, wraps each in a
// step, and fires a fault's action when its phase starts (or `afterMs` into it).
import type { HupPhase, RunUpdaterOptions, StepRunner } from './runner.ts';

export interface Injection {
  phase: string;
  /** ms since the updater started. */
  atMs: number;
}

export class PhaseTracker {
  readonly phases: HupPhase[] = [];
  private readonly started = Date.now();
  private injection?: Promise<Injection>;
  private closeCurrent?: () => void;
  private steps: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly step: StepRunner,
    private readonly at: RunUpdaterOptions['at'],
  ) {}

  /** The fault's action has started (so a lost connection is the fault's doing). */
  get injecting(): boolean {
    return this.injection !== undefined;
  }

  start(name: string): void {
    const now = Date.now() - this.started;
    this.closeLast(now);
    this.phases.push({ name, startedAtMs: now, durationMs: 0 });
    if (this.at && this.at.phase === name && !this.injection) this.inject(name, this.at);
    const done = new Promise<void>((resolve) => (this.closeCurrent = resolve));
    this.steps = this.steps.then(() => this.step(`updater phase: ${name}`, () => done)).catch(() => undefined);
  }

  /** The updater ended: closes the last phase and its step; resolves the injection (rethrowing its error). */
  async end(exitedAt: number): Promise<Injection | undefined> {
    const injected = this.injection ? await this.injection : undefined;
    this.closeLast(exitedAt - this.started);
    await this.steps;
    return injected;
  }

  private closeLast(nowMs: number): void {
    const last = this.phases.at(-1);
    if (last) last.durationMs = nowMs - last.startedAtMs;
    this.closeCurrent?.();
  }

  private inject(name: string, at: NonNullable<RunUpdaterOptions['at']>): void {
    const { action, afterMs = 0 } = at;
    this.injection = new Promise<void>((resolve) => setTimeout(resolve, afterMs)).then(async () => {
      const atMs = Date.now() - this.started;
      await action();
      return { phase: name, atMs };
    });
    this.injection.catch(() => undefined); // awaited (and rethrown) once the updater returns
  }
}
