// New-OS faults: the updater has written the new root (run with --no-reboot); the fault breaks what
// it wrote before the reboot into it, and a rollback mechanism must bring the old OS back.
import type { NewOsFault, NewOsFaultTarget } from './types.ts';

/** Runs `edit` (shell, with $ROOT set) on the new root, mounted read-write for the moment. */
async function editNewRoot({ device, newRootDevice }: NewOsFaultTarget, edit: string): Promise<void> {
  const mnt = '/tmp/hupbench-fault-root';
  await device.check(
    `set -e; mkdir -p ${mnt}; mount -t ext4 ${newRootDevice} ${mnt}; ROOT=${mnt}; trap 'umount ${mnt}' EXIT; ${edit}; sync`,
  );
}

const brokenScript = (what: string, fault: string) =>
  `#!/bin/sh\necho "[${fault}] ${what} (hupbench fault ${fault})" > /dev/console\necho "${what}" >&2\nexit 1\n`;

/** printf text for the shell, single-quoted. */
const shQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Broken new OSes: each must be caught by its rollback mechanism and end on the old OS. */
export const newOsFaultList: NewOsFault[] = [
  {
    kind: 'new-os',
    name: 'broken-init',
    description: "the new root's /sbin/init exits at once: the kernel panics on every boot of the new OS",
    guarantee: `U-Boot counts the failed boots; past the limit it boots the previous root and rollback-altboot restores the boot settings`,
    caughtBy: 'altboot',
    apply: (t) =>
      editNewRoot(
        t,
        `rm -f $ROOT/sbin/init; printf %s ${shQuote(brokenScript('init cannot start', 'broken-init'))} > $ROOT/sbin/init; chmod 755 $ROOT/sbin/init`,
      ),
  },
  {
    kind: 'new-os',
    name: 'broken-engine',
    description: "the new root's container engine binary is replaced by one that fails every command",
    guarantee: 'the new OS boots but rollback-health finds the engine broken and switches back to the previous root',
    caughtBy: 'health',
    apply: (t) =>
      editNewRoot(
        t,
        `rm -f $ROOT/usr/bin/docker; printf %s ${shQuote(brokenScript('engine: cannot start', 'broken-engine'))} > $ROOT/usr/bin/docker; chmod 755 $ROOT/usr/bin/docker`,
      ),
  },
  {
    kind: 'new-os',
    name: 'broken-supervisor',
    description: "the new OS's supervisor service fails: it removes the supervisor container and never starts one",
    guarantee:
      'the new OS boots but rollback-health never sees a running supervisor and switches back to the previous root',
    caughtBy: 'health',
    apply: (t) =>
      editNewRoot(
        t,
        `printf %s ${shQuote('#!/bin/sh\n# hupbench fault broken-supervisor: the supervisor service fails on the new OS.\ndocker rm -f resin_supervisor > /dev/null 2>&1\necho "[supervisor] cannot start the supervisor (hupbench fault broken-supervisor)" > /dev/console\nexit 1\n')} > $ROOT/etc/rc.d/S60supervisor`,
      ),
  },
  {
    kind: 'new-os',
    name: 'corrupt-boot-env',
    description: 'resinOS_uEnv.txt on resin-boot holds garbage instead of the settings the updater wrote',
    guarantee:
      'U-Boot ignores the invalid root and boots resin-rootA (partition 2); rollback-altboot then rewrites sane settings',
    caughtBy: 'bootloader-default',
    // Deterministic garbage: an invalid root, a trial flag, bytes that are not text. No NUL, so U-Boot
    // still parses what it can (a NUL would end the import early).
    apply: ({ device }) =>
      device
        .check(
          `printf 'resin_root_part=\\377\\376garbage\\nupgrade_available=1\\n\\001\\002\\177 not an environment \\377\\n%%s' > /mnt/boot/resinOS_uEnv.txt && sync`,
        )
        .then(() => undefined),
  },
];
