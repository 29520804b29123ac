// A profile's link, made the way the registry-slow fault makes one: the registry container's egress
// shaped in its own network namespace (tc's token bucket for the rate, as shapeRegistry does; an
// iptables `statistic` rule dropping that share of its packets for the loss, as this host's kernel
// has no netem; its connections killed at intervals), and the device's link taken down and up by the
// rig for each outage, timed from the start of the update. Nothing outside the registry's namespace
// and the board's link is touched.
import { inRegistryNetns, shapeRegistry, unshapeRegistry } from '../registry/registry-faults.ts';
import { REGISTRY_PORT } from '../registry/registry-image.ts';
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
 * A reset kills the registry's established connections from its side (`ss -K`: the kernel aborts
 * each socket and answers the peer with a reset), as a mobile link that drops its session ends
 * every download in flight, however slow. Rejecting the client's segments with resets for a moment
 * (the earlier way) broke a download at 4 Mbit/s, but at 80 kbit/s the reset queued behind the
 * shaper's backlog and reached the client out of its window: a 1.5 MB pull went through 6 such
 * resets unbroken (bench/engine-pull-link.ts). An idle link has nothing to break.
 */
async function resetConnections(registry: StartedRegistry): Promise<number> {
  const killed = await inRegistryNetns(registry, [
    'ss',
    '-K',
    '-H',
    '-t',
    '-n',
    'state',
    'established',
    `( sport = :${REGISTRY_PORT} )`,
  ]);
  return killed.split('\n').filter((l) => l.trim()).length;
}

export interface AppliedLink {
  /** What was applied, in words (for the progress and the verdict). */
  description: string;
  /** Arms the outages, timed from now (call as the update starts). */
  armOutages(rig: Rig, note: (line: string) => void): void;
  /** How many resets so far, and how many of them broke a connection (an idle link has none to break). */
  resets(): { applied: number; struck: number };
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
  const resets: { applied: number; struck: number; timer?: NodeJS.Timeout; standing?: Promise<unknown> } = {
    applied: 0,
    struck: 0,
  };
  if (link?.resetEverySeconds) {
    resets.timer = setInterval(() => {
      if (resets.standing) return; // the last one is still under way (a loaded host)
      resets.applied += 1;
      // Kept, so the restore waits for a reset under way (nsenter takes seconds on a loaded host).
      resets.standing = resetConnections(registry)
        .then((killed) => {
          if (killed) resets.struck += 1;
        })
        .catch(() => undefined)
        .finally(() => {
          resets.standing = undefined;
        });
    }, link.resetEverySeconds * 1000);
    words.push(`the registry's connections reset every ${link.resetEverySeconds} s`);
  }
  const outages = link?.outages ?? [];
  for (const o of outages) words.push(`link down ${o.seconds} s at ${o.atSecond} s into the update`);
  const timers: NodeJS.Timeout[] = [];
  return {
    description: words.join(', ') || 'no link conditions',
    resets: () => ({ applied: resets.applied, struck: resets.struck }),
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
