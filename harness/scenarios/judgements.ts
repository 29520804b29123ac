// How a path ended, in one line and a yes/no, for `hupbench run` and the gate's evidence: the device's
// state after the update (or the fault), against what the path or the fault's guarantee promises.
// The suites assert the same facts one by one, with their own messages.
import type { DeviceState } from '../device/device-state.ts';
import { stateAndChecksums } from '../device/user-data.ts';
import type { NewOsFault } from '../faults/types.ts';
import type { HupRun } from '../updater/runner.ts';
import type { ScenarioContext } from './context.ts';
import type { RollbackResult } from './rollback.ts';
import type { BootedSource } from './source.ts';

export interface Judgement {
  ok: boolean;
  line: string;
}

export interface SettledDevice {
  after: DeviceState;
  dataKept: boolean;
  /** `running <version> from <root> (…); resin-data intact|CHANGED` */
  where: string;
}

/** Which layout the partition labels say the device has (the matchers check the whole table). */
export function layoutOf(state: DeviceState): '1.x' | '2.x' | 'unknown' {
  const labels = state.partitions.map((p) => p.label);
  return labels.includes('resin-rootA') ? '2.x' : labels.includes('resin-root') ? '1.x' : 'unknown';
}

/** Where the device ended up, and whether resin-data is as it was before the update. */
export async function settledDevice(ctx: ScenarioContext, source: BootedSource): Promise<SettledDevice> {
  const { state: after, sums } = await stateAndChecksums(ctx.board.device);
  const dataKept = JSON.stringify(sums) === JSON.stringify(source.sums);
  const env = after.bootEnv;
  const where = `running ${after.osRelease.VERSION} from ${after.activeRoot.label} (${layoutOf(after)} layout, resin_root_part=${env.resin_root_part ?? '-'}, upgrade_available=${env.upgrade_available ?? '-'}); resin-data ${dataKept ? 'intact' : 'CHANGED'}`;
  return { after, dataKept, where };
}

/** A clean update: the updater succeeded and the device runs the target, in its layout, with its data. */
export function judgeUpdated(source: BootedSource, run: HupRun | undefined, s: SettledDevice): Judgement {
  const { to } = source.path;
  const ok =
    run?.exitCode === 0 && s.after.osRelease.VERSION === to.version && layoutOf(s.after) === to.layout && s.dataKept;
  return { ok, line: `${ok ? 'updated' : 'NOT updated'} (updater exit ${run?.exitCode ?? '-'}): ${s.where}` };
}

/** A network fault mid-update: the updater either finished the update or failed cleanly, never in between. */
export function judgeUpdatedOrRefused(source: BootedSource, run: HupRun, s: SettledDevice, what: string): Judgement {
  const version = s.after.osRelease.VERSION;
  const updated = run.exitCode === 0 && version === source.path.to.version;
  const refused = run.exitCode !== 0 && version === source.path.from.version;
  const how = updated
    ? 'finished the update'
    : refused
      ? `failed cleanly (${run.error ?? `exit ${run.exitCode}`})`
      : `left the device in between (exit ${run.exitCode})`;
  return { ok: (updated || refused) && s.dataKept, line: `${what}: the updater ${how}; ${s.where}` };
}

/** A broken new OS: the mechanism the fault calls for rolled the device back to the source release. */
export function judgeRollback(fault: NewOsFault, source: BootedSource, r: RollbackResult, s: SettledDevice): Judgement {
  const ok =
    r.verdict.mechanism === fault.caughtBy && s.after.osRelease.VERSION === source.path.from.version && s.dataKept;
  return { ok, line: `${fault.name}: ${r.verdict.line}; ${s.where}` };
}
