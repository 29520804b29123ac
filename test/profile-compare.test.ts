// The pieces of a profile that need no board: the files a data section makes, fill levels in bytes,
// WiFi written the way each layout keeps it and read back, and the field-by-field comparison that
// judges a device (and a round trip) with its stated tolerances.
import { test, expect } from '@playwright/test';
import { connmanFiles } from '../harness/device/wifi-settings.ts';
import { readWifi } from '../harness/profile/capture-wifi.ts';
import { compareProfiles, mismatchLines, TOLERANCE } from '../harness/profile/compare-profiles.ts';
import { parseProfile } from '../harness/profile/load-profile.ts';
import { keyfileTexts, profileNetworks } from '../harness/profile/profile-device.ts';
import { dataFiles, fillBytes, MB } from '../harness/profile/profile-sizes.ts';

const base = 'name: t\ndevice: { type: beaglebone-black, release: 2.9.7+rev1 }\n';
const profile = (extra: string) => parseProfile(base + extra, 'p.yaml');

test('totalMB with files splits evenly; groups give each size', () => {
  const even = dataFiles(profile('data: { totalMB: 162, files: 54 }').data);
  expect(even).toHaveLength(54);
  expect(even.reduce((s, b) => s + b, 0)).toBe(162 * MB);
  const groups = dataFiles(profile('data: { groups: [{ files: 3, sizeKB: 8000 }, { files: 2, sizeKB: 20 }] }').data);
  expect(groups).toEqual([8e6, 8e6, 8e6, 20e3, 20e3]);
});

test('a fill level is a share of the partition or a size', () => {
  expect(fillBytes('40%', 500e6)).toBe(200e6);
  expect(fillBytes('20 MB', 500e6)).toBe(20e6);
  expect(() => profile('fill: { data: 40 }')).toThrow(/fill\.data/);
});

const wifi = `config:
  wifi:
    - { ssid: Warehouse North, passphrase: "n0rth = dock#1" }
    - { ssid: south, passphrase: southdock2019, hidden: true, nameservers: [10.0.2.3, 1.1.1.1] }
  wifiConnect: { ssid: Cafe-Guest, passphrase: "wifi#connect$42" }
`;

for (const layout of ['1.x', '2.x'] as const) {
  test(`WiFi as ${layout} keeps it reads back as the profile gave it`, () => {
    const p = profile(wifi);
    const networks = profileNetworks(p);
    const keyfiles = Object.entries(keyfileTexts(networks))
      .map(([name, text]) => `--- ${name}\n${text}`)
      .join('\n');
    const read = readWifi(layout, { files: connmanFiles(networks) }, keyfiles);
    const strip = (ns: typeof read) => ns.map(({ section: _, ...n }) => n).sort((a, b) => a.ssid.localeCompare(b.ssid));
    expect(strip(read)).toEqual(strip(networks));
  });
}

test('the comparison names each mismatching field, within its tolerances', () => {
  const want = profile(
    `${wifi}data: { totalMB: 100, files: 10, compressibility: incompressible }\nfill: { data: 40% }\napp: { sizeMB: 339 }\n`,
  );
  const same = structuredClone(want);
  same.data = { compressibility: 'incompressible', groups: [{ files: 10, sizeKB: 10_000 + 50 }] };
  same.fill = { data: `${40 + TOLERANCE.fillPoints}%` };
  same.app = { sizeMB: 339 * (1 + TOLERANCE.appShare / 2) };
  same.device.supervisor = '7.4.3';
  expect(mismatchLines(compareProfiles(want, same, { supervisor: '7.4.3' }))).toEqual([]);

  const off = structuredClone(same);
  off.config!.wifi = off.config!.wifi.slice(1);
  off.data = { compressibility: 'compressible', groups: [{ files: 9, sizeKB: 10_000 }] };
  off.fill = { data: '30%' };
  off.device.supervisor = '7.16.6';
  const lines = mismatchLines(compareProfiles(want, off, { supervisor: '7.4.3' }));
  expect(lines).toEqual([
    'device.supervisor: the profile says 7.4.3, the device has 7.16.6',
    'config.wifi: the profile says ["Warehouse North","south"], the device has ["south"]',
    'data (total MB): the profile says 100.0, the device has 90.0',
    'data (files): the profile says 10, the device has 9',
    'data.compressibility: the profile says incompressible, the device has compressible',
    'fill.data: the profile says 40%, the device has 30%',
  ]);
});
