// @sanity: upgrade-1.x-to-2.x.sh refuses what it must refuse, before touching anything: a clear
// message, a non-zero exit (9 when the update lock is held), no reboot, no phase past the checks, and
// the device exactly as it was (partition table, labels, boot settings, active root, os-release,
// running supervisor and app, resin-data checksums). The subject is one 1.x → 2.x path (subjectPath:
// in a gate the path to the gated release, none when no 1.x device may migrate to it): the 1.x device
// runs its source with the supervisor and the app, and asks for its target, except where the refusal
// needs another device (a 2.x device; a card whose spare root is too small).
// The setups every updater refuses (device type, registry, missing tag, lock, spare root) are the
// fault catalogue's refusal entries (harness/faults/refusals.ts); the ones below them are this updater's.
import {
  test,
  loadReleases,
  pathsFor1xTo2x,
  subjectPath,
  commonRefusals,
  spareRootTooSmall,
  bootForRefusal,
  expectRefusal,
  versionPattern,
  type Refusal,
} from '../harness/index.ts';

const UPDATER = 'upgrade-1.x-to-2.x.sh';
const releases = await loadReleases();
const path = subjectPath(pathsFor1xTo2x(releases));
// The migration's "not newer" is any target that is not 2.x: every 2.x release is newer than 1.x.
const oldest1x = releases.filter((r) => r.layout === '1.x').at(0);

const refusals: Refusal[] = !path
  ? []
  : [
      ...commonRefusals(path.from, path.to.version, '2.99.0+rev1'),
      {
        name: 'a 1.x target',
        device: path.from,
        target: oldest1x!.version,
        exitCode: 1,
        message: new RegExp(
          `target ${versionPattern(oldest1x!.version)} is not a 2\\.x release: this script migrates 1\\.x to 2\\.x`,
        ),
      },
      {
        name: 'a 2.x device',
        device: path.to,
        target: path.to.version,
        exitCode: 1,
        message: new RegExp(
          `this device runs resinOS ${versionPattern(path.to.version)}, not 1\\.x: use upgrade-2\\.x\\.sh`,
        ),
      },
      // The migration writes the backup, then the 2.x root, onto resin-updt (p3).
      spareRootTooSmall(path.from, path.to.version, 'resin-updt'),
    ];

for (const refusal of refusals) {
  test(`${UPDATER} refuses: ${refusal.name}`, { tag: ['@sanity'] }, async ({ scenario }) => {
    await scenario.registry.publishPath(path!);
    await bootForRefusal(scenario, refusal);
    await expectRefusal(scenario, UPDATER, refusal);
  });
}
