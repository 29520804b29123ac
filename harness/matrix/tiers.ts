// Which tests run on which rig, by tier, with the reason: the matrix stated as data. Playwright
// applies it per rig project (playwright.config.ts: grep / grepInvert); `hupbench nightly --list`
// prints it. A rule matches a rig by name; the first matching rule of the tier decides.
// - smoke (`npm test`): each board proves its boot and update path on every commit;
// - nightly (`npm run hil`): everything board-specific on every board, the rest where it is cheapest;
// - full (`--full`, and every release gate): everything everywhere.

export type TierName = 'smoke' | 'nightly' | 'full';

export interface TierRule {
  rig: RegExp;
  /** Only tests whose title and tags match (undefined: all). */
  grep?: RegExp;
  /** Of those, none whose title and tags match. */
  grepInvert?: RegExp;
  why: string;
}

export const tiers: Record<TierName, TierRule[]> = {
  smoke: [
    {
      rig: /^qemu-raspberrypi3$/,
      grep: /@boot\b.*@smoke/,
      why: 'the Pi boots for real at every start (QEMU cannot migrate its usb-net, so no login snapshots), has one instance and runs slower than the BeagleBone: its firmware and U-Boot boot the newest release and follow resin_root_part to resin-rootB; its update paths and rollback-health run nightly (one 2.x path took 724 s of a 20-minute CI budget with a host thread per emulated CPU, 825 s on one thread on a host loaded by three other boards)',
    },
    {
      rig: /^virtual-bench-/,
      grep: /boots from resin-rootA.*@smoke/,
      why: 'the virtual bench proves the bench plumbing (flash through the SD-mux, power through the PDU, console through ser2net, SSH at a fixed address); the emulator behind it is the BeagleBone rig, which runs the update paths',
    },
    {
      rig: /./,
      grep: /@smoke/,
      why: 'every upgrade class (2.x → 2.x, 1.x → 1.x, 1.x → 2.x) and the boot switch on the BeagleBone, the fastest board',
    },
  ],
  nightly: [
    {
      rig: /^virtual-bench-/,
      grep: /@smoke|@boot(?!-)|power cut: upgrade-2\.x\.sh in export |rollback: broken-init /,
      why: 'the interface set: flash, boot, one path per class, one power cut, one rollback — it exists to prove the bench plumbing, not to re-run the BeagleBone emulator behind it',
    },
    {
      rig: /^qemu-raspberrypi3$/,
      grepInvert:
        /power cut: |history: (?!altboot rollback)|refuses: (?!wrong device type|spare root too small)|data limit: |chain: |registry-(down|slow) |the target ships the running supervisor/,
      why: "everything board-specific: boot, every path, rollback, the faults of its own link (network-down, link-drop over its usb-net), the refusals that read the board (its device type, its spare root's size), the altboot history (U-Boot's boot count and altboot are the board's) and the device profiles of its device type (profiles/ ships none for it yet). What is the same on every board runs on the BeagleBone (--full runs it here too): the power-cut rows (the updaters' write order), the registry-side faults (registry-down, registry-slow), the other refusals (the updaters' checks of registry, lock and versions), the data limits (the backup arithmetic on the same card geometry), the chain (its steps are paths the Pi runs one by one), the same-supervisor branches (the updater's version compare) and the other histories (what an updater and rollback-health leave on the data and state partitions). The Pi bounds the night: one instance, and the slowest board",
    },
    {
      rig: /./,
      why: 'everything: the reference board of the matrix, the device profiles of profiles/ (suites/profiles.spec.ts: each profile of its device type to the newest release, and the capture round trips) among it',
    },
  ],
  full: [{ rig: /./, why: 'everything on every board (release gates, --full)' }],
};

/** The tier a run asked for: HUPBENCH_TIER, or smoke under HUPBENCH_SMOKE=1 (npm test), else nightly. */
export function currentTier(env = process.env): TierName {
  const named = env.HUPBENCH_TIER;
  if (named === 'smoke' || named === 'nightly' || named === 'full') return named;
  if (named) throw new Error(`HUPBENCH_TIER=${named} is not a tier: use smoke, nightly or full`);
  return env.HUPBENCH_SMOKE ? 'smoke' : 'nightly';
}

export function tierRule(tier: TierName, rig: string): TierRule {
  return tiers[tier].find((r) => r.rig.test(rig)) ?? { rig: /./, why: 'no rule: everything' };
}
