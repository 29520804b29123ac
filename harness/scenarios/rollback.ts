// "Judge a rollback": an update whose new OS is broken must end on the old OS, by the mechanism the
// fault calls for. The updater has run with --no-reboot; the fault is applied to what it wrote; the
// reboot into the new OS is followed on the console until the device settles:
// - altboot (broken init): U-Boot counts the failed boots, gives up past the limit, boots the old
//   root; rollback-altboot restores the boot settings and reboots.
// - health (broken engine or supervisor): the new OS boots, rollback-health's checks fail, it
//   switches back and reboots.
// - bootloader default (corrupt resinOS_uEnv.txt): U-Boot boots partition 2; rollback-altboot
//   rewrites sane settings.
import { BOOT_LIMIT } from '../../images/lib/boot-files.ts';
import type { BootEvent } from '../console/boot-events.ts';
import type { DeviceState } from '../device/device-state.ts';
import { testHealthWindow } from '../device/health-window.ts';
import { InfraError } from '../errors.ts';
import type { NewOsFault, RollbackMechanism } from '../faults/types.ts';
import { type RollbackVerdict, rollbackVerdict } from '../faults/rollback-verdict.ts';
import type { ScenarioContext } from './context.ts';

/** Boots from the reboot into the new OS until the device settles, per mechanism. */
export const expectedRollbackBoots: Record<RollbackMechanism, number> = {
  // BOOT_LIMIT failed boots, the one past the limit (old root, altboot reboots), the clean one.
  altboot: BOOT_LIMIT + 2,
  // The new OS (fails its checks and reboots), then the old one.
  health: 2,
  // The old root by default (altboot rewrites the settings and reboots), then a clean boot.
  'bootloader-default': 2,
};

export interface RollbackResult {
  verdict: RollbackVerdict;
  after: DeviceState;
  /** Boot events from the reboot into the broken OS on. */
  events: BootEvent[];
  /** The root the updater wrote (and the fault broke). */
  spareLabel: string;
}

/** The root partition a device running `before` updates into. */
export function spareRoot(before: DeviceState): { label: string; device: string } {
  const label = before.activeRoot.label === 'resin-rootA' ? 'resin-rootB' : 'resin-rootA';
  const spare = before.partitions.find((p) => p.label === label);
  if (!spare) throw new InfraError(`no ${label} partition on the device: ${JSON.stringify(before.partitions)}`);
  return { label, device: spare.device };
}

/** Applies `fault` to the new OS the updater wrote, reboots into it and follows the rollback. */
export async function breakNewOsAndFollowRollback(
  ctx: ScenarioContext,
  fault: NewOsFault,
  before: DeviceState,
): Promise<RollbackResult> {
  const { board } = ctx;
  const spare = spareRoot(before);
  await board.step(`apply ${fault.name} to the new OS on ${spare.device}`, () =>
    fault.apply({ device: board.device, newRootDevice: spare.device }),
  );
  const mark = board.mark();
  await board.rebootDetached();
  await board.step(`the device rolls back by ${fault.caughtBy}`, async () => {
    await expectRollbackOnConsole(ctx, fault.caughtBy);
    await board.followReboot('the old OS after the rollback');
  });
  const after = await board.device.snapshot();
  const seen = board.since(mark);
  const verdict = rollbackVerdict({
    events: seen.events,
    stateFiles: after.stateFiles,
    consoleText: seen.text,
    finalRoot: after.activeRoot.label ?? `partition ${after.activeRoot.partition}`,
    finalVersion: after.osRelease.VERSION ?? '?',
  });
  return { verdict, after, events: seen.events, spareLabel: spare.label };
}

/** The console lines that show `mechanism` at work, each a product wait with its own budget. */
async function expectRollbackOnConsole({ board }: ScenarioContext, mechanism: RollbackMechanism): Promise<void> {
  const bootMs = board.rig.config.bootTimeoutSeconds * 1000;
  if (mechanism === 'altboot') {
    await board.expectConsole(/WARNING! BOOTLIMIT EXCEEDED\. SWITCHING TO PREVIOUS ROOT/, {
      timeoutMs: bootMs * (BOOT_LIMIT + 1),
      what: `U-Boot giving up on the new OS after ${BOOT_LIMIT} failed boots`,
    });
    await board.expectConsole(/\[rollback-altboot\] boot settings restored/, {
      timeoutMs: bootMs,
      what: 'rollback-altboot restoring the boot settings on the old OS',
    });
  } else if (mechanism === 'health') {
    const windowMs = testHealthWindow.count * testHealthWindow.timeoutSeconds * 1000;
    await board.expectConsole(/\[rollback-health\] failed/, {
      timeoutMs: bootMs + windowMs + 60_000,
      what: `rollback-health failing the new OS within its ${windowMs / 1000}s window`,
    });
  } else {
    await board.expectConsole(/invalid resin_root_part/, {
      timeoutMs: bootMs,
      what: 'the boot script rejecting the corrupt resin_root_part',
    });
    await board.expectConsole(/\[rollback-altboot\] boot settings restored/, {
      timeoutMs: bootMs,
      what: 'rollback-altboot rewriting the boot settings',
    });
  }
}
