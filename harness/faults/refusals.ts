// Refusal setups: what every updater must refuse before it touches anything (another device type in
// config.json, an unreachable registry, a version with no image, a held update lock, a spare root too
// small for the target; a mislabelled hostOS image under the target's tag: mislabelled-hostos.ts). Each entry makes the case for a subject; the messages are the reference
// updaters' (an updater profile may word a case its own way: refusalMessage). Running a case is
// harness/scenarios/refusal.ts, asserting it harness/assertions/refusal.ts.
import { withPartitionShrunk } from '../image/card-image.ts';
import { mislabelledHostOs, unlabelledOtherRoot } from './mislabelled-hostos.ts';
import type { Release } from '../../images/lib/releases.ts';
import type { RefusalName, UpdaterContract } from '../updater/profiles/types.ts';
import type { Refusal, RefusalFault, RefusalSubject } from './types.ts';

/** A version (or any text) as a regular expression that matches it literally. */
export const versionPattern = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const unchanged = 'no reboot, no phase past the checks, and the device exactly as it was';

function needs<K extends 'missing' | 'spareLabel'>(subject: RefusalSubject, key: K, fault: string): string {
  const value = subject[key];
  if (!value) throw new Error(`The refusal ${fault} needs a subject with ${key}`);
  return value;
}

export const wrongDeviceType: RefusalFault = {
  kind: 'refusal',
  name: 'wrong-device-type',
  description: 'config.json names another device type than the OS is built for, and no --force-slug is given',
  guarantee: `exit 1 with "device type mismatch … refusing"; ${unchanged}`,
  refusal: ({ device, target }) => ({
    name: 'wrong device type (no --force-slug)',
    fault: 'wrong-device-type',
    device,
    target,
    // Any device type but the rig's own.
    arrange: async (board) => {
      const other = board.rig.deviceType === 'raspberrypi3-64' ? 'beaglebone-black' : 'raspberrypi3-64';
      await board.device.check(
        `sed -i 's/"deviceType": "[^"]*"/"deviceType": "${other}"/' /mnt/boot/config.json && sync`,
      );
      return undefined;
    },
    exitCode: 1,
    message: /device type mismatch: .*deviceType=\S+ but this OS is built for MACHINE=\S+; refusing/,
  }),
};

export const registryUnreachable: RefusalFault = {
  kind: 'refusal',
  name: 'registry-unreachable',
  description: 'the updater is pointed at a registry nothing listens on (--registry http://10.0.2.2:9)',
  guarantee: `exit 1 with "registry … unreachable"; ${unchanged}`,
  refusal: ({ device, target }) => ({
    name: 'unreachable registry',
    fault: 'registry-unreachable',
    device,
    target,
    // Port 9 on the host (discard): nothing listens there.
    registry: 'http://10.0.2.2:9',
    exitCode: 1,
    message: /registry http:\/\/10\.0\.2\.2:9 unreachable/,
  }),
};

export const missingTag: RefusalFault = {
  kind: 'refusal',
  name: 'missing-tag',
  description: 'the version asked for has no hostOS image in the registry',
  guarantee: `exit 1 with "image … not found in registry"; ${unchanged}`,
  refusal: (subject) => {
    const missing = needs(subject, 'missing', 'missing-tag');
    return {
      name: 'missing image tag',
      fault: 'missing-tag',
      device: subject.device,
      target: missing,
      exitCode: 1,
      message: new RegExp(
        `image resin/resinos:${versionPattern(missing.replace('+', '_'))}-\\S+ not found in registry`,
      ),
    };
  },
};

export const lockHeld: RefusalFault = {
  kind: 'refusal',
  name: 'lock-held',
  description: 'another process holds the update lock /var/lock/resinhup.lock',
  guarantee: `exit 9 with "another update holds the lock"; ${unchanged}`,
  refusal: ({ device, target }) => ({
    name: 'update lock held',
    fault: 'lock-held',
    device,
    target,
    arrange: async ({ device: d }) => {
      await d.check('(flock -n /var/lock/resinhup.lock sleep 600 < /dev/null > /dev/null 2>&1 &) ; sleep 1; echo held');
      return async () => void (await d.exec("pkill -f 'flock -n /var/lock/resinhup.lock' ; true"));
    },
    exitCode: 9,
    message: /another update holds the lock \/var\/lock\/resinhup\.lock/,
  }),
};

/** How small the shrunk spare root is: the reference releases' roots hold ~25 MB of files. */
const SHRUNK_SPARE_MIB = 16;

export const spareRootSmall: RefusalFault = {
  kind: 'refusal',
  name: 'spare-root-too-small',
  description: `the card's spare root is shrunk host-side to ${SHRUNK_SPARE_MIB} MiB (a fresh ext4), smaller than what the updater writes there (the target's root; a 1.x → 2.x migration: the staged OS and the tools)`,
  guarantee: `exit 1 with "spare root too small", before anything is written; ${unchanged}`,
  refusal: (subject) => {
    const spareLabel = needs(subject, 'spareLabel', 'spare-root-too-small');
    const spareMB = ((SHRUNK_SPARE_MIB * 1024 * 1024) / 1e6).toFixed(1);
    return {
      name: 'spare root too small',
      fault: 'spare-root-too-small',
      spareLabel,
      device: subject.device,
      card: (image) => withPartitionShrunk(image, spareLabel, SHRUNK_SPARE_MIB),
      target: subject.target,
      exitCode: 1,
      message: new RegExp(
        `spare root too small: \\S+ \\(${spareLabel}\\) holds ${versionPattern(spareMB)} MB but (the root filesystem of|staging) ${versionPattern(subject.target)} needs at least [\\d.]+ MB \\((the size of its files|its hostOS and the tools: the size of their compressed layers)\\)`,
      ),
    };
  },
};

export const refusalFaults: RefusalFault[] = [
  wrongDeviceType,
  registryUnreachable,
  missingTag,
  lockHeld,
  spareRootSmall,
  mislabelledHostOs,
  unlabelledOtherRoot,
];

/**
 * What every updater refuses on a device running `device` asked for `target` (published): another
 * device type, an unreachable registry, a version with no image (`missing`), and a held lock (exit 9).
 */
export function commonRefusals(device: Release, target: string, missing: string): Refusal[] {
  return [wrongDeviceType, registryUnreachable, missingTag, lockHeld].map((f) =>
    f.refusal({ device, target, missing }),
  );
}

/** The spare root (partition `spareLabel` of the release's card) shrunk below the target's files. */
export function spareRootTooSmall(device: Release, target: string, spareLabel: string): Refusal {
  return spareRootSmall.refusal({ device, target, spareLabel });
}

/**
 * The message a refusal must say with this updater: its profile's words for the case, else the
 * reference's. A profile's words are a line pattern: multiline, so `^` is any line's start in the output.
 */
export function refusalMessage(contract: UpdaterContract, refusal: Refusal): RegExp {
  const words = refusal.fault ? contract.refusals[refusal.fault as RefusalName] : undefined;
  if (!words) return refusal.message;
  const { target, registry, spareLabel } = refusal;
  const line = words({ target, running: refusal.device.version, missing: target, registry, spareLabel });
  return line.multiline ? line : new RegExp(line.source, `${line.flags}m`);
}
