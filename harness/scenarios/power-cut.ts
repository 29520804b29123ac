// "Judge a power-cut row": from a booted source, run the update and cut the power when the updater is
// in the row's phase (or `afterMs` into it), power on, classify what booted against the state before
// the update, and — when the old OS came back, or an unsafe window left the device booting — run the
// updater again. Returns the measured row and its evidence; the caller asserts (the faults suite) or
// reports (`hupbench run --fault power-cut`). No Playwright here: steps go through the board.
// A row forked from a phase snapshot (phase-fork.ts) brings its own cut run and is judged the same way.
import type { DeviceState } from '../device/device-state.ts';
import { dataChecksums } from '../device/user-data.ts';
import { ProductWaitError } from '../errors.ts';
import { classifyOutcome, type GuaranteeRow, type MeasuredRow, meetsGuarantee } from '../faults/guarantees.ts';
import { powerCut } from '../faults/power-cut.ts';
import type { HupRun } from '../updater/runner.ts';
import type { ScenarioContext } from './context.ts';
import type { BootedSource } from './source.ts';
import { runUpdate, type UpdateOptions } from './update.ts';

export interface PowerCutHooks {
  /** Called each time the measured row changes (the suite keeps its annotation current with it). */
  row?: (row: MeasuredRow) => void;
  /** Evidence as it is taken: `updater-output.log`, `device-state.json`, `updater-rerun.log`… */
  evidence?: (name: string, body: string) => void | Promise<void>;
}

export interface PowerCutJudgement {
  row: MeasuredRow;
  /** The run that was cut. `run.injected` is undefined when the updater never reached the phase (no cut). */
  run: HupRun;
  /** What booted after the cut (undefined: it did not come back, see `noBoot`). */
  after?: DeviceState;
  /** The product wait that failed after power-on, first line. */
  noBoot?: string;
  /** resin-data checksums after the cut (undefined when the device did not boot or they were unreadable). */
  sumsAfter?: Record<string, string>;
  /** Why the checksums could not be read. */
  sumsError?: string;
  /** An unsafe window: resin-data after the cut, in words (intact, n files changed, unreadable). */
  dataVerdict?: string;
  /** The rerun after the cut: when the old OS met its guarantee, or as the recovery from an unsafe window. */
  rerun?: HupRun;
}

export async function judgePowerCut(
  ctx: ScenarioContext,
  source: BootedSource,
  guaranteeRow: GuaranteeRow,
  opts: { seedMB?: number; hooks?: PowerCutHooks } = {},
): Promise<PowerCutJudgement> {
  const run = await runUpdate(ctx, source.path, { seedMB: opts.seedMB, at: cutAt(ctx, guaranteeRow) });
  return judgeCutRun(ctx, source, guaranteeRow, run, opts);
}

/** The row's fault, for the updater runner: a power cut `afterMs` into the row's phase. */
export function cutAt(ctx: ScenarioContext, row: GuaranteeRow): NonNullable<UpdateOptions['at']> {
  return { phase: row.phase, afterMs: row.afterMs, action: () => powerCut.strike(ctx, row.phase) };
}

/**
 * The rest of a row once its run was cut (or ended without reaching the phase): power on, classify,
 * the data verdict of an unsafe window, the rerun. `run` is the updater run the cut was injected into.
 */
export async function judgeCutRun(
  ctx: ScenarioContext,
  source: BootedSource,
  guaranteeRow: GuaranteeRow,
  run: HupRun,
  opts: { seedMB?: number; hooks?: PowerCutHooks } = {},
): Promise<PowerCutJudgement> {
  const { board } = ctx;
  const { path, before, sums } = source;
  const hooks = opts.hooks ?? {};
  await hooks.evidence?.('updater-output.log', run.output);
  const row: MeasuredRow = { ...guaranteeRow, rig: board.rig.config.name, outcome: 'no-boot', detail: 'no cut' };
  if (!run.injected) return { row, run };

  const { after, noBoot } = await powerOnAfterCut(ctx, guaranteeRow.phase);
  const { outcome, detail } = classifyOutcome(before, after, path.to);
  Object.assign(row, { outcome, detail });
  hooks.row?.(row);
  await hooks.evidence?.('device-state.json', JSON.stringify({ before, after }, null, 2));
  const judged: PowerCutJudgement = { row, run, after, noBoot };
  if (!after) return judged;

  Object.assign(judged, await readSums(ctx));
  if (row.guarantee === 'unsafe') {
    judged.dataVerdict = dataVerdict(sums, judged);
    row.detail += `; ${judged.dataVerdict}`;
    hooks.row?.(row);
  }
  const intact = JSON.stringify(judged.sumsAfter) === JSON.stringify(sums);
  const rerun =
    row.guarantee === 'unsafe'
      ? outcome !== 'new-os' // the documented recovery from an unsafe window
      : outcome === 'old-os' && meetsGuarantee(row.guarantee, outcome) && intact;
  if (!rerun) return judged;
  const recovery = row.guarantee === 'unsafe';
  const name = recovery ? 'recovery rerun' : 'rerun';
  judged.rerun = await runUpdate(ctx, path, { seedMB: opts.seedMB, stepPrefix: `${name}: ` });
  await hooks.evidence?.(recovery ? 'updater-recovery-rerun.log' : 'updater-rerun.log', judged.rerun.log);
  row.rerunOk = judged.rerun.exitCode === 0;
  hooks.row?.(row);
  return judged;
}

/**
 * Power on and follow the boot. A product wait: a device that does not come back after a cut is the
 * finding its row is for (no-boot); a rig that failed meanwhile (QEMU gone, console detached) stays
 * an InfraError and propagates.
 */
async function powerOnAfterCut(
  { board }: ScenarioContext,
  phase: string,
): Promise<{ after?: DeviceState; noBoot?: string }> {
  try {
    await board.powerOnAfterCut(`the device after a power cut in ${phase}`);
    return { after: await board.device.snapshot() };
  } catch (error) {
    if (!(error instanceof ProductWaitError)) throw error;
    return { noBoot: error.message.split('\n')[0] };
  }
}

async function readSums({ board }: ScenarioContext): Promise<Pick<PowerCutJudgement, 'sumsAfter' | 'sumsError'>> {
  try {
    return { sumsAfter: await dataChecksums(board.device) };
  } catch (error) {
    return { sumsError: (error as Error).message.split('\n')[0] };
  }
}

/** resin-data after a cut in an unsafe window, compared with before: intact, changed, or unreadable. */
function dataVerdict(sums: Record<string, string>, { sumsAfter, sumsError }: PowerCutJudgement): string {
  if (!sumsAfter) return `resin-data unreadable (${sumsError})`;
  const lost = Object.keys(sums).filter((f) => sumsAfter[f] !== sums[f]);
  return lost.length
    ? `resin-data: ${lost.length} of ${Object.keys(sums).length} files lost or changed`
    : 'resin-data intact';
}
