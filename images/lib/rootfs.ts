// Assembles the reference OS root filesystem tree on the host (no chroot): Debian userland packages,
// busybox applet links, the overlay from images/rootfs-overlay, and the per-release files.
import { $ } from 'zx';
import { cp, mkdir, rm, symlink, writeFile, lstat } from 'node:fs/promises';
import path from 'node:path';
import type { DeviceTypeProfile } from '../device-types.ts';

const qemuUser: Record<DeviceTypeProfile['arch'], string> = { armhf: 'qemu-arm-static', arm64: 'qemu-aarch64-static' };

export interface RootfsSpec {
  tree: string;
  deviceType: string;
  profile: DeviceTypeProfile;
  version: string;
  layout: '1.x' | '2.x';
  overlayDir: string;
  /** The engine's own overlay, copied over overlayDir; `skip` are overlayDir files it replaces. */
  engineOverlay?: { dir: string; skip: string[] };
  authorizedKey: string;
}

/** Removes what a device never reads: documentation, manuals, locales. */
export async function prune(tree: string): Promise<void> {
  for (const d of [
    'usr/share/doc',
    'usr/share/man',
    'usr/share/locale',
    'usr/share/lintian',
    'usr/share/info',
    'usr/share/bug',
  ]) {
    await rm(path.join(tree, d), { recursive: true, force: true });
  }
}

/** Creates a link for every busybox applet, never replacing a real binary from a package. */
export async function linkBusyboxApplets(tree: string, profile: DeviceTypeProfile): Promise<void> {
  // Note: the applet list is asked of the target binary itself (under qemu-user), so it always
  // matches the busybox actually shipped.
  const out = await $`${qemuUser[profile.arch]} ${path.join(tree, 'bin/busybox')} --list-full`;
  for (const applet of out.stdout.split('\n').filter(Boolean)) {
    const target = path.join(tree, applet);
    if (await exists(target)) continue;
    await mkdir(path.dirname(target), { recursive: true });
    await symlink('/bin/busybox', target);
  }
}

export async function writeReleaseFiles(spec: RootfsSpec): Promise<void> {
  const { tree, profile } = spec;
  const skip = new Set((spec.engineOverlay?.skip ?? []).map((f) => path.join(spec.overlayDir, f)));
  await cp(spec.overlayDir, tree, { recursive: true, filter: (src) => !skip.has(src) });
  if (spec.engineOverlay) await cp(spec.engineOverlay.dir, tree, { recursive: true });
  for (const d of [
    'proc',
    'sys',
    'dev',
    'run',
    'tmp',
    'var',
    'mnt/boot',
    'mnt/state',
    'mnt/data',
    'root/.ssh',
    'etc/dropbear',
  ]) {
    await mkdir(path.join(tree, d), { recursive: true });
  }
  // 1.x mounts resin-conf there (the root is read-only, so the mount point must be in the image).
  if (spec.layout === '1.x') await mkdir(path.join(tree, 'mnt/conf'), { recursive: true });
  const versionId = spec.version.split('+')[0];
  const files: Record<string, string> = {
    'etc/os-release': [
      'ID="resin-os"',
      'NAME="resinOS"',
      `VERSION="${spec.version}"`,
      `VERSION_ID="${versionId}"`,
      `PRETTY_NAME="resinOS ${spec.version}"`,
      `MACHINE="${spec.deviceType}"`,
      `RESIN_LAYOUT="${spec.layout}"`,
      '',
    ].join('\n'),
    'etc/hostname': `${spec.deviceType}\n`,
    'etc/hosts': `127.0.0.1\tlocalhost\n127.0.1.1\t${spec.deviceType}\n::1\tlocalhost ip6-localhost ip6-loopback\n`,
    'etc/inittab': [
      '::sysinit:/etc/init.d/rcS',
      `${profile.consoleTty}::respawn:/sbin/getty -L 115200 ${profile.consoleTty} vt100`,
      '::ctrlaltdel:/sbin/reboot',
      '::shutdown:/bin/umount -a -r',
      '',
    ].join('\n'),
    'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\n',
    // Development image: root logs in on the console without a password; SSH is key-only.
    'etc/shadow': 'root::19000:0:99999:7:::\n',
    'etc/group': 'root:x:0:\n',
    'etc/shells': '/bin/sh\n',
    'root/.ssh/authorized_keys': `${spec.authorizedKey.trim()}\n`,
  };
  for (const [file, text] of Object.entries(files)) await writeFile(path.join(tree, file), text);
  await rm(path.join(tree, 'etc/resolv.conf'), { force: true });
  await symlink('/run/resolv.conf', path.join(tree, 'etc/resolv.conf'));
  // `docker export` of the hostOS image gives Docker's init layer over these (an empty file each, and a
  // /.dockerenv): the image carries its own copies for the updater to put back on the new root.
  await mkdir(path.join(tree, 'usr/share/hostos'), { recursive: true });
  await $`tar -C ${tree} --owner=0 --group=0 --numeric-owner -cf ${path.join(tree, ENGINE_SHADOWED_TAR)} ${ENGINE_SHADOWED_ETC}`;
  await $`chmod 700 ${path.join(tree, 'root')} ${path.join(tree, 'root/.ssh')}`;
  await $`chmod 600 ${path.join(tree, 'etc/shadow')} ${path.join(tree, 'root/.ssh/authorized_keys')}`;
  await $`chown -R 0:0 ${tree}`;
}

/** Where a hostOS root keeps the image's own versions of the files a container engine shadows. */
export const ENGINE_SHADOWED_TAR = 'usr/share/hostos/engine-shadowed.tar';
const ENGINE_SHADOWED_ETC = ['etc/hostname', 'etc/hosts', 'etc/resolv.conf'];

async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
}
