// WiFi networks read back where the release keeps them: 1.x in config.json's `files`
// (`network/network.config`, one connman `[service_…]` section per network), 2.x as NetworkManager
// keyfiles in resin-boot/system-connections (`resin-wifi-connect` is WiFi Connect's).
import { parseKeyfile, type WifiNetwork } from '../device/wifi-settings.ts';
import { WIFI_CONNECT_SECTION } from './profile-device.ts';

export function readWifi(layout: '1.x' | '2.x', config: Record<string, unknown>, keyfiles: string): WifiNetwork[] {
  return layout === '1.x' ? fromConnman(config) : fromKeyfiles(keyfiles);
}

function fromConnman(config: Record<string, unknown>): WifiNetwork[] {
  const text = (config.files as Record<string, string> | undefined)?.['network/network.config'] ?? '';
  const sections = parseKeyfile(text.replace(/^([^=\n]*?) = /gm, '$1='));
  return Object.entries(sections)
    .filter(([, kv]) => kv.Type === 'wifi')
    .map(([section, kv]) => ({
      section,
      ssid: kv.Name ?? '',
      ...(kv.Passphrase ? { passphrase: kv.Passphrase } : {}),
      ...(kv.Hidden === 'true' ? { hidden: true } : {}),
      ...(kv.Nameservers ? { nameservers: kv.Nameservers.split(',') } : {}),
    }));
}

function fromKeyfiles(text: string): WifiNetwork[] {
  return text
    .split(/^--- /m)
    .filter(Boolean)
    .map((chunk) => {
      const nl = chunk.indexOf('\n');
      return { name: chunk.slice(0, nl).trim(), file: parseKeyfile(chunk.slice(nl + 1)) };
    })
    .filter(({ file }) => file.connection?.type === 'wifi')
    .map(({ name, file }) => {
      const dns = file.ipv4?.dns?.split(';').filter(Boolean);
      return {
        section: name === 'resin-wifi-connect' ? WIFI_CONNECT_SECTION : `service_${name}`,
        ssid: file.wifi?.ssid ?? '',
        ...(file['wifi-security']?.psk ? { passphrase: file['wifi-security'].psk } : {}),
        ...(file.wifi?.hidden === 'true' ? { hidden: true } : {}),
        ...(dns?.length ? { nameservers: dns } : {}),
      };
    });
}
