// The profile of hupbench's own updaters (images/updater/upgrade-*.sh): a `[hup] phase=<name>` line
// as each phase starts, `[hup] … error: …` when one fails, `[hup] rerun:` after a pre-step, logs in
// /mnt/data/resinhup/, exit 9 when another update holds the lock.
import type { UpdaterContractInput, UpdaterProfileInput } from './types.ts';

const phases = (...names: string[]) =>
  names.map((name) => ({ name, starts: new RegExp(`^\\[hup\\] phase=${name}(\\s|$)`) }));

const common = {
  flags: {
    targetVersion: '--hostos-version',
    registry: '--registry',
    supervisorVersion: '--supervisor-version',
    noReboot: '--no-reboot',
    force: '--no-require-upgrade',
    forceSlug: '--force-slug',
  },
  error: /^\[hup\] .*error: /,
  pullRetry: /^\[hup\] \S+ pull try (?<try>\d+)\/(?<of>\d+) failed: (?<image>\S+); next try in (?<wait>\d+)s$/,
  rerun: /^\[hup\] rerun:/,
  exitCodes: { '0': 'ok', '1': 'failed', '9': 'locked' },
  log: { dir: '/mnt/data/resinhup', named: /\blog:? (\/mnt\/data\/resinhup\/\S+\.log)/ },
} satisfies Partial<UpdaterContractInput>;

export const hupbenchReference: UpdaterProfileInput = {
  name: 'hupbench-reference',
  description: "hupbench's reference updaters (images/updater/upgrade-*.sh): `[hup] phase=<name>` lines",
  updaters: {
    '2x': {
      ...common,
      script: 'upgrade-2.x.sh',
      phases: phases(
        'checks',
        'stop-supervisor',
        'pull',
        'format-spare',
        'export',
        'boot-files',
        'supervisor',
        'breadcrumbs',
        'switch-boot',
        'reboot',
      ),
    },
    '1x-2x': {
      ...common,
      script: 'upgrade-1.x-to-2.x.sh',
      // stop-app and copy-root are the pre-step's (a device running from resin-updt).
      phases: phases(
        'checks',
        'stop-app',
        'copy-root',
        'stop-services',
        'remove-containers',
        'tools',
        'pull',
        'stage',
        'backup',
        'layout',
        'format',
        'restore',
        'repartition',
        'populate',
        'boot-files',
        'wifi',
        'supervisor',
        'switch-boot',
        'reboot',
      ),
    },
    '1x': {
      ...common,
      flags: { ...common.flags, force: '--force' },
      script: 'upgrade-1.x.sh',
      // The secondary (resinhup.py, in the resinhup image) announces its phases the same way.
      phases: phases(
        'checks',
        'stop-services',
        'supervisor',
        'resinhup',
        'version',
        'fingerprint',
        'pull',
        'export',
        'boot-files',
        'data-migrations',
        'switch-boot',
        'finish',
        'reboot',
      ),
      exitCodes: { '0': 'ok', '1': 'failed', '2': 'step-done', '3': 'already-there', '9': 'locked' },
    },
  },
};
