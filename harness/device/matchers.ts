// expect() matchers in the device's vocabulary. Failure messages say what the device has instead.
import { expect as baseExpect } from '@playwright/test';
import { placePartitions, type LayoutName } from '../../images/lib/layout.ts';
import { stableState, type DeviceState } from './device-state.ts';

const MiB = 1024 * 1024;

function describePartitions(state: DeviceState): string {
  return state.partitions
    .map(
      (p) =>
        `  p${p.number} ${p.device} ${p.label ?? '(no label)'} ${p.fs ?? '(no fs)'} at ${((p.startSector * 512) / MiB).toFixed(0)} MiB, ${(p.sizeBytes / MiB).toFixed(0)} MiB`,
    )
    .join('\n');
}

/** What a refused update must leave exactly as it was: table, labels, filesystems, boot settings and files, root, OS. */
export function unchangeableParts(state: DeviceState) {
  return {
    // Device names aside: the table, labels, filesystems and geometry.
    partitions: stableState(state).partitions.map(({ device: _, ...part }) => part),
    activeRoot: state.activeRoot,
    bootEnv: state.bootEnv,
    legacyBoot: state.legacyBoot,
    bootSelects: state.bootSelects,
    bootFiles: state.bootFiles,
    osRelease: state.osRelease,
    stateFiles: [...state.stateFiles].sort(),
  };
}

function differences(before: unknown, after: unknown, at = ''): string[] {
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  if (before && after && typeof before === 'object' && typeof after === 'object' && !Array.isArray(before)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    return keys.flatMap((k) =>
      differences((before as Record<string, unknown>)[k], (after as Record<string, unknown>)[k], at ? `${at}.${k}` : k),
    );
  }
  return [`${at}: was ${JSON.stringify(before)}, now ${JSON.stringify(after)}`];
}

/**
 * The device's account, after the matcher's hint (`expect(received).toBootFrom(expected)`) as built-in
 * matchers print it: how reporters (Playwright's JUnit: `<failure>`, not `<error>`) know an assertion.
 */
function hinted(
  ctx: {
    utils: { matcherHint(name: string, received?: string, expected?: string, options?: { isNot?: boolean }): string };
    isNot?: boolean;
  },
  name: string,
  text: string,
): string {
  return `${ctx.utils.matcherHint(name, undefined, undefined, { isNot: ctx.isNot })}\n\n${text}`;
}

export const expect = baseExpect.extend({
  /**
   * Nothing a refused update may not touch has changed since `before`: the partition table, labels
   * and filesystems, the active root, the boot settings (2.x and 1.x) and resin-boot's files, the OS.
   */
  toBeUnchangedFrom(state: DeviceState, before: DeviceState) {
    const problems = differences(unchangeableParts(before), unchangeableParts(state));
    const pass = problems.length === 0;
    return {
      pass,
      name: 'toBeUnchangedFrom',
      message: () =>
        hinted(
          this,
          'toBeUnchangedFrom',
          pass
            ? 'expected the device to have changed, but it is as it was'
            : `expected the device unchanged, but:\n  ${problems.join('\n  ')}`,
        ),
    };
  },

  /**
   * The new root holds the image's own versions of the files a container engine's init layer shadows
   * (ENGINE_SHADOWED_FILES): no /.dockerenv, and no empty /etc/hostname, /etc/hosts or
   * /etc/resolv.conf where the OS `before` the update had its own. An updater that writes the root with
   * `docker export` gets Docker's versions unless it puts the image's back.
   */
  toHoldTheImagesOwnRootFiles(state: DeviceState, before: DeviceState) {
    const problems = Object.entries(state.engineShadowed)
      .filter(([file, now]) => {
        const was = before.engineShadowed[file];
        const enginesVersion = file === '/.dockerenv' ? now !== 'missing' : now === 'empty';
        return now !== was && enginesVersion;
      })
      .map(
        ([file, now]) =>
          `${file} is ${now} (the engine's), before the update it was ${before.engineShadowed[file] ?? 'unknown'}`,
      );
    if (!Object.keys(state.engineShadowed).length) problems.push('the snapshot read none of the shadowed files');
    const pass = problems.length === 0;
    return {
      pass,
      name: 'toHoldTheImagesOwnRootFiles',
      message: () =>
        hinted(
          this,
          'toHoldTheImagesOwnRootFiles',
          pass
            ? "expected engine-made files in the root, but it holds the image's own"
            : `expected the root to hold the image's own files, not the container engine's init layer:\n  ${problems.join('\n  ')}`,
        ),
    };
  },

  /** The boot settings (resinOS_uEnv.txt, or 1.x uEnv.txt / cmdline.txt) select this root partition for the next boot. */
  toSelectRoot(state: DeviceState, partition: number) {
    const pass = state.bootSelects.partition === partition;
    return {
      pass,
      name: 'toSelectRoot',
      message: () =>
        hinted(
          this,
          'toSelectRoot',
          `expected the boot settings ${pass ? 'not ' : ''}to select partition ${partition}; ${state.bootSelects.file ?? 'no boot settings file'} selects ${state.bootSelects.partition ?? 'nothing'} ` +
            `(resinOS_uEnv.txt ${JSON.stringify(state.bootEnv)}, uEnv.txt ${JSON.stringify(state.legacyBoot.uEnv)}, cmdline.txt ${JSON.stringify(state.legacyBoot.cmdline ?? null)})`,
        ),
    };
  },

  /** The partition table, labels and filesystems match a resinOS layout of DESIGN.md. */
  toHaveLayout(state: DeviceState, layout: LayoutName) {
    const problems: string[] = [];
    // Where each partition starts and how big it is, as the builder places them (resin-data: the rest of
    // the card, whatever its size, so only its start).
    for (const spec of placePartitions(layout)) {
      const part = state.partitions.find((p) => p.number === spec.number);
      if (!part) {
        problems.push(`p${spec.number} (${spec.label}) is missing`);
        continue;
      }
      if (part.label !== spec.label)
        problems.push(`p${spec.number} is labelled ${part.label ?? '(none)'}, expected ${spec.label}`);
      if (part.fs !== spec.fs)
        problems.push(`p${spec.number} (${spec.label}) is ${part.fs ?? 'unformatted'}, expected ${spec.fs}`);
      if (spec.sizeMiB && part.sizeBytes !== spec.sizeBytes) {
        problems.push(
          `p${spec.number} (${spec.label}) is ${(part.sizeBytes / MiB).toFixed(1)} MiB, expected ${spec.sizeMiB} MiB`,
        );
      }
      if (part.startSector * 512 !== spec.startBytes)
        problems.push(
          `p${spec.number} (${spec.label}) starts at ${((part.startSector * 512) / MiB).toFixed(1)} MiB, expected ${spec.startBytes / MiB} MiB`,
        );
    }
    const pass = problems.length === 0;
    return {
      pass,
      name: 'toHaveLayout',
      message: () =>
        hinted(
          this,
          'toHaveLayout',
          pass
            ? `expected the device not to have the ${layout} layout, but it does:\n${describePartitions(state)}`
            : `expected the ${layout} layout:\n  ${problems.join('\n  ')}\nThe device has:\n${describePartitions(state)}`,
        ),
    };
  },

  /** The running root filesystem is the partition with this label. */
  toBootFrom(state: DeviceState, label: string) {
    const pass = state.activeRoot.label === label;
    return {
      pass,
      name: 'toBootFrom',
      message: () =>
        hinted(
          this,
          'toBootFrom',
          `expected the device ${pass ? 'not ' : ''}to boot from ${label}; it runs from ${state.activeRoot.device} ` +
            `(${state.activeRoot.label ?? 'no label'}), boot env: ${JSON.stringify(state.bootEnv)}`,
        ),
    };
  },
});
