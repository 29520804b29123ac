// WiFi settings across the 1.x → 2.x migration. 1.x keeps them in config.json's `files`: connman's
// `network/settings` and `network/network.config` (one `[service_<name>]` section per network; the
// WiFi Connect app saved the network it was given as `service_wifi_connect`). 2.x keeps them as
// NetworkManager keyfiles in resin-boot/system-connections/. The expected keyfiles are derived here
// from the same networks, independently of the updater's conversion.
import type { Device } from './device.ts';

export interface WifiNetwork {
  /** The connman section: `service_home_wifi` (1.x WiFi settings), `service_wifi_connect` (WiFi Connect). */
  section: string;
  ssid: string;
  passphrase?: string;
  hidden?: boolean;
  nameservers?: string[];
}

/** A lab's 1.x WiFi: the configured network and the one WiFi Connect was given, awkward characters included. */
export const labWifiNetworks: WifiNetwork[] = [
  {
    section: 'service_home_wifi',
    ssid: 'hupbench lab 2.4GHz',
    passphrase: 'correct horse = battery staple',
    hidden: true,
    nameservers: ['10.0.2.3', '8.8.8.8'],
  },
  { section: 'service_wifi_connect', ssid: 'Cafe-Guest', passphrase: 'wifi#connect$42' },
];

/** config.json `files` as a 1.x device has them. */
export function connmanFiles(networks: WifiNetwork[]): Record<string, string> {
  const sections = ['[service_home_ethernet]\nType = ethernet\nNameservers = 8.8.8.8,8.8.4.4'];
  for (const n of networks) {
    const lines = [`[${n.section}]`];
    if (n.hidden) lines.push('Hidden = true');
    lines.push('Type = wifi', `Name = ${n.ssid}`);
    if (n.passphrase) lines.push(`Passphrase = ${n.passphrase}`);
    if (n.nameservers?.length) lines.push(`Nameservers = ${n.nameservers.join(',')}`);
    sections.push(lines.join('\n'));
  }
  return {
    'network/settings':
      '[global]\nOfflineMode=false\n\n[WiFi]\nEnable=true\nTethering=false\n\n[Wired]\nEnable=true\nTethering=false\n\n[Bluetooth]\nEnable=true\nTethering=false',
    'network/network.config': sections.join('\n\n'),
  };
}

/** The keyfile name a section migrates to (DESIGN.md: resin-wifi, resin-wifi-connect). */
export function keyfileName(section: string): string {
  if (section === 'service_home_wifi') return 'resin-wifi';
  return `resin-${section.replace(/^service_/, '').replace(/_/g, '-')}`;
}

/** What each keyfile must say, by keyfile name: the settings NetworkManager reads for these networks. */
export function expectedKeyfiles(networks: WifiNetwork[]): Record<string, Record<string, Record<string, string>>> {
  return Object.fromEntries(
    networks.map((n) => {
      const name = keyfileName(n.section);
      const file: Record<string, Record<string, string>> = {
        connection: { id: name, type: 'wifi' },
        wifi: { ...(n.hidden ? { hidden: 'true' } : {}), mode: 'infrastructure', ssid: n.ssid },
        ipv4: { method: 'auto', ...(n.nameservers?.length ? { dns: `${n.nameservers.join(';')};` } : {}) },
        ipv6: { 'addr-gen-mode': 'stable-privacy', method: 'auto' },
      };
      if (n.passphrase) file['wifi-security'] = { 'auth-alg': 'open', 'key-mgmt': 'wpa-psk', psk: n.passphrase };
      return [name, file];
    }),
  );
}

/** A keyfile (INI) as sections of key=value. */
export function parseKeyfile(text: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  let section: Record<string, string> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const header = line.match(/^\[(.+)\]$/);
    if (header) out[header[1]!] = section = {};
    else if (section && line.includes('=')) {
      const i = line.indexOf('=');
      section[line.slice(0, i)] = line.slice(i + 1);
    }
  }
  return out;
}

/** Puts the networks into config.json's `files` on a 1.x device (atomically). */
export async function writeConnmanSettings(device: Device, networks: WifiNetwork[]): Promise<void> {
  const files = JSON.stringify(connmanFiles(networks)).replace(/'/g, `'\\''`);
  await device.check(
    `jq --argjson f '${files}' '.files = $f' /mnt/boot/config.json > /mnt/boot/config.json.new && sync && mv /mnt/boot/config.json.new /mnt/boot/config.json && sync`,
  );
}

/** The keyfiles in resin-boot/system-connections, parsed, by file name. */
export async function readKeyfiles(device: Device): Promise<Record<string, Record<string, Record<string, string>>>> {
  const out = await device.check(
    'cd /mnt/boot/system-connections 2>/dev/null && for f in *; do [ -f "$f" ] && printf "=== %s\\n" "$f" && cat "$f"; done; true',
  );
  const files: Record<string, Record<string, Record<string, string>>> = {};
  for (const chunk of out.split(/^=== /m).filter(Boolean)) {
    const nl = chunk.indexOf('\n');
    files[chunk.slice(0, nl).trim()] = parseKeyfile(chunk.slice(nl + 1));
  }
  return files;
}
