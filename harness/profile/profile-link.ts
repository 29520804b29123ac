// A profile's link, made the way the registry-slow fault makes one: the registry container's egress
// shaped in its own network namespace (tc's token bucket for the rate, as shapeRegistry does; an
// iptables `statistic` rule dropping that share of its packets for the loss, another resetting
// its connections at intervals: this host's kernel has no netem), and the device's link taken down and up by the rig for each outage, timed from the
// start of the update. Nothing outside the registry's namespace and the board's link is touched.
import { inRegistryNetns, shapeRegistry, unshapeRegistry } from '../registry/registry-faults.ts';
import type { StartedRegistry } from '../registry/registry.ts';
import type { Rig } from '../rig/rig.ts';
import type { ProfileLink } from './profile-schema.ts';

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

/**
 * Resets instead of drops: while this rule stands, each TCP segment that reaches the registry is
 * answered with a reset, so the peer's side of every busy connection is killed mid-transfer and the
 * client sees it (a reset of the registry's own side instead leaves the client waiting on a silent
 * connection). By time, not by a share of packets: the interface hands iptables segments of up to
 * 64 KB (GSO), so a per-packet chance would say little about how often a download breaks.
 */
const resetRule = ['INPUT', '-i', 'eth0', '-p', 'tcp', '-j', 'REJECT', '--reject-with', 'tcp-reset'];
/** How long each reset stands: long enough to meet a segment of every busy connection. */
const RESET_MS = 300;

export interface AppliedLink {
  /** What was applied, in words (for the progress and the verdict). */
  description: string;
  /** Arms the outages, timed from now (call as the update starts). */
  armOutages(rig: Rig, note: (line: string) => void): void;
  /** How many times the registry's connections were reset so far. */
  resets(): number;
  /** Ends every outage (on the rig that had them) and removes the shaping. */
  restore(rig?: Rig): Promise<void>;
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
  const resets: { count: number; timer?: NodeJS.Timeout; standing?: Promise<unknown> } = { count: 0 };
  if (link?.resetEverySeconds) {
    resets.timer = setInterval(() => {
      resets.count += 1;
      // Kept, so the restore waits for a reset under way (nsenter takes seconds on a loaded host).
      resets.standing = inRegistryNetns(registry, ['iptables', '-I', ...resetRule])
        .then(() => new Promise((r) => setTimeout(r, RESET_MS)))
        .finally(() => inRegistryNetns(registry, ['iptables', '-D', ...resetRule]))
        .catch(() => undefined);
    }, link.resetEverySeconds * 1000);
    words.push(`the registry's connections reset every ${link.resetEverySeconds} s`);
  }
  const outages = link?.outages ?? [];
  for (const o of outages) words.push(`link down ${o.seconds} s at ${o.atSecond} s into the update`);
  const timers: NodeJS.Timeout[] = [];
  return {
    description: words.join(', ') || 'no link conditions',
    resets: () => resets.count,
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
      if (outages.length) await rig?.network.up().catch(() => undefined);
      if (link?.rateKbit) await unshapeRegistry(registry);
      if (link?.lossPercent)
        await inRegistryNetns(registry, ['iptables', '-D', ...lossRule(link.lossPercent)]).catch(() => undefined);
      clearInterval(resets.timer);
      // A reset under way at the moment of the restore is taken down before the restore returns.
      await resets.standing;
    },
  };
}
