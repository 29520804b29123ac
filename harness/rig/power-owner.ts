// One owner for a board's power. The harness's power actions (on, off, cut, flash, resume, dispose)
// and the board's own resets that the rig has to act on (a relaunch of QEMU) are transitions that run
// one at a time, in the order they were asked; each is noted on the console recording when it had to
// wait for another one or when it failed, and the owner knows what state the board is in. Without
// it, a cut that landed between a guest reset and the relaunch it starts was followed by the
// relaunch, which powered the board on again behind the test's back.
import type { SerialConsole } from '../console/serial-console.ts';

export type PowerState = 'off' | 'on';

interface Transition {
  what: string;
  /** Console time (ms since the first power-on) when it started and ended. */
  startedAtMs: number;
  endedAtMs?: number;
  outcome?: string;
}

export class PowerOwner {
  private queue: Promise<unknown> = Promise.resolve();
  private current?: Transition;
  private unfinished = 0;
  private lastAsked?: string;
  private last?: Transition;
  private stateNow: PowerState = 'off';
  private stateSinceMs = 0;

  constructor(private readonly console: SerialConsole) {}

  /** The power state as the rig believes it: what the last transition left. */
  get state(): PowerState {
    return this.stateNow;
  }

  /** Called by a transition's body once the board really is in `state`. */
  set(state: PowerState): void {
    if (state === this.stateNow) return;
    this.stateNow = state;
    this.stateSinceMs = this.console.now();
  }

  /** Called by a transition's body that ended otherwise than done, e.g. `ignored: the power was off`. */
  outcome(text: string): void {
    if (this.current) this.current.outcome = text;
  }

  /**
   * Runs `body` once every transition asked before it has ended, whatever their outcome. A failure is
   * noted on the console and rethrown to the caller; it does not stop the transitions queued after.
   */
  transition<T>(what: string, body: () => Promise<T>): Promise<T> {
    const askedAt = Date.now();
    // The transition asked just before this one, when it (or one before it) has not ended yet. A wait
    // worth reading (50 ms or more) is noted: it shows a cut that landed during a relaunch.
    const behind = this.unfinished > 0 ? this.lastAsked : undefined;
    this.unfinished++;
    this.lastAsked = what;
    const run = this.queue.then(async () => {
      const waited = Date.now() - askedAt;
      if (behind && waited >= 50) this.console.note(`${what}: waited ${waited} ms for ${behind} to end`);
      const t: Transition = { what, startedAtMs: this.console.now() };
      this.current = t;
      try {
        const value = await body();
        t.outcome ??= 'done';
        return value;
      } catch (error) {
        t.outcome = `failed: ${(error as Error).message.split('\n')[0]}`;
        this.console.note(`${what} ${t.outcome}`);
        throw error;
      } finally {
        t.endedAtMs = this.console.now();
        this.current = undefined;
        this.unfinished--;
        this.last = t;
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** One line: the state, since when, and the transition under way or the last one with its outcome. */
  describe(): string {
    const now = this.console.now();
    const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    const state = `power ${this.stateNow} (as the rig believes it) for ${secs(now - this.stateSinceMs)}`;
    if (this.current) return `${state}; ${this.current.what} under way for ${secs(now - this.current.startedAtMs)}`;
    if (!this.last) return `${state}; no power transition yet`;
    return `${state}; last transition: ${this.last.what}, ${this.last.outcome} ${secs(now - (this.last.endedAtMs ?? now))} ago`;
  }
}
