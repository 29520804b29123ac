// One line that says which rollback mechanism acted and after how many boots, from the console's
// boot events and the breadcrumbs the device left. Pure, so it is unit-tested.
import type { BootEvent } from '../console/boot-events.ts';
import type { RollbackMechanism } from './catalogue.ts';

export interface RollbackVerdict {
  mechanism: RollbackMechanism | 'none';
  /** Boots from the reboot into the new OS until the device settled (the last login). */
  boots: number;
  /** The highest bootcount U-Boot printed during the trial, if it counted. */
  highestBootcount?: number;
  line: string;
}

export function rollbackVerdict(opts: {
  /** Boot events since the reboot into the new OS. */
  events: BootEvent[];
  stateFiles: string[];
  /** Console text since the reboot (for the boot script's own warnings). */
  consoleText: string;
  finalRoot: string;
  finalVersion: string;
}): RollbackVerdict {
  // Boots that started within the events (the one that asked for the reboot only ends there).
  const boots = new Set(opts.events.filter((e) => e.kind === 'bootloader' || e.kind === 'kernel').map((e) => e.boot))
    .size;
  const counts = opts.events
    .filter((e) => e.kind === 'bootcount')
    .map((e) => Number(e.line.match(/bootcount[=: ]+(\d+)/i)?.[1]));
  const highestBootcount = counts.length ? Math.max(...counts) : undefined;
  const where = `now on ${opts.finalRoot} (${opts.finalVersion}) after ${boots} boot${boots === 1 ? '' : 's'}`;
  const has = (f: string) => opts.stateFiles.includes(f);
  if (opts.events.some((e) => e.kind === 'bootlimit')) {
    return {
      mechanism: 'altboot',
      boots,
      highestBootcount,
      line: `rolled back by altboot: U-Boot gave up on the new OS at bootcount ${highestBootcount ?? '?'} (BOOTLIMIT) and booted the previous root${has('rollback-altboot-triggered') ? '; rollback-altboot restored the boot settings' : ', but rollback-altboot left no trace'}; ${where}`,
    };
  }
  if (has('rollback-health-triggered')) {
    return {
      mechanism: 'health',
      boots,
      highestBootcount,
      line: `rolled back by rollback-health: the new OS booted but failed its health checks and switched back; ${where}`,
    };
  }
  if (/invalid resin_root_part/.test(opts.consoleText)) {
    return {
      mechanism: 'bootloader-default',
      boots,
      highestBootcount,
      line: `bootloader default: U-Boot found an invalid resin_root_part and booted partition 2${has('rollback-altboot-triggered') ? '; rollback-altboot then rewrote sane boot settings' : ''}; ${where}`,
    };
  }
  return { mechanism: 'none', boots, highestBootcount, line: `no rollback mechanism acted; ${where}` };
}
