// "A history": several steps on one device without reflashing, as a device in a fleet lives (an
// update rolls back, the operator updates again; an update is refused and retried). After every step
// the device's state and its resin-data checksums are read, and the step's boot events are taken from
// the console: one row of the history's timeline (history-timeline.ts) per step. Suites assert each
// row; the timeline goes into the report whether the history passed or not.
import type { DeviceState } from '../device/device-state.ts';
import { stateAndChecksums } from '../device/user-data.ts';
import type { ScenarioContext } from './context.ts';
import {
  bootcountsOf,
  type HistoryRow,
  type HistoryTimeline,
  stepState,
  timelineMarkdown,
} from './history-timeline.ts';

export interface HistoryStep<T> {
  value: T;
  /** The device after the step. */
  state: DeviceState;
  /** resin-data checksums after the step. */
  sums: Record<string, string>;
  row: HistoryRow;
}

export class History {
  readonly rows: HistoryRow[] = [];
  private readonly startedAt = Date.now();
  /** The resin-data checksums every step must keep: those after the first step. */
  private reference?: Record<string, string>;

  /** `dataReference`: the checksums every step must keep, when known before the first step. */
  constructor(
    readonly ctx: ScenarioContext,
    readonly name: string,
    dataReference?: Record<string, string>,
  ) {
    this.reference = dataReference;
  }

  /** Runs one step of the history, then reads the device's state and data: its row of the timeline. */
  async step<T>(name: string, body: () => Promise<T>): Promise<HistoryStep<T>> {
    const { board } = this.ctx;
    const mark = board.mark();
    const firstBoardStep = board.steps.length;
    const row: HistoryRow = {
      index: this.rows.length + 1,
      step: name,
      startedAt: Date.now(),
      durationMs: 0,
      status: 'passed',
      boots: 0,
      bootEvents: [],
      bootcounts: [],
      boardSteps: [],
    };
    this.rows.push(row);
    try {
      const value = await board.step(`history step ${row.index}: ${name}`, body);
      const { state, sums } = await board.step(`after step ${row.index}: the device's state and resin-data`, () =>
        stateAndChecksums(board.device),
      );
      this.reference ??= sums;
      row.state = stepState(state, sameSums(sums, this.reference));
      return { value, state, sums, row };
    } catch (error) {
      row.status = 'failed';
      row.error = (error as Error).message.split('\n')[0];
      throw error;
    } finally {
      row.durationMs = Date.now() - row.startedAt;
      const seen = board.since(mark);
      row.boots = seen.boots;
      row.bootEvents = seen.events.map(describeEvent);
      row.bootcounts = bootcountsOf(row.bootEvents);
      row.boardSteps = board.steps.slice(firstBoardStep).map((s) => ({
        name: s.name,
        durationMs: s.durationMs,
        status: s.status,
        ...(s.console ? { events: s.console.events } : {}),
      }));
    }
  }

  /** resin-data as the history's first step left it, or as a step that changed it on purpose did. */
  get dataReference(): Record<string, string> | undefined {
    return this.reference;
  }

  /**
   * `step` changed resin-data on purpose: `sums` is what it must hold from then on. The step's row is
   * judged against them, and so are the following steps' rows.
   */
  rebaseData(step: HistoryStep<unknown>, sums: Record<string, string>): void {
    this.reference = sums;
    if (step.row.state) {
      step.row.state.dataIntact = sameSums(step.sums, sums);
      step.row.state.dataRebased = true;
    }
  }

  timeline(): HistoryTimeline {
    const { rig } = this.ctx.board;
    return {
      history: this.name,
      rig: rig.config.name,
      deviceType: rig.deviceType,
      wallMs: Date.now() - this.startedAt,
      rows: this.rows,
    };
  }

  markdown(): string {
    return timelineMarkdown(this.timeline());
  }
}

/** The same files with the same checksums, in whatever order they were listed. */
function sameSums(a: Record<string, string>, b: Record<string, string> | undefined): boolean {
  const sorted = (r: Record<string, string>) =>
    JSON.stringify(Object.entries(r).sort(([x], [y]) => x.localeCompare(y)));
  return b !== undefined && sorted(a) === sorted(b);
}

/** A boot event in a few words, as the board's steps record them: its kind, or the bootcount U-Boot printed. */
function describeEvent(e: { kind: string; line: string }): string {
  const count = e.kind === 'bootcount' ? e.line.match(/bootcount=(\d+)/)?.[1] : undefined;
  return count ? `bootcount=${count}` : e.kind;
}
