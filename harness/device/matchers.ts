// expect() matchers in the device's vocabulary. Failure messages say what the device has instead.
import { expect as baseExpect } from '@playwright/test';
import { layouts, type LayoutName } from '../../images/lib/layout.ts';
import type { DeviceState } from './device-state.ts';

const MiB = 1024 * 1024;

function describePartitions(state: DeviceState): string {
  return state.partitions
    .map((p) => `  p${p.number} ${p.device} ${p.label ?? '(no label)'} ${p.fs ?? '(no fs)'} ${(p.sizeBytes / MiB).toFixed(0)} MiB`)
    .join('\n');
}

export const expect = baseExpect.extend({
  /** The partition table, labels and filesystems match a resinOS layout of DESIGN.md. */
  toHaveLayout(state: DeviceState, layout: LayoutName) {
    const problems: string[] = [];
    for (const spec of layouts[layout]) {
      const part = state.partitions.find((p) => p.number === spec.number);
      if (!part) {
        problems.push(`p${spec.number} (${spec.label}) is missing`);
        continue;
      }
      if (part.label !== spec.label) problems.push(`p${spec.number} is labelled ${part.label ?? '(none)'}, expected ${spec.label}`);
      if (part.fs !== spec.fs) problems.push(`p${spec.number} (${spec.label}) is ${part.fs ?? 'unformatted'}, expected ${spec.fs}`);
      if (spec.sizeMiB && part.sizeBytes !== spec.sizeMiB * MiB) {
        problems.push(`p${spec.number} (${spec.label}) is ${(part.sizeBytes / MiB).toFixed(1)} MiB, expected ${spec.sizeMiB} MiB`);
      }
    }
    const pass = problems.length === 0;
    return {
      pass,
      name: 'toHaveLayout',
      message: () =>
        pass
          ? `expected the device not to have the ${layout} layout, but it does:\n${describePartitions(state)}`
          : `expected the ${layout} layout:\n  ${problems.join('\n  ')}\nThe device has:\n${describePartitions(state)}`,
    };
  },

  /** The running root filesystem is the partition with this label. */
  toBootFrom(state: DeviceState, label: string) {
    const pass = state.activeRoot.label === label;
    return {
      pass,
      name: 'toBootFrom',
      message: () =>
        `expected the device ${pass ? 'not ' : ''}to boot from ${label}; it runs from ${state.activeRoot.device} ` +
        `(${state.activeRoot.label ?? 'no label'}), boot env: ${JSON.stringify(state.bootEnv)}`,
    };
  },
});
