// Where an updater's log landed when it does not say: the file its run added to the log folder its
// profile names (listed before the run and after it; the newest new one).
import type { Device } from '../device/device.ts';
import type { UpdaterContract } from './profiles/types.ts';
import { shellQuote } from './run-output.ts';

const listing = (dir: string) => `ls -t ${shellQuote(dir)} 2>/dev/null; true`;

/** The log folder's files before a run, when the updater does not name its log (else undefined). */
export async function logsBefore(device: Device, contract: UpdaterContract): Promise<string[] | undefined> {
  if (contract.log.named) return undefined;
  const out = await device.exec(listing(contract.log.dir)).catch(() => undefined);
  return out?.stdout.split('\n').filter(Boolean) ?? [];
}

/** The newest file the run added to the log folder (undefined: it wrote none, or the device is gone). */
export async function newLogAfter(
  device: Device,
  contract: UpdaterContract,
  before: string[],
): Promise<string | undefined> {
  const out = await device.exec(listing(contract.log.dir)).catch(() => undefined);
  const added = out?.stdout.split('\n').find((f) => f && !before.includes(f));
  return added ? `${contract.log.dir}/${added}` : undefined;
}
