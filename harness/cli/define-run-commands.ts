// The commands that run tests and deal with their results: run (one path, for reproducing a field
// failure), gate (judge a release), nightly (the matrix), merge (shards into one run), report.
import { type Command, InvalidArgumentError } from 'commander';
import { type Act, collect, count, examples, positiveNumber } from './command-kit.ts';
import { defineDiff } from './diff-command.ts';
import { gate } from './gate.ts';
import { gateCategories, type GateCategoryName } from './gate-plan.ts';
import { faultCatalogue, OUTAGE_MS } from '../faults/index.ts';
import { faultNames, faultUsage, phaseFaults } from './known.ts';
import { merge } from './merge-command.ts';
import { reproduce } from './reproduce.ts';
import { nightly, report } from './run-commands.ts';
import { profileNames } from '../updater/profiles/index.ts';

export function defineRunCommands(cli: Command, act: Act): void {
  defineRun(cli, act);
  defineGate(cli, act);
  defineNightly(cli, act);
  defineMerge(cli, act);
  defineReport(cli, act);
  defineDiff(cli, act);
}

/** `hupbench run`: one update path on one rig, optionally with a fault. */
function defineRun(cli: Command, act: Act): void {
  cli
    .command('run')
    .description(
      'run one update path on one rig, optionally with a fault, keeping every byte of evidence (for reproducing a field failure)',
    )
    .requiredOption('--rig <name>', 'the rig (rigs/<name>.yaml)')
    .option('--from <version>', 'the source OS version the device starts on (required unless --profile gives it)')
    .option('--to <version>', "the target OS version (with --profile: default the profile's target, else the newest)")
    .option(
      '--profile <file>',
      'build the device a profile describes (profiles/*.yaml: release, config.json, data, fill, app, root changes, link) and check it before the update',
    )
    .option('--fault <name>', `inject a fault: ${faultNames().join(', ')}`)
    .option('--at <phase>', `the updater phase at which a phase fault (${Object.keys(phaseFaults).join(', ')}) strikes`)
    .option(
      '--after-ms <ms>',
      "strike this long into the phase (default: the guarantee table's point for a power cut, 1000 for network-down)",
      count,
    )
    .option(
      '--outage <seconds>',
      `network-down: how long the link stays down (default ${OUTAGE_MS / 1000}, past the updaters' pull retries)`,
      count,
    )
    .option('--keep', 'leave the device up afterwards: its console in this terminal, SSH from another')
    .option(
      '--release-dir <dir>',
      'take a release from this folder (release.yaml and its artifacts); repeatable',
      collect,
    )
    .option(
      '--updater-profile <name>',
      `the updater and how to read it (harness/updater/profiles/: ${profileNames().join(', ')}; default $HUPBENCH_UPDATER_PROFILE or hupbench-reference)`,
    )
    .addHelpText(
      'after',
      examples(
        'hupbench run --rig qemu-beaglebone-black --from 2.9.7+rev1 --to 2.12.3+rev1',
        'hupbench run --rig qemu-beaglebone-black --from 2.9.7+rev1 --to 2.12.3+rev1 --updater-profile resinhup-style --fault power-cut --at export',
        'hupbench run --rig qemu-beaglebone-black --from 2.9.7+rev1 --to 2.12.3+rev1 --fault power-cut --at export --keep',
        'hupbench run --rig qemu-raspberrypi3 --from 2.0.0+rev2 --to 2.12.3+rev1 --fault power-cut --at switch-boot',
        'hupbench run --rig qemu-beaglebone-black --from 2.0.0+rev2 --to 2.9.7+rev1 --fault network-down --at pull --outage 60',
        'hupbench run --rig qemu-beaglebone-black --from 2.9.7+rev1 --to 2.12.3+rev1 --fault broken-engine',
        'hupbench run --rig qemu-beaglebone-black --from 1.30.1 --to 2.12.3+rev1',
        'hupbench run --rig qemu-beaglebone-black --from 1.26.0 --to 1.30.1 --fault power-cut --at export',
        'hupbench run --rig qemu-beaglebone-black --profile profiles/wifi-networks-2x.yaml --to 2.12.3+rev1',
      ) +
        `\nFaults (harness/faults/), by kind:\n${faultCatalogue
          .map((f) => `  ${f.name} [${f.kind}]: ${faultUsage(f)}`)
          .join(
            '\n',
          )}\nEvidence goes to results/<time>-run-…/ (results/latest): serial console whole and per boot, board-steps.json, updater.log, phases, bandwidth, DeviceState before/after, phase-timeline.html, verdict.md.\n`,
    )
    .action(act((opts) => reproduce(opts)));
}

/** `hupbench gate <version>`: judge a release on every rig. */
function defineGate(cli: Command, act: Act): void {
  cli
    .command('gate')
    .argument('<version>', 'the new OS release to gate (from images/releases.yaml or a --release-dir)')
    .description(
      'judge a release on every rig: every supported source updated to VERSION, the rollback suite with VERSION as the new OS, the refusals and the power-cut rows of every updater that installs it; one-page verdict; exit 0 pass, 1 product failure, 3 only rig failures',
    )
    .option(
      '--rig <name>',
      'only these rigs (repeatable, or comma-separated; default: every rig wired to this host)',
      collect,
    )
    .option(
      '--quick',
      'only a named sample of the power-cut rows (the verdict lists it); every other check runs in full',
    )
    .option(
      '--only <categories>',
      `judge only these categories (comma-separated: ${gateCategories.join(', ')}); the verdict says the gate was partial`,
      (v: string) => {
        const named = v
          .split(',')
          .map((c) => c.trim())
          .filter(Boolean);
        const unknownOnes = named.filter((c) => !(gateCategories as readonly string[]).includes(c));
        if (unknownOnes.length || !named.length)
          throw new InvalidArgumentError(`categories are ${gateCategories.join(', ')}`);
        return named as GateCategoryName[];
      },
    )
    .option(
      '--retries <n>',
      'retries of infrastructure faults per test (default 1); a product failure is never retried',
      count,
    )
    .option(
      '--workers <n>',
      'boards at once (default 1, or HUPBENCH_WORKERS); each rig runs at most its `instances`',
      count,
    )
    .option(
      '--shard <i/n>',
      "this host's share of the gate's checks, balanced by recorded durations; `hupbench merge --gate VERSION` gives the one verdict",
    )
    .option('--no-report', 'skip building the Allure report')
    .option(
      '--release-dir <dir>',
      'take releases from this folder (release.yaml and its artifacts; repeatable), VERSION among them: the registry serves exactly its artifacts',
      collect,
    )
    .option(
      '--budget-mib <n>',
      "fail every update path whose whole update (the device's received MiB, from the updater's start until settled) exceeds N MiB, or that measured none; default: the release manifest's bandwidth.budgetMiB",
      positiveNumber,
    )
    .addHelpText(
      'after',
      examples(
        'hupbench gate 2.12.3+rev1',
        'hupbench gate 2.13.0 --release-dir /srv/releases/2.13.0 --rig qemu-beaglebone-black --only "update paths"',
        'hupbench gate 2.12.3+rev1 --rig qemu-beaglebone-black --quick',
        'hupbench gate 2.9.7+rev1 --workers 2 --retries 0',
        'hupbench gate 2.12.3+rev1 --shard 2/3',
        'hupbench gate 2.12.3+rev1 --only "update paths" --budget-mib 250',
      ),
    )
    .action(act((version, opts) => gate(version, opts)));
}

/** `hupbench nightly`: the whole matrix (npm run hil). */
function defineNightly(cli: Command, act: Act): void {
  cli
    .command('nightly')
    .description(
      'the whole matrix on every rig into one timestamped results folder: summary table, JUnit, Allure report, exit code to gate on (npm run hil)',
    )
    .option('--rig <name>', 'only these rigs (repeatable, or comma-separated)', collect)
    .option('--grep <regex>', "only tests whose title matches (Playwright's --grep)")
    .option('--retries <n>', 'retries of infrastructure faults per test (default 1)', count)
    .option(
      '--workers <n>',
      'boards at once (default 1, or HUPBENCH_WORKERS); each rig runs at most its `instances`',
      count,
    )
    .option(
      '--shard <i/n>',
      "this host's share of the matrix on n hosts, balanced by recorded durations (bench/test-durations.json); `hupbench merge` makes the shards one run",
    )
    .option('--full', 'every test on every rig (default: the nightly tier of harness/matrix/tiers.ts)')
    .option('--list', 'list what each rig runs in the tier and why, and run nothing')
    .option('--no-report', 'skip building the Allure report')
    .addHelpText(
      'after',
      examples(
        'npm run hil',
        'hupbench nightly --list',
        'hupbench nightly --rig qemu-beaglebone-black',
        'hupbench nightly --grep @rollback',
        'hupbench nightly --workers 2 --shard 1/3',
      ),
    )
    .action(act((opts) => nightly(opts)));
}

/** `hupbench merge`: the shards of one run into one run folder. */
function defineMerge(cli: Command, act: Act): void {
  cli
    .command('merge')
    .argument('<results-folders...>', "the shards' results folders (each with the blob report a --shard run writes)")
    .description(
      'merge the shards of one run (nightly or gate --shard i/n on several hosts) into one run folder: one JUnit, summary, guarantee table, Allure report, exit code',
    )
    .option('--gate <version>', 'the shards were a gate of this release: write its one verdict')
    .option('--quick', 'with --gate: the shards ran the --quick sample of power cuts')
    .option(
      '--budget-mib <n>',
      "with --gate: the whole update's budget per path (as gate's --budget-mib)",
      positiveNumber,
    )
    .option(
      '--record-durations',
      'save the merged durations in bench/test-durations.json, which balances the next shards',
    )
    .option('--no-report', 'skip building the Allure report')
    .addHelpText(
      'after',
      examples(
        'hupbench merge results/*-nightly-shard-*-of-3',
        'hupbench merge --gate 2.12.3+rev1 shard1/ shard2/ shard3/',
        'hupbench merge --record-durations results/*-nightly-shard-*',
      ),
    )
    .action(act((dirs, opts) => merge(dirs, opts)));
}

/** `hupbench report`: a run's Allure report, built and served. */
function defineReport(cli: Command, act: Act): void {
  cli
    .command('report')
    .argument('[results-folder]', 'a results folder (default results/latest)')
    .description('build the Allure report of a run (timelines, categories, bandwidth chart) and serve it on loopback')
    .option('--no-serve', 'build only')
    .option('--no-build', 'serve what was built before')
    .option('--port <n>', 'port to serve on (default: a free one)', count)
    .addHelpText(
      'after',
      examples('npm run report', 'hupbench report results/2026-11-26T21-40-05Z-nightly', 'hupbench report --no-serve'),
    )
    .action(act((dir, opts) => report(dir, opts)));
}
