// User data on the device that an update must keep: seeded files under resin-data, their checksums,
// and the app's heartbeats.
import type { Device } from './device.ts';

/** Random files under resin-data that an update must keep byte for byte. */
export async function seedData(device: Device, files = 3, kib = 512): Promise<void> {
  await device.check(
    `mkdir -p /mnt/data/resin-data/userdata && for i in $(seq 1 ${files}); do head -c ${kib * 1024} /dev/urandom > /mnt/data/resin-data/userdata/file-$i.bin; done && echo "hello $(date)" > /mnt/data/resin-data/userdata/note.txt && sync`,
  );
}

/** sha256 of every file under /mnt/data/resin-data except the app's live heartbeat files. */
export async function dataChecksums(device: Device): Promise<Record<string, string>> {
  // Note: hundreds of MB of seeded data take minutes to hash on an emulated Pi (TCG): the limit is
  // for a hung device, not for a slow one.
  const out = await device.check(
    "cd /mnt/data/resin-data && find . -type f ! -name 'heartbeat*' | sort | xargs -r sha256sum",
    { timeoutMs: 15 * 60_000 },
  );
  return Object.fromEntries(
    out
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(/\s+/))
      .map(([sum, file]) => [file!, sum!]),
  );
}

/** The app's heartbeat timestamps (device clock, seconds). */
export async function heartbeats(device: Device, app = 'app'): Promise<number[]> {
  const out = await device.exec(`cat /mnt/data/resin-data/${app}/heartbeat.log 2>/dev/null`);
  return out.stdout
    .split('\n')
    .map(Number)
    .filter((n) => Number.isFinite(n) && n > 0);
}
