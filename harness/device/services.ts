// The device's services as an update test sets them up and expects them: config.json pointing at the
// test's registry, the supervisor and the app running with a heartbeat.
import { APP_REFERENCE, supervisorReference } from '../../images/containers/container-images.ts';
import { selectedEngine } from '../../images/lib/engine.ts';
import { waitFor } from '../wait.ts';
import type { Rig } from '../rig/rig.ts';
import type { Device } from './device.ts';
import { expectOnDevice } from './product-wait.ts';
import { heartbeats, heartbeatsCommand, parseHeartbeats } from './user-data.ts';

const BEATS = '=== heartbeats';
/** The most a supervisor and the app pull when neither is in the engine's store (53-57 MB and the app). */
export const SERVICES_PULL_MB = 60;

/**
 * The time the real engine takes on this rig to pull and unpack `megabytes` of images, half as long
 * again (for a loaded host, or for an export of what was pulled): at the rig's imagePullMiBps. None on
 * the lean engine, whose budgets were set with its small images in them.
 */
export function pullAllowanceMs(rig: Rig, megabytes: number): number {
  if (selectedEngine() === 'lean') return 0;
  return Math.round(((1.5 * megabytes * 1e6) / 2 ** 20 / rig.config.imagePullMiBps) * 1000);
}

/**
 * How long the supervisor and the app may take to come to run when the supervisor must be pulled
 * first (a prepared source; the first 2.x boot of a migrated device): 180 s (the engine's start and the
 * containers'; the lean engine's one-layer supervisor comes up well within it) and the pull.
 */
function servicesStartMs(rig: Rig): number {
  return 180_000 + pullAllowanceMs(rig, SERVICES_PULL_MB);
}

export interface PreparedDevice {
  config: Record<string, string>;
}

/**
 * Writes /mnt/boot/config.json (registry, device type, app, supervisor of `supervisorVersion`) and
 * starts the supervisor; with `waitForApp`, waits until the app's heartbeat advances.
 */
export async function prepareDevice(
  device: Device,
  opts: {
    registry: string;
    deviceType: string;
    supervisorVersion: string;
    waitForApp?: boolean;
    configOverrides?: Record<string, string>;
  },
): Promise<PreparedDevice> {
  const config = {
    registry: opts.registry,
    deviceType: opts.deviceType,
    app: APP_REFERENCE,
    supervisorImage: supervisorReference(opts.deviceType, opts.supervisorVersion),
    ...opts.configOverrides,
  };
  const json = JSON.stringify(config, null, 2).replace(/'/g, `'\\''`);
  const write = `printf '%s\\n' '${json}' > /mnt/boot/config.json.new && sync && mv /mnt/boot/config.json.new /mnt/boot/config.json && sync`;
  // One round trip: config.json, then the supervisor it names.
  await device.check(opts.waitForApp ? `${write} && /etc/rc.d/S60supervisor start` : write);
  if (opts.waitForApp) {
    await waitFor(
      async () => {
        // One round trip per look, and few looks: the device itself waits (up to 20 s) for the app's
        // second heartbeat, reading a file once a second, before it answers with the containers and
        // the heartbeats. A look every second over SSH (a session and the docker client each time)
        // ran on the one emulated core the supervisor and the app were starting on.
        const out = await device.exec(
          `for i in $(seq 1 20); do [ "$(${heartbeatsCommand('app')} | grep -c .)" -ge 2 ] && break; sleep 1; done; ${PS_NAMES}; echo '${BEATS}'; ${heartbeatsCommand('app')}`,
          { timeoutMs: 60_000 },
        );
        const [ps = '', beatLines = ''] = out.stdout.split(`${BEATS}\n`);
        if (!ps.split('\n').includes('resin_supervisor') || !ps.split('\n').includes('app'))
          throw new Error(`running: ${ps.trim() || 'nothing'}`);
        if (parseHeartbeats(beatLines).length < 2) throw new Error('no heartbeat yet');
        return true;
      },
      {
        timeoutMs: servicesStartMs(device.rig),
        intervalMs: 1000,
        what: 'the supervisor and the app running with a heartbeat',
      },
    );
  }
  return { config };
}

/**
 * The supervisor of `supervisorVersion` and the app come to run (after an update's reboot the
 * supervisor may first have to be pulled) and the app's heartbeat advances. A product wait: not
 * coming up after an update is the update's failure, not the rig's.
 */
export async function expectSupervisorAndAppRunning(
  device: Device,
  supervisorVersion: string,
  opts: { timeoutMs?: number; when?: string } = {},
): Promise<void> {
  const when = opts.when ? ` ${opts.when}` : '';
  const what = `resin_supervisor v${supervisorVersion} and the app running${when}`;
  await expectOnDevice(
    device.rig,
    what,
    (timeoutMs) =>
      waitFor(
        async () => {
          const running = await runningContainers(device);
          const supervisor = running.find((c) => c.name === 'resin_supervisor');
          if (supervisor?.image.endsWith(`:v${supervisorVersion}`) && running.some((c) => c.name === 'app'))
            return true;
          // What the device has instead: every container, and the supervisor config.json asks for.
          const has = await device.exec('docker ps -a; grep -o "supervisorImage[^,]*" /mnt/boot/config.json');
          throw new Error(`docker ps -a:\n${has.stdout.trim() || '(nothing)'}`);
        },
        { timeoutMs, intervalMs: 2000, what, details: () => serviceConsoleLines(device) },
      ),
    opts.timeoutMs ?? Math.max(240_000, servicesStartMs(device.rig)),
  );
  const last = Math.max(0, ...(await heartbeats(device)));
  await expectOnDevice(
    device.rig,
    `the app heartbeat advancing${when}`,
    (timeoutMs) =>
      waitFor(async () => (Math.max(0, ...(await heartbeats(device))) > last ? true : undefined), {
        timeoutMs,
        intervalMs: 1000,
        what: `the app heartbeat advancing past ${last}${when}`,
      }),
    30_000,
  );
}

/** The supervisor's, the engine's and rcS's latest console lines: why the services did not come. */
function serviceConsoleLines(device: Device): string {
  const lines = device.rig.console
    .transcript()
    .split('\n')
    .filter((l) => /\[(supervisor|engine|rcS)\]/.test(l))
    .slice(-25);
  return `console:\n${lines.join('\n') || '(no supervisor, engine or rcS lines)'}`;
}

/** Lists the running containers' names; the same on the shell engine and Docker (whose `ps -q` lists IDs). */
const PS_NAMES = "docker ps --format '{{.Names}}'";

export interface RunningContainer {
  name: string;
  image: string;
}

/** The containers running on the device, by name and image reference. */
export async function runningContainers(device: Device): Promise<RunningContainer[]> {
  const out = (await device.exec("docker ps --format '{{.Names}} {{.Image}}'")).stdout;
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [name = '', image = ''] = line.trim().split(/\s+/);
      return { name, image };
    });
}
