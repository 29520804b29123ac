// Step events of a board and the scenario around it, as labgrid's step.py records them: each has a
// name, the state it brings the board to, when it started, how long it took and how it ended. The
// caller's step runner (Playwright's test.step, the CLI's live progress) wraps each one; the record
// goes to the reports as board-steps.json.
export type BoardState = 'unknown' | 'off' | 'bootloader' | 'login' | 'ssh';

export type StepRunner = <T>(name: string, body: () => Promise<T>) => Promise<T>;

export interface BoardStep {
  name: string;
  /** The board's state the step brings it to; absent for steps that do not move it. */
  to?: BoardState;
  /** Host clock, ms since the epoch. */
  startedAt: number;
  durationMs: number;
  status: 'passed' | 'failed';
  /** The first line of the error of a failed step. */
  error?: string;
  /**
   * What the console showed during the step, as parsed boot events (`bootloader`, `bootcount=2`,
   * `panic`, `login`…): how many boots it went through and what each said, in order.
   */
  console?: { boots: number; events: string[] };
}

/** Reads the console's boot events around a step (the board's strategy provides it). */
export interface ConsoleWatch {
  mark(): unknown;
  since(mark: unknown): { boots: number; events: string[] };
}

export class StepLog {
  readonly steps: BoardStep[] = [];
  state: BoardState = 'unknown';
  private readonly runner: StepRunner;

  constructor(
    runner?: StepRunner,
    private readonly watch?: ConsoleWatch,
  ) {
    this.runner = runner ?? ((_, body) => body());
  }

  run<T>(name: string, to: BoardState | undefined, body: () => Promise<T>): Promise<T> {
    return this.runner(name, async () => {
      const step: BoardStep = { name, to, startedAt: Date.now(), durationMs: 0, status: 'passed' };
      this.steps.push(step);
      const mark = this.watch?.mark();
      try {
        const result = await body();
        if (to) this.state = to;
        return result;
      } catch (error) {
        step.status = 'failed';
        step.error = (error as Error).message.split('\n')[0];
        this.state = 'unknown';
        throw error;
      } finally {
        step.durationMs = Date.now() - step.startedAt;
        const seen = mark === undefined ? undefined : this.watch?.since(mark);
        if (seen && (seen.boots || seen.events.length)) step.console = seen;
      }
    });
  }
}
