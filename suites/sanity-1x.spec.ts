// @sanity: upgrade-1.x.sh refuses what it must refuse, in its own checks (before it stops anything or
// pulls the resinhup image): a clear message, a non-zero exit (9 when the update lock is held), no
// reboot, no phase past the checks, and the device exactly as it was (partition table, labels, boot
// settings, active root, os-release, running supervisor and app, resin-data checksums). The subject
// is one 1.x → 1.x path (subjectPath: in a gate the path to the gated release, none when it is not
// 1.x): the device runs its source with the supervisor and the app, and asks for its target, except
// where the refusal needs another device (a downgrade: the target's device asked for the source; a
// 2.x device; a card whose spare root is too small). Asking for the running version is not a
// refusal of the checks: the secondary answers 3 (hup-1x.spec.ts).
// The setups every updater refuses (device type, registry, missing tag, lock, spare root) are the
// fault catalogue's refusal entries (harness/faults/refusals.ts); the ones below them are this updater's.
import {
  test,
  loadReleases,
  pathsFor1x,
  subjectPath,
  commonRefusals,
  spareRootTooSmall,
  bootForRefusal,
  expectRefusal,
  versionPattern,
  type Refusal,
} from '../harness/index.ts';

const UPDATER = 'upgrade-1.x.sh';
const releases = await loadReleases();
const path = subjectPath(pathsFor1x(releases));
const newest2x = releases.filter((r) => r.layout === '2.x').at(-1);

const refusals: Refusal[] = !path
  ? []
  : [
      ...commonRefusals(path.from, path.to.version, '1.99.0'),
      {
        name: 'downgrade',
        device: path.to,
        target: path.from.version,
        exitCode: 1,
        message: new RegExp(
          `target ${versionPattern(path.from.version)} is older than the running ${versionPattern(path.to.version)}; refusing to downgrade`,
        ),
      },
      ...(newest2x
        ? [
            {
              name: 'a 2.x target',
              device: path.from,
              target: newest2x.version,
              exitCode: 1,
              message: new RegExp(
                `target ${versionPattern(newest2x.version)} is a 2\\.x release: use upgrade-1\\.x-to-2\\.x\\.sh`,
              ),
            },
            {
              name: 'a 2.x device',
              device: newest2x,
              target: path.to.version,
              exitCode: 1,
              message: new RegExp(
                `this device runs resinOS ${versionPattern(newest2x.version)}, not 1\\.x: use upgrade-2\\.x\\.sh`,
              ),
            },
          ]
        : []),
      // A fresh 1.x card runs resin-root (p2): resin-updt (p3) is the spare.
      spareRootTooSmall(path.from, path.to.version, 'resin-updt'),
    ];

for (const refusal of refusals) {
  test(`${UPDATER} refuses: ${refusal.name}`, { tag: ['@sanity'] }, async ({ scenario }) => {
    await scenario.registry.publishPath(path!);
    await bootForRefusal(scenario, refusal);
    await expectRefusal(scenario, UPDATER, refusal);
  });
}
