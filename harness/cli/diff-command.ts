// `hupbench diff FROM TO [--device-type T] [--json] [--release-dir DIR]`: what changed between two
// releases, read from their artifact sets (packages, kernel, boot files, supervisor, image sizes).
import type { Command } from 'commander';
import { deviceTypes } from '../../images/device-types.ts';
import { useReleaseDirs } from '../release/given-releases.ts';
import { releaseContents } from '../release/release-contents.ts';
import { diffReleases, diffText } from '../release/release-diff.ts';
import { releaseManifestFor } from '../release/release-artifacts.ts';
import { type Act, collect, examples } from './command-kit.ts';
import { requireRelease } from './known.ts';
import { unknown } from './usage-error.ts';

interface DiffOptions {
  deviceType?: string;
  json?: boolean;
  releaseDir?: string[];
}

export async function diff(from: string, to: string, opts: DiffOptions): Promise<number> {
  await useReleaseDirs(opts.releaseDir ?? []);
  await requireRelease(from, 'FROM');
  await requireRelease(to, 'TO');
  const types = opts.deviceType ? [opts.deviceType] : Object.keys(deviceTypes);
  for (const t of types) if (!deviceTypes[t]) throw unknown('device type', t, Object.keys(deviceTypes));
  const diffs = [];
  for (const t of types) {
    // One after the other: the reference provider may build both releases' images.
    const a = await releaseContents(await releaseManifestFor(from, t), t);
    const b = await releaseContents(await releaseManifestFor(to, t), t);
    diffs.push(diffReleases(a, b));
  }
  console.log(opts.json ? JSON.stringify(diffs, null, 2) : diffs.map(diffText).join('\n\n'));
  return 0;
}

export function defineDiff(cli: Command, act: Act): void {
  cli
    .command('diff')
    .argument('<from>', 'the older release')
    .argument('<to>', 'the newer release')
    .description(
      'what changed between two releases, from their artifacts: OS packages and versions, kernel, boot-partition files, supervisor, image sizes',
    )
    .option('--device-type <type>', `one device type (default: every one: ${Object.keys(deviceTypes).join(', ')})`)
    .option('--json', 'JSON instead of text')
    .option('--release-dir <dir>', 'a release folder (release.yaml and its artifacts); repeatable', collect)
    .addHelpText(
      'after',
      examples(
        'hupbench diff 2.9.7+rev1 2.12.3+rev1',
        'hupbench diff 2.12.3+rev1 2.13.0 --release-dir /srv/releases/2.13.0 --device-type beaglebone-black --json',
      ),
    )
    .action(act((from, to, opts) => diff(from, to, opts)));
}
