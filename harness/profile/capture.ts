// A profile read off a running device over SSH: its release and device type, config.json's custom
// keys and WiFi networks, resin-data's files (sizes, count, compressibility of a sample), how full
// each partition is, the app image's size, the supervisor, and on 1.x the root files that differ
// from the image's fingerprint. What a device cannot tell (its link, its history) is left out.
import { type DeviceProfile, deviceProfileSchema, HARNESS_CONFIG_KEYS } from './profile-schema.ts';
import { FILL_FILE, fillTargets, WIFI_CONNECT_SECTION } from './profile-device.ts';
import { MB } from './profile-sizes.ts';
import { readWifi } from './capture-wifi.ts';

/** Anything that runs a shell command on the device and returns its stdout (throwing on failure). */
export interface DeviceShell {
  check(command: string, opts?: { timeoutMs?: number }): Promise<string>;
}

/** Root files that differ on every device (the updaters' own allow-list): not a local change. */
const DEVICE_SPECIFIC = [
  /^\/etc\/(hostname|hosts|machine-id|timestamp|shadow)$/,
  /^\/etc\/dropbear\//,
  /^\/root\/\.ssh\/authorized_keys$/,
];
/** Modified text files up to this size are captured whole (their content is the change). */
const CONTENT_MAX = 4096;

export interface CapturedFacts {
  /** Size of each partition's fill file, MB (0 when none). */
  fillFilesMB: Record<string, number>;
  dataFiles: number;
  dataBytes: number;
}

const section = (out: string, name: string) => out.split(`=== ${name}\n`)[1]?.split(/^=== /m)[0] ?? '';

const script = [
  'echo "=== os-release"; cat /etc/os-release',
  'echo "=== config"; cat /mnt/boot/config.json',
  'echo "=== keyfiles"; cd /mnt/boot/system-connections 2>/dev/null && for f in *; do [ -f "$f" ] && printf "%s\\n" "--- $f" && cat "$f"; done; cd /',
  "echo \"=== data\"; find /mnt/data/resin-data -type f ! -name 'heartbeat*' -exec stat -c '%s %n' {} + 2>/dev/null",
  'echo "=== sample"; find /mnt/data/resin-data -type f ! -name \'heartbeat*\' -size +64k 2>/dev/null | head -n 4 | while read -r f; do echo "$(head -c 1000000 "$f" | wc -c) $(head -c 1000000 "$f" | gzip -1 | wc -c)"; done',
  `echo "=== df"; for m in ${Object.values(fillTargets).join(' ')}; do df -k $m | tail -n 1 | awk -v m=$m '{ print m, $2, $3 }'; done`,
  `echo "=== fill"; for m in ${Object.values(fillTargets).join(' ')}; do f=$m/${FILL_FILE}; [ $m = / ] && f=/${FILL_FILE}; [ -f $f ] && echo "$m $(stat -c %s $f)"; done; true`,
  'echo "=== app"; app=$(jq -r .app /mnt/boot/config.json); id=$(awk -v r="$app" \'$1 == r { print $2 }\' /mnt/data/docker/repositories 2>/dev/null); if [ -n "$id" ]; then jq \'[.config.size] + [.layers[].size] | add\' /mnt/data/docker/images/$id/manifest.json; else docker image inspect -f "{{.Size}}" "$app" 2>/dev/null; fi; true',
  'echo "=== end"',
].join('\n');

/**
 * The 1.x root as its own filesystem (a bind mount of / shows no submounts: /var, /tmp and /run are
 * mounted over it at runtime), as the 1.x secondary updater sees it at /host.
 */
const ROOT_VIEW = '/tmp/hupbench-rootview';

/** The 1.x root against /resinos.fingerprint: modified/missing files, and every file the root now has. */
const rootScript = [
  `mkdir -p ${ROOT_VIEW} && (mountpoint -q ${ROOT_VIEW} || mount --bind / ${ROOT_VIEW}) && cd ${ROOT_VIEW}`,
  "echo \"=== check\"; sed 's#  /#  ./#' resinos.fingerprint | sha256sum -c 2>&1 | grep -v ': OK$'; true",
  'echo "=== files"; find . -xdev -type f | sed "s#^\\.##" | grep -v "^/resinos.fingerprint$"',
  'echo "=== end"',
].join('\n');

export async function captureProfile(
  device: DeviceShell,
  name: string,
): Promise<{ profile: DeviceProfile; facts: CapturedFacts }> {
  const out = await device.check(script, { timeoutMs: 5 * 60_000 });
  const os = Object.fromEntries(
    section(out, 'os-release')
      .split('\n')
      .map((l) => l.match(/^(\w+)="?(.*?)"?$/))
      .filter((m): m is RegExpMatchArray => !!m)
      .map((m) => [m[1], m[2]]),
  ) as Record<string, string>;
  const config = JSON.parse(section(out, 'config')) as Record<string, unknown>;
  const version = os.VERSION ?? '';
  const layout = version.startsWith('1.') ? '1.x' : '2.x';
  const wifi = readWifi(layout, config, section(out, 'keyfiles'));
  const files = section(out, 'data')
    .split('\n')
    .filter(Boolean)
    .map((l) => Number(l.split(' ')[0]));
  const dataBytes = files.reduce((s, b) => s + b, 0);
  const sample = section(out, 'sample')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' ').map(Number) as [number, number]);
  const ratio =
    sample.reduce((s, [, z]) => s + z, 0) /
    Math.max(
      1,
      sample.reduce((s, [r]) => s + r, 0),
    );
  const { fill, fillFilesMB } = readFill(section(out, 'df'), section(out, 'fill'));
  const appBytes = Number(section(out, 'app').trim());
  const keys = Object.fromEntries(Object.entries(config).filter(([k]) => !HARNESS_CONFIG_KEYS.includes(k)));
  const supervisor = String(config.supervisorImage ?? '').match(/:v([\d.]+)$/)?.[1];
  const profile: DeviceProfile = {
    name,
    description: `captured from a running ${os.MACHINE ?? config.deviceType} on ${new Date().toISOString()}`,
    device: { type: String(config.deviceType ?? os.MACHINE), release: version, ...(supervisor ? { supervisor } : {}) },
    config: {
      keys: keys as Record<string, string>,
      wifi: wifi.filter((w) => w.section !== WIFI_CONNECT_SECTION).map(({ section: _, ...n }) => n),
      ...(wifi.find((w) => w.section === WIFI_CONNECT_SECTION)
        ? { wifiConnect: (({ section: _, ...n }) => n)(wifi.find((w) => w.section === WIFI_CONNECT_SECTION)!) }
        : {}),
    },
    ...(files.length ? { data: dataOf(files, ratio) } : {}),
    ...(Object.keys(fill).length ? { fill } : {}),
    ...(appBytes > 0 ? { app: { sizeMB: Number((appBytes / MB).toFixed(1)) } } : {}),
  };
  if (layout === '1.x') {
    const changes = await captureRootChanges(device);
    if (changes) profile.rootChanges = changes;
  }
  return { profile: deviceProfileSchema.parse(profile), facts: { fillFilesMB, dataFiles: files.length, dataBytes } };
}

/** Files grouped by size (KB, to one decimal), largest first; the sample says how compressible they are. */
function dataOf(files: number[], gzipRatio: number): NonNullable<DeviceProfile['data']> {
  const bySize = new Map<number, number>();
  for (const b of files) bySize.set(Math.round(b / 100) / 10, (bySize.get(Math.round(b / 100) / 10) ?? 0) + 1);
  return {
    compressibility: gzipRatio > 0.9 ? 'incompressible' : 'compressible',
    groups: [...bySize.entries()].sort((a, b) => b[0] - a[0]).map(([sizeKB, n]) => ({ files: n, sizeKB })),
  };
}

function readFill(df: string, fillText: string) {
  const fillFilesMB: Record<string, number> = {};
  for (const l of fillText.split('\n').filter(Boolean)) {
    const [mount, bytes] = l.split(' ');
    const part = Object.entries(fillTargets).find(([, m]) => m === mount)?.[0];
    if (part) fillFilesMB[part] = Number(bytes) / MB;
  }
  const fill: Record<string, string> = {};
  for (const l of df.split('\n').filter(Boolean)) {
    const [mount, size, used] = l.split(' ');
    const part = Object.entries(fillTargets).find(([, m]) => m === mount)?.[0];
    if (part && fillFilesMB[part]) fill[part] = `${Math.round((Number(used) / Number(size)) * 100)}%`;
  }
  return { fill, fillFilesMB };
}

async function captureRootChanges(device: DeviceShell): Promise<DeviceProfile['rootChanges']> {
  try {
    return await rootChangesInView(device);
  } finally {
    await device.check(`cd / && umount ${ROOT_VIEW}; rmdir ${ROOT_VIEW}; true`).catch(() => undefined);
  }
}

async function rootChangesInView(device: DeviceShell): Promise<DeviceProfile['rootChanges']> {
  const out = await device.check(rootScript, { timeoutMs: 10 * 60_000 });
  const local = (p: string) => !DEVICE_SPECIFIC.some((r) => r.test(p)) && p !== `/${FILL_FILE}`;
  const failed = section(out, 'check').split('\n');
  // busybox: `./x: FAILED` for a changed file, and `can't open './x'` before it for a missing one.
  const removed = failed
    .map((l) => l.match(/can't open '\.(\/[^']+)'/)?.[1])
    .filter((p): p is string => !!p && local(p));
  const modifiedPaths = failed
    .map((l) => l.match(/^\.(\/\S+): FAILED$/)?.[1])
    .filter((p): p is string => !!p && local(p) && !removed.includes(p));
  const fingerprinted = new Set(await fingerprintPaths(device));
  const added = section(out, 'files')
    .split('\n')
    .filter((p) => p && !fingerprinted.has(p) && local(p));
  const modified = [];
  for (const p of modifiedPaths) {
    const size = Number((await device.check(`stat -c %s '${ROOT_VIEW}${p}'`)).trim());
    const content = size <= CONTENT_MAX ? await device.check(`cat '${ROOT_VIEW}${p}'`) : undefined;
    modified.push({ path: p, ...(content !== undefined ? { content } : {}) });
  }
  const addedWith = [];
  for (const p of added)
    addedWith.push({ path: p, content: await device.check(`head -c ${CONTENT_MAX} '${ROOT_VIEW}${p}'`) });
  if (!modified.length && !addedWith.length && !removed.length) return undefined;
  return { modified, added: addedWith, removed };
}

async function fingerprintPaths(device: DeviceShell): Promise<string[]> {
  return (await device.check("awk '{ print $2 }' /resinos.fingerprint")).split('\n').filter(Boolean);
}
