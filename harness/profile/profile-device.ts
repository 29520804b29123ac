// The steps over SSH that make a booted, prepared device look like its profile: config.json's custom
// keys, WiFi networks where the release keeps them (1.x: connman settings in config.json's `files`;
// 2.x: NetworkManager keyfiles in resin-boot/system-connections), 1.x root files changed as the
// profile says, and partitions filled to the profile's levels.
import type { Device } from '../device/device.ts';
import { expectedKeyfiles, type WifiNetwork, writeConnmanSettings } from '../device/wifi-settings.ts';
import type { DeviceProfile, FillLevel, ProfileWifi } from './profile-schema.ts';
import { parseFill } from './profile-sizes.ts';

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Where each fillable partition is mounted, and where its fill file goes (outside resin-data's own tree). */
export const fillTargets = { root: '/', state: '/mnt/state', data: '/mnt/data' } as const;
export const FILL_FILE = 'hupbench-fill';

/** The connman section a network is saved under on 1.x (WiFi Connect's is fixed). */
export const sectionFor = (ssid: string) => `service_${ssid.toLowerCase().replace(/[^a-z0-9]+/g, '_')}`;
export const WIFI_CONNECT_SECTION = 'service_wifi_connect';

export function profileNetworks(profile: DeviceProfile): WifiNetwork[] {
  const c = profile.config;
  const as = (n: ProfileWifi, section: string): WifiNetwork => ({ section, ...n });
  return [
    ...(c?.wifi ?? []).map((n) => as(n, sectionFor(n.ssid))),
    ...(c?.wifiConnect ? [as(c.wifiConnect, WIFI_CONNECT_SECTION)] : []),
  ];
}

/** config.json keys and WiFi, as the release's layout keeps them. */
export async function applyConfig(device: Device, profile: DeviceProfile, layout: '1.x' | '2.x'): Promise<void> {
  const keys = profile.config?.keys ?? {};
  if (Object.keys(keys).length)
    await device.check(
      `jq --argjson k ${quote(JSON.stringify(keys))} '. + $k' /mnt/boot/config.json > /mnt/boot/config.json.new && sync && mv /mnt/boot/config.json.new /mnt/boot/config.json && sync`,
    );
  const networks = profileNetworks(profile);
  if (layout === '1.x') {
    if (networks.length) await writeConnmanSettings(device, networks);
    return;
  }
  const files = Object.entries(keyfileTexts(networks)).map(
    ([name, text]) => `printf '%s' ${quote(text)} > /mnt/boot/system-connections/${name}`,
  );
  if (files.length) await device.check(`mkdir -p /mnt/boot/system-connections && ${files.join(' && ')} && sync`);
}

/** NetworkManager keyfiles for the networks, by file name (what a 2.x device keeps in system-connections). */
export function keyfileTexts(networks: WifiNetwork[]): Record<string, string> {
  return Object.fromEntries(
    Object.entries(expectedKeyfiles(networks)).map(([name, sections]) => [
      name,
      Object.entries(sections)
        .map(
          ([s, kv]) =>
            `[${s}]\n${Object.entries(kv)
              .map(([k, v]) => `${k}=${v}\n`)
              .join('')}`,
        )
        .join('\n'),
    ]),
  );
}

/** 1.x: the profile's modified, added and removed root files (the root is mounted read-only otherwise). */
export async function applyRootChanges(device: Device, profile: DeviceProfile): Promise<void> {
  const c = profile.rootChanges;
  if (!c || !(c.modified.length || c.added.length || c.removed.length)) return;
  const steps = [
    ...c.modified.map((m) =>
      m.content !== undefined
        ? `[ -f ${quote(m.path)} ] && printf '%s' ${quote(m.content)} > ${quote(m.path)}`
        : `[ -f ${quote(m.path)} ] && printf '%s\\n' ${quote(m.append ?? '# changed on the field device')} >> ${quote(m.path)}`,
    ),
    ...c.added.map(
      (a) => `mkdir -p "$(dirname ${quote(a.path)})" && printf '%s' ${quote(a.content)} > ${quote(a.path)}`,
    ),
    ...c.removed.map((r) => `rm ${quote(r)}`),
  ];
  await device.check(`mount -o remount,rw / && ${steps.join(' && ')} && sync && mount -o remount,ro /`);
}

/** Each partition filled to its level: a file of zeros sized against what `df` says is used now. */
export async function applyFill(device: Device, profile: DeviceProfile): Promise<void> {
  for (const [part, mount] of Object.entries(fillTargets) as [keyof typeof fillTargets, string][]) {
    const level = profile.fill?.[part];
    if (!level) continue;
    const kb = await fillFileKB(device, mount, level);
    if (kb <= 0) continue;
    const file = `${mount === '/' ? '' : mount}/${FILL_FILE}`;
    const rw = mount === '/' ? ['mount -o remount,rw /'] : [];
    const ro = mount === '/' ? ['mount -o remount,ro /'] : [];
    await device.check(
      [...rw, `dd if=/dev/zero of=${file} bs=1000 count=${kb} 2>/dev/null`, 'sync', ...ro].join(' && '),
      { timeoutMs: 10 * 60_000 },
    );
  }
}

/** KB (1000 bytes) to write to reach `level` on the filesystem at `mount` (a small resin-conf needs KB steps). */
async function fillFileKB(device: Device, mount: string, level: FillLevel): Promise<number> {
  const fill = parseFill(level)!;
  if (fill.unit === 'MB') return Math.round(fill.value * 1000);
  const [size, used] = (await device.check(`df -k ${mount} | tail -n 1 | awk '{ print $2, $3 }'`))
    .trim()
    .split(/\s+/)
    .map((n) => Number(n) * 1024);
  return Math.round(((fill.value / 100) * size! - used!) / 1000);
}
