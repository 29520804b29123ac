// A profile's link, made the way the registry-slow fault makes one: the registry container's egress
// shaped in its own network namespace (tc's token bucket for the rate, as shapeRegistry does; an
// iptables `statistic` rule dropping that share of its packets for the loss, another answering a
// share with TCP resets: this host's kernel has no netem), and the device's link taken down and up by the rig for each outage, timed from the
// start of the update. Nothing outside the registry's namespace and the board's link is touched.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { shapeRegistry, unshapeRegistry } from '../registry/registry-faults.ts';
import type { StartedRegistry } from '../registry/registry.ts';
import type { Rig } from '../rig/rig.ts';
import type { ProfileLink } from './profile-schema.ts';

const run = promisify(execFile);

async function inRegistryNetns(registry: StartedRegistry, args: string[]): Promise<void> {
  const pid = (await run('docker', ['inspect', '-f', '{{.State.Pid}}', registry.containerId])).stdout.trim();
  if (!pid || pid === '0')
    throw new Error(`The registry container ${registry.containerId.slice(0, 12)} is not running`);
  await run('nsenter', ['-t', pid, '-n', ...args]);
}

const lossRule = (percent: number) => [
  'OUTPUT',
  '-o',
  'eth0',
  '-m',
  'statistic',
  '--mode',
  'random',
  '--probability',
  String(percent / 100),
  '-j',
  'DROP',
];

/** Resets instead of drops: the registry's side of a connection killed mid-transfer (the client sees RST). */
const resetRule = (percent: number) => [
  'OUTPUT',
  '-o',
  'eth0',
  '-p',
  'tcp',
  '-m',
  'statistic',
  '--mode',
  'random',
  '--probability',
  String(percent / 100),
  '-j',
  'REJECT',
  '--reject-with',
  'tcp-reset',
];

export interface AppliedLink {
  /** What was applied, in words (for the progress and the verdict). */
  description: string;
  /** Arms the outages, timed from now (call as the update starts). */
  armOutages(rig: Rig, note: (line: string) => void): void;
  /** Ends every outage and removes the shaping. */
  restore(rig: Rig): Promise<void>;
}

export async function applyLink(registry: StartedRegistry, link: ProfileLink | undefined): Promise<AppliedLink> {
  const words: string[] = [];
  if (link?.rateKbit) {
    await shapeRegistry(registry, link.rateKbit);
    words.push(`${link.rateKbit} kbit/s`);
  }
  if (link?.lossPercent) {
    await inRegistryNetns(registry, ['iptables', '-A', ...lossRule(link.lossPercent)]);
    words.push(`${link.lossPercent}% of the registry's packets dropped`);
  }
  if (link?.resetPercent) {
    await inRegistryNetns(registry, ['iptables', '-A', ...resetRule(link.resetPercent)]);
    words.push(`${link.resetPercent}% of the registry's packets answered with a TCP reset`);
  }
  const outages = link?.outages ?? [];
  for (const o of outages) words.push(`link down ${o.seconds} s at ${o.atSecond} s into the update`);
  const timers: NodeJS.Timeout[] = [];
  return {
    description: words.join(', ') || 'no link conditions',
    armOutages(rig, note) {
      for (const o of outages) {
        timers.push(
          setTimeout(() => {
            note(`link: down for ${o.seconds} s (profile outage at ${o.atSecond} s)`);
            rig.network.down().catch(() => undefined);
            timers.push(setTimeout(() => rig.network.up().catch(() => undefined), o.seconds * 1000));
          }, o.atSecond * 1000),
        );
      }
    },
    async restore(rig) {
      for (const t of timers) clearTimeout(t);
      if (outages.length) await rig.network.up().catch(() => undefined);
      if (link?.rateKbit) await unshapeRegistry(registry);
      if (link?.lossPercent)
        await inRegistryNetns(registry, ['iptables', '-D', ...lossRule(link.lossPercent)]).catch(() => undefined);
      if (link?.resetPercent)
        await inRegistryNetns(registry, ['iptables', '-D', ...resetRule(link.resetPercent)]).catch(() => undefined);
    },
  };
}
