// What a QEMU rig does when its guest resets or halts the board: QEMU's events, turned into power
// transitions of the rig's PowerOwner (queued behind any power action asked for first).
import type { QemuRigParts } from './rig-parts.ts';
import type { RunningQemu } from './qemu-process.ts';

/**
 * QEMU's events, from the process that sent them. A guest reset or halt the rig must act on is a
 * transition queued behind whatever power action was asked for first.
 */
export function onQemuEvent(rig: QemuRigParts, from: RunningQemu, event: string, data: Record<string, unknown>): void {
  if (event === 'STOP') from.cpus = 'paused';
  else if (event === 'RESUME') from.cpus = 'running';
  // Note: a board without -no-reboot is reset by QEMU in place; only noted, for the recording.
  else if (event === 'RESET' && data.guest) rig.console.note('the OS reset the board (QEMU resets it in place)');
  else if (event === 'SHUTDOWN' && data.guest) {
    const what = data.reason === 'guest-reset' ? 'board reset' : 'halt by the OS';
    rig.owner
      .transition(what, () => (data.reason === 'guest-reset' ? afterGuestReset(rig, from) : afterGuestHalt(rig, from)))
      .catch(() => undefined);
  }
}

/** True when `from` is still the board's QEMU and powered: otherwise its event is noted and dropped. */
function stillPowered(rig: QemuRigParts, from: RunningQemu, what: string): boolean {
  if (rig.disposed()) {
    rig.owner.outcome('ignored: the rig is disposed');
    return false;
  }
  if (from !== rig.running() || from.exited) {
    rig.owner.outcome('ignored: from a QEMU since stopped');
    rig.console.note(`${what} from a QEMU the rig has since stopped: ignored`);
    return false;
  }
  if (rig.owner.state === 'off') {
    // The power was cut while the board was resetting (its event arrived after the cut).
    rig.owner.outcome('ignored: the power was off');
    rig.console.note(`${what} while the power is off: ignored, the board stays off until it is powered on`);
    return false;
  }
  return true;
}

async function afterGuestHalt(rig: QemuRigParts, from: RunningQemu): Promise<void> {
  if (!stillPowered(rig, from, 'halt')) return;
  rig.owner.set('off');
  rig.console.markPowerOff('halted by the OS');
}

/**
 * Boards that relaunch on every boot run with -no-reboot: a guest reset pauses QEMU here. A reset
 * after `reboot: Power down` is a board that cannot power off (it stays off); any other one is a
 * reboot, done by a new QEMU process whose console is attached to the same recording.
 */
async function afterGuestReset(rig: QemuRigParts, from: RunningQemu): Promise<void> {
  if (!stillPowered(rig, from, 'guest reset')) return;
  const lastRequest = rig.console.bootEvents.events.findLast((e) => e.kind === 'restart' || e.kind === 'halt');
  if (lastRequest?.kind === 'halt' && lastRequest.atMs > (rig.console.powerOnTimes().at(-1) ?? 0)) {
    await from.qmp.execute('stop').catch(() => undefined);
    rig.owner.set('off');
    rig.console.markPowerOff('halted by the OS');
    return;
  }
  rig.console.note('board reset: relaunching QEMU');
  await rig.stop();
  await rig.start();
  await rig.running()!.qmp.execute('cont');
  rig.console.note(`relaunched: QEMU pid ${rig.running()!.process.pid} running`);
}
