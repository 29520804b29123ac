// Follows an updater's phases as its output starts them (the lines its profile recognises): times
// each phase, wraps each in a step, and fires a fault's action when its phase starts (or `afterMs`
// into it); holds the board for a phase snapshot as a captured phase starts (PhaseCaptures).
import type { DetachedHandle } from './detached-run.ts';
import type { HupPhase, RunUpdaterOptions, StepRunner } from './runner.ts';

export interface Injection {
  phase: string;
  /** ms since the updater started. */
  atMs: number;
}

export class PhaseTracker {
  readonly phases: HupPhase[] = [];
  private injection?: Promise<Injection>;
  private closeCurrent?: () => void;
  private steps: Promise<unknown> = Promise.resolve();

  /** `started`: when the updater started (host clock, ms); earlier than now for a run resumed mid-way. */
  constructor(
    private readonly step: StepRunner,
    private readonly at: RunUpdaterOptions['at'],
    private readonly started = Date.now(),
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

  /**
   * A run followed from a phase snapshot: the phases before `phase` are the recording's, `phase` (and
   * any that started in the same read, after it) start now, and a fault at them is armed from now.
   */
  resumeAt(recorded: readonly HupPhase[], phase: string): void {
    const at = recorded.findIndex((p) => p.name === phase);
    if (at < 0) throw new Error(`the recorded run never reached phase ${phase}`);
    this.phases.push(...recorded.slice(0, at).map((p) => ({ ...p })));
    for (const p of recorded.slice(at)) this.start(p.name);
  }

  /** Resolves once the fault's action has run (undefined when no fault was armed). */
  injected(): Promise<Injection | undefined> {
    return this.injection ?? Promise.resolve(undefined);
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

/** A running updater as a phase snapshot holds it: enough to follow it on from a resumed board. */
export interface PhaseCapture {
  phase: string;
  handle: DetachedHandle;
  /** The run's output file as read up to the hold (ticker and counter lines included). */
  raw: string;
  /** The phases so far; `phase` and any read with it (after it) are the last ones. */
  phases: HupPhase[];
  /** Updater start → the hold, ms. */
  elapsedMs: number;
}

/** Holds the board as captured phases start and saves each, in order; lets it go once none waits. */
export class PhaseCaptures {
  private raw = '';
  private readonly waiting: PhaseCapture[] = [];
  private draining?: Promise<void>;
  private heldMs = 0;

  constructor(
    private readonly capture: RunUpdaterOptions['capture'],
    private readonly handle: DetachedHandle,
    private readonly tracker: PhaseTracker,
    private readonly started: number,
  ) {}

  read(chunk: string): void {
    if (this.capture) this.raw += chunk;
  }

  phaseStarted(phase: string): void {
    const capture = this.capture;
    if (!capture?.phases.includes(phase)) return;
    const at: PhaseCapture = { phase, handle: this.handle, raw: '', phases: [], elapsedMs: 0 };
    this.waiting.push(at);
    if (this.draining) return;
    const heldAt = Date.now();
    // Note: the hold is asked before anything else: the board keeps running until QEMU stops it.
    const held = capture.hold();
    this.draining = held.then(async () => {
      try {
        for (let next = this.waiting.shift(); next; next = this.waiting.shift()) {
          // Read when the save starts: the whole read the phase line came in (the guest was past it).
          Object.assign(next, {
            raw: this.raw,
            phases: this.tracker.phases.map((p) => ({ ...p })),
            elapsedMs: heldAt - this.started - this.heldMs,
          });
          await capture.save(next);
        }
      } finally {
        this.draining = undefined;
        this.heldMs += Date.now() - heldAt;
        await capture.release();
      }
    });
  }

  async done(): Promise<void> {
    while (this.draining) await this.draining;
  }
}
