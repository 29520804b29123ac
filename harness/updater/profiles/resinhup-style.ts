// The profile of an updater that speaks the way balena's resinhup shell updaters do: lines
// `[<seconds since start, 9 digits>][LOG|WARNING|ERROR]<message>`, an ERROR line ends the run with
// exit 1, a held /var/lock/resinhup.lock is exit 9, no phase markers (each step opens with a line of
// its own words), `--resinos-registry`, logs under /mnt/data/balenahup/ without saying where.
// Its 2.x updater: images/updater/resinhup-style/resinhup-2.x.sh.
import { versionPattern } from './words.ts';
import type { RefusalCase, UpdaterProfileInput } from './types.ts';

const line = (level: 'LOG' | 'WARNING' | 'ERROR', words: string) => new RegExp(`^\\[\\d{9}\\]\\[${level}\\]${words}`);
const error = (words: string) => line('ERROR', words);
const notNewer = ({ target, running }: RefusalCase) =>
  error(
    `Target OS version ${versionPattern(target)} is not newer than the running ${versionPattern(running)}, not updating`,
  );

export const resinhupStyle: UpdaterProfileInput = {
  name: 'resinhup-style',
  description: 'an updater that logs like resinhup: `[000000012][LOG]…` lines, its own words for each step',
  updaters: {
    '2x': {
      script: 'resinhup-style/resinhup-2.x.sh',
      flags: {
        targetVersion: '--hostos-version',
        registry: '--resinos-registry',
        supervisorVersion: '--supervisor-version',
        noReboot: '--no-reboot',
        forceSlug: '--force-slug',
      },
      phases: [
        { name: 'checks', starts: line('LOG', 'Checking the device and the target release') },
        { name: 'stop-supervisor', starts: line('LOG', 'Stopping the supervisor') },
        { name: 'pull', starts: line('LOG', 'Downloading hostOS image ') },
        { name: 'format-spare', starts: line('LOG', 'Creating filesystem on inactive partition ') },
        { name: 'export', starts: line('LOG', 'Unpacking hostOS root filesystem onto ') },
        { name: 'boot-files', starts: line('LOG', 'Copying boot partition files') },
        { name: 'supervisor', starts: line('LOG', 'Checking for a supervisor update') },
        { name: 'breadcrumbs', starts: line('LOG', 'Leaving rollback breadcrumbs') },
        { name: 'switch-boot', starts: line('LOG', 'Pointing the bootloader at partition ') },
        { name: 'reboot', starts: line('LOG', 'Rebooting into the new hostOS') },
      ],
      error: error(''),
      pullRetry: line(
        'WARNING',
        "Couldn't pull (?<image>\\S+), was try #(?<try>\\d+) of (?<of>\\d+); retrying in (?<wait>\\d+)s$",
      ),
      exitCodes: { '0': 'ok', '1': 'failed', '9': 'locked' },
      log: { dir: '/mnt/data/balenahup' },
      failures: {
        'network-down': error('Could not download resin/resinos:'),
        'registry-down': error('Could not download resin/resinos:'),
      },
      refusals: {
        'wrong-device-type': () =>
          error(
            'Unsupported device type: config.json says \\S+, this hostOS is built for \\S+ \\(override with --force-slug\\)',
          ),
        'registry-unreachable': ({ registry }) => error(`Cannot reach registry ${versionPattern(registry ?? '')}`),
        'missing-tag': ({ missing }) =>
          error(`No hostOS image resin/resinos:${versionPattern((missing ?? '').replace('+', '_'))}-\\S+ in registry`),
        'lock-held': () => line('WARNING', 'Another update is running \\(lock /var/lock/resinhup\\.lock held\\)'),
        'spare-root-too-small': ({ spareLabel, target }) =>
          error(
            `Inactive partition \\S+ \\(${spareLabel}\\) too small: [\\d.]+ MB, hostOS ${versionPattern(target)} needs [\\d.]+ MB`,
          ),
        // The running release's image served under the target's tag: its labels name the running version.
        'mislabelled-hostos': ({ target, running }) =>
          error(
            `Image resin/resinos:${versionPattern(target.replace('+', '_'))}-\\S+ is labelled hostOS ${versionPattern(running)} for \\S+, not ${versionPattern(target)} for \\S+: mislabelled release, not updating`,
          ),
        // The same without its labels: told from the exported root's os-release.
        'mislabelled-root': ({ target, running }) =>
          error(
            `The image holds hostOS '${versionPattern(running)}' for '\\S+', not ${versionPattern(target)} for \\S+: mislabelled release, bootloader untouched`,
          ),
        downgrade: notNewer,
        'not-newer': notNewer,
        'other-layout': ({ running }) =>
          error(`Host OS ${versionPattern(running)} is 1\\.x: this updater only updates 2\\.x devices`),
      },
    },
  },
};
