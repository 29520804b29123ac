// The device's OS as one typed value: partitions, active root, boot environment, os-release, free
// space. Gathered by one shell script (busybox + blkid) and parsed here, so parsing is unit-tested.
export interface PartitionState {
  device: string;
  number: number;
  label?: string;
  fs?: string;
  startSector: number;
  sizeBytes: number;
  mountpoint?: string;
}

export interface FilesystemUsage {
  mountpoint: string;
  sizeKiB: number;
  usedKiB: number;
  availableKiB: number;
}

/** The 1.x boot settings on resin-boot (empty on 2.x). */
export interface LegacyBootSettings {
  /** uEnv.txt (BeagleBone 1.x): `bootpart=1:2|1:3`. */
  uEnv: Record<string, string>;
  /** cmdline.txt (Raspberry Pi), its one line. */
  cmdline?: string;
  /** config.txt (Raspberry Pi firmware), key=value lines. */
  configTxt: Record<string, string>;
}

export interface DeviceState {
  partitions: PartitionState[];
  /** Sectors of the whole card holding the root (larger than the image written to it on a bench). */
  cardSectors?: number;
  activeRoot: { device: string; partition: number; label?: string };
  /** resinOS_uEnv.txt on resin-boot, as key=value pairs. */
  bootEnv: Record<string, string>;
  legacyBoot: LegacyBootSettings;
  /**
   * The root partition the boot settings select for the next boot, and which file says so:
   * resinOS_uEnv.txt (2.x), uEnv.txt (1.x BeagleBone), cmdline.txt (1.x Raspberry Pi).
   */
  bootSelects: { partition?: number; file?: 'resinOS_uEnv.txt' | 'uEnv.txt' | 'cmdline.txt' };
  /** Every file on resin-boot and its size in bytes (`./boot.scr` → 2345). */
  bootFiles: Record<string, number>;
  osRelease: Record<string, string>;
  filesystems: FilesystemUsage[];
  /** Files under /mnt/state (breadcrumbs and the like). */
  stateFiles: string[];
  /**
   * The root's files a container engine's init layer shadows (ENGINE_SHADOWED_FILES), each as
   * `missing`, `link <target>`, `empty` or `file <md5>`: a root written by `docker export` carries the
   * engine's versions unless the updater put the image's back.
   */
  engineShadowed: Record<string, string>;
}

/** What Docker's init layer adds to every container's root, over the image's own files. */
export const ENGINE_SHADOWED_FILES = ['/.dockerenv', '/etc/hostname', '/etc/hosts', '/etc/resolv.conf'];

export const snapshotScript = [
  "echo '=== cmdline'; cat /proc/cmdline",
  "echo '=== mounts'; cat /proc/mounts",
  "echo '=== blkid'; blkid",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
  'echo \'=== partitions\'; for p in /sys/class/block/*; do [ -f $p/partition ] && echo "${p##*/} $(cat $p/partition) $(cat $p/start) $(cat $p/size)"; done',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
  'echo \'=== disks\'; for d in /sys/class/block/*; do [ -f $d/partition ] || echo "${d##*/} $(cat $d/size)"; done',
  "echo '=== os-release'; cat /etc/os-release",
  "echo '=== boot-env'; cat /mnt/boot/resinOS_uEnv.txt 2>/dev/null",
  "echo '=== uenv-1x'; cat /mnt/boot/uEnv.txt 2>/dev/null",
  "echo '=== cmdline-txt'; cat /mnt/boot/cmdline.txt 2>/dev/null",
  "echo '=== config-txt'; cat /mnt/boot/config.txt 2>/dev/null",
  "echo '=== boot-files'; (cd /mnt/boot 2>/dev/null && find . -type f -exec stat -c '%s %n' {} +)",
  "echo '=== df'; df -k / /mnt/boot /mnt/state /mnt/data 2>/dev/null",
  "echo '=== state-files'; ls -1A /mnt/state 2>/dev/null",
  `echo '=== engine-shadowed'; for f in ${ENGINE_SHADOWED_FILES.join(' ')}; do if [ -L $f ]; then echo "$f link $(readlink $f)"; elif [ ! -e $f ]; then echo "$f missing"; elif [ ! -s $f ]; then echo "$f empty"; else echo "$f file $(md5sum < $f | cut -c1-32)"; fi; done`,
  'true',
].join('\n');

export function parseSnapshot(output: string): DeviceState {
  const sections = splitSections(output);
  const mounts = new Map<string, string>();
  let rootDevice = '';
  for (const line of sections.get('mounts') ?? []) {
    const [dev, where] = line.split(/\s+/);
    if (!dev || !where) continue;
    if (where === '/' && dev.startsWith('/dev/')) rootDevice = dev;
    if (dev.startsWith('/dev/')) mounts.set(dev, where);
  }
  const cmdlineRoot = (sections.get('cmdline') ?? []).join(' ').match(/\broot=(\S+)/)?.[1];
  rootDevice ||= cmdlineRoot ?? '';

  const probed = new Map<string, Record<string, string>>();
  for (const line of sections.get('blkid') ?? []) {
    const m = line.match(/^(\/dev\/\S+):\s*(.*)$/);
    if (m) probed.set(m[1]!, keyValues(m[2]!));
  }
  const partitions: PartitionState[] = (sections.get('partitions') ?? [])
    .map((line) => line.split(/\s+/))
    .filter((f) => f.length === 4)
    .map(([name, number, start, size]) => {
      const device = `/dev/${name}`;
      const info = probed.get(device) ?? {};
      return {
        device,
        number: Number(number),
        label: info.LABEL,
        fs: info.TYPE,
        startSector: Number(start),
        sizeBytes: Number(size) * 512,
        mountpoint: mounts.get(device),
      };
    })
    .sort((a, b) => a.number - b.number);
  const rootPartition = partitions.find((p) => p.device === rootDevice);
  // The disk whose name the root partition's starts with (mmcblk0 for mmcblk0p2, vda for vda2).
  const cardSectors = (sections.get('disks') ?? [])
    .map((line) => line.split(/\s+/))
    .filter(([name]) => name && rootDevice.startsWith(`/dev/${name}`))
    .map(([, size]) => Number(size))
    .find((size) => size > 0);

  const filesystems: FilesystemUsage[] = (sections.get('df') ?? [])
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f.length >= 6)
    .map((f) => ({ mountpoint: f[5]!, sizeKiB: Number(f[1]), usedKiB: Number(f[2]), availableKiB: Number(f[3]) }));

  const bootEnv = envFile(sections.get('boot-env') ?? []);
  const legacyBoot: LegacyBootSettings = {
    uEnv: envFile(sections.get('uenv-1x') ?? []),
    cmdline: sections.get('cmdline-txt')?.join(' ').trim() || undefined,
    configTxt: envFile(sections.get('config-txt') ?? []),
  };
  const bootFiles: Record<string, number> = {};
  for (const line of sections.get('boot-files') ?? []) {
    const m = line.match(/^(\d+) (.+)$/);
    if (m) bootFiles[m[2]!] = Number(m[1]);
  }
  return {
    partitions,
    cardSectors,
    activeRoot: {
      device: rootDevice,
      partition: rootPartition?.number ?? Number(rootDevice.match(/(\d+)$/)?.[1] ?? 0),
      label: rootPartition?.label,
    },
    bootEnv,
    legacyBoot,
    bootSelects: bootSelection(bootEnv, legacyBoot),
    bootFiles,
    osRelease: envFile(sections.get('os-release') ?? []),
    filesystems,
    stateFiles: (sections.get('state-files') ?? []).filter((f) => f && f !== 'lost+found'),
    engineShadowed: Object.fromEntries(
      (sections.get('engine-shadowed') ?? []).map((line) => {
        const [file, ...what] = line.split(' ');
        return [file!, what.join(' ')];
      }),
    ),
  };
}

/** 2.x settings win: a migrated card may still carry 1.x files until the updater removes them. */
function bootSelection(bootEnv: Record<string, string>, legacy: LegacyBootSettings): DeviceState['bootSelects'] {
  if (bootEnv.resin_root_part)
    return { file: 'resinOS_uEnv.txt', partition: Number(bootEnv.resin_root_part) || undefined };
  if (legacy.uEnv.bootpart)
    return { file: 'uEnv.txt', partition: Number(legacy.uEnv.bootpart.match(/^\d+:(\d+)$/)?.[1]) || undefined };
  const root = legacy.cmdline?.match(/(?:^|\s)root=\S*?(\d+)(?:\s|$)/)?.[1];
  if (legacy.cmdline !== undefined) return { file: 'cmdline.txt', partition: root ? Number(root) : undefined };
  return {};
}

function splitSections(output: string): Map<string, string[]> {
  const sections = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of output.split('\n')) {
    const header = line.match(/^=== (\S+)$/);
    if (header) {
      current = [];
      sections.set(header[1]!, current);
    } else if (current && line.trim()) current.push(line.trimEnd());
  }
  return sections;
}

function keyValues(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/(\w+)="([^"]*)"/g)) out[m[1]!] = m[2]!;
  return out;
}

/** KEY=value lines (os-release, uEnv files); quotes stripped. */
export function envFile(lines: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of lines) {
    const m = line.match(/^\s*([A-Za-z_][\w]*)=(.*)$/);
    if (m) out[m[1]!] = m[2]!.trim().replace(/^"(.*)"$/, '$1');
  }
  return out;
}

/** The parts of a DeviceState an update or a refused update must (or must not) change: not df. */
export function stableState(state: DeviceState) {
  return {
    partitions: state.partitions.map(({ device, number, label, fs, startSector, sizeBytes }) => ({
      device,
      number,
      label,
      fs,
      startSector,
      sizeBytes,
    })),
    activeRoot: state.activeRoot,
    bootEnv: state.bootEnv,
    osRelease: state.osRelease,
    stateFiles: [...state.stateFiles].sort(),
  };
}
