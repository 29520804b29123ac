// Suite-side: the ~170 MB backup cap of upgrade-1.x-to-2.x.sh, as its log reports it and as its
// refusal words it. Shared by the data-limit suite and the history that is refused over the cap and
// then migrates once data was moved off.
import { expect, test } from '@playwright/test';
import { describeRun, type HupRun } from '../updater/runner.ts';

/** The cap the updater reported (the free space of the reformatted spare root), in MB; NaN when it did not. */
export const capReportedMB = (run: HupRun): number =>
  Number(run.log.match(/backup space on \S+: ([\d.]+) MB \(the cap\)/)?.[1]);

/** The size of the verified backup, in MB; undefined when the backup was not made. */
export const backupMB = (run: HupRun): number | undefined =>
  Number(run.log.match(/backup verified: ([\d.]+) MB compressed/)?.[1]) || undefined;

/**
 * The run refused `dataMB` of resin-data in the backup phase, naming the size and the cap, with nothing
 * but the spare root touched and no reboot. The device's state is the caller's to compare.
 */
export async function expectCapRefusal(run: HupRun, dataMB: number): Promise<void> {
  const capMB = capReportedMB(run);
  const tail = run.output.split('\n').slice(-20).join('\n');
  await test.step('refused in the backup phase with a message naming the size and the cap', async () => {
    expect(run.exitCode, `upgrade-1.x-to-2.x.sh ${describeRun(run)}\n${tail}`).toBe(1);
    expect(run.phases.at(-1)?.name, 'nothing after the backup phase ran').toBe('backup');
    expect(run.error).toMatch(
      new RegExp(
        `resin-data holds ${dataMB.toFixed(1)} MB \\(\\d+ files\\) to back up, over the backup cap of ${capMB.toFixed(1)} MB`,
      ),
    );
    expect(capMB, 'the cap is the ~170 MB of the layout').toBeGreaterThan(150);
    expect(capMB).toBeLessThan(dataMB);
    expect(run.log).toMatch(/Partition table, resin-conf, resin-data, the active root and the boot settings unchanged/);
    expect(run.reboots, 'no reboot').toBe(0);
  });
}
