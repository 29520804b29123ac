// The release's part of a gate verdict: the given artifacts with their digests and what the
// registry served of them (a release from --release-dir), and what changed since the release
// before it of its layout, per device type.
import { compareVersions, loadReleases, type Release } from '../../images/lib/releases.ts';
import type { GivenReleaseCheck } from './given-releases.ts';
import { releaseContents } from './release-contents.ts';
import { diffMarkdown, diffReleases } from './release-diff.ts';
import { releaseManifestFor } from './release-artifacts.ts';
import { givenReleaseMarkdown, readRegistryRecords } from './release-verdict.ts';

export async function gateReleaseSection(
  given: GivenReleaseCheck[],
  resultsDir: string,
  target: Release,
  deviceTypes: string[],
): Promise<string> {
  const parts = ['', givenReleaseMarkdown(given, await readRegistryRecords(resultsDir))];
  const previous = (await loadReleases())
    .filter((r) => r.layout === target.layout && compareVersions(r.version, target.version) < 0)
    .sort((a, b) => compareVersions(a.version, b.version))
    .at(-1);
  for (const deviceType of new Set(deviceTypes)) {
    if (!previous) break;
    // One after the other: the reference provider may build the previous release's images.
    const contents = async (v: string) => releaseContents(await releaseManifestFor(v, deviceType), deviceType);
    const diff = await contents(previous.version)
      .then(async (a) => diffReleases(a, await contents(target.version)))
      .then(
        (d) => diffMarkdown(d),
        (e: Error) => `What changed since ${previous.version}: not computed (${e.message})\n`,
      );
    parts.push(diff);
  }
  return parts.join('\n');
}
