// @sanity: upgrade-2.x.sh refuses what it must refuse, before touching anything: a clear message, a
// non-zero exit (9 when the update lock is held), no reboot, no phase past the checks, and the device
// exactly as it was (partition table, labels, boot environment, active root, os-release, /mnt/state,
// running containers, resin-data checksums). The subject is one 2.x → 2.x path (subjectPath: in a
// gate the path to the gated release, none when it is not 2.x): the device runs its source and asks
// for its target, except where the refusal needs another device (a downgrade: the target's device
// asked for the source; a 1.x device; a card whose spare root is too small).
// The setups every updater refuses (device type, registry, missing tag, lock, spare root) are the
// fault catalogue's refusal entries (harness/faults/refusals.ts); the ones below them are this updater's,
// and the catalogue's mislabelled hostOS image (the source's image served under the target's tag; without
// its labels, refused after the export: its lastPhase).
import {
  test,
  loadReleases,
  pathsFor2x,
  subjectPath,
  commonRefusals,
  spareRootTooSmall,
  mislabelledHostOsImage,
  unlabelledOtherRootImage,
  bootForRefusal,
  expectRefusal,
  versionPattern,
  type Refusal,
} from '../harness/index.ts';

const releases = await loadReleases();
const path = subjectPath(pathsFor2x(releases));
// The 2.x updater of the run's updater profile (HUPBENCH_UPDATER_PROFILE; its words for each refusal).
const UPDATER = path?.updater ?? 'upgrade-2.x.sh';
const newest1x = releases.filter((r) => r.layout === '1.x').at(-1);

const refusals: Refusal[] = !path
  ? []
  : [
      ...commonRefusals(path.from, path.to.version, '2.99.0+rev1'),
      {
        name: 'downgrade',
        fault: 'downgrade',
        device: path.to,
        target: path.from.version,
        exitCode: 1,
        message: new RegExp(
          `downgrade refused: target ${versionPattern(path.from.version)} is older than the running ${versionPattern(path.to.version)}`,
        ),
      },
      {
        name: 'not newer (the running version)',
        fault: 'not-newer',
        device: path.from,
        target: path.from.version,
        exitCode: 1,
        message: new RegExp(`already at ${versionPattern(path.from.version)}: nothing to do`),
      },
      ...(newest1x
        ? [
            {
              name: 'a 1.x device',
              fault: 'other-layout',
              device: newest1x,
              target: path.to.version,
              exitCode: 1,
              message: new RegExp(
                `this device runs resinOS ${versionPattern(newest1x.version)} \\(1\\.x\\): use upgrade-1\\.x\\.sh or upgrade-1\\.x-to-2\\.x\\.sh`,
              ),
            },
          ]
        : []),
      // A fresh 2.x card runs resin-rootA: resin-rootB is the spare.
      spareRootTooSmall(path.from, path.to.version, 'resin-rootB'),
      mislabelledHostOsImage(path.from, path.to.version),
      unlabelledOtherRootImage(path.from, path.to.version),
    ];

for (const refusal of refusals) {
  test(`${UPDATER} refuses: ${refusal.name}`, { tag: ['@sanity'] }, async ({ scenario }) => {
    await scenario.registry.publishPath(path!);
    await bootForRefusal(scenario, refusal);
    await expectRefusal(scenario, UPDATER, refusal);
  });
}
