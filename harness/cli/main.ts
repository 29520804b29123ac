// `hupbench`: the command line for the three users — nightly runs (`nightly`, `report`), engineers
// reproducing field failures (`run`, `console`, `flash`, `check`), release gating (`gate`) — plus
// the catalogue (`paths`, `images`). Bad input is refused before anything starts, naming the
// known values; exit codes: 0 ok, 1 a product failure, 2 bad input (every parse error too), 3 only
// rig failures (harness/report/run-exit-code.ts).
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { InfraError } from '../errors.ts';
import { consoleCommand, check, flash } from './board-commands.ts';
import { images, paths } from './catalogue-commands.ts';
import { faultNames, phaseFaults } from './known.ts';
import { gate, gateCategories, type GateCategoryName } from './gate.ts';
import { merge } from './merge-command.ts';
import { reproduce } from './reproduce.ts';
import { nightly, report } from './run-commands.ts';
import { UsageError } from './usage-error.ts';

const examples = (...lines: string[]) => `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
const collect = (value: string, previous: string[] = []) => [...previous, ...value.split(',').filter(Boolean)];
const count = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('a whole number, 0 or more');
  return n;
};

let exitCode = 0;
const act =
  <A extends unknown[]>(body: (...args: A) => Promise<number>) =>
  async (...args: A) => {
    exitCode = await body(...args);
  };

export interface Embedding {
  /** Where commander writes help and its own errors (default: stdout/stderr). */
  output?: { writeOut(text: string): void; writeErr(text: string): void };
}

export function program(embedding: Embedding = {}): Command {
  const cli = new Command('hupbench');
  // Note: commander throws instead of exiting the process, so that main() turns its parse errors
  // into exit code 2 (bad input), like every other refusal; embedded (in a test) it also writes elsewhere.
  cli.exitOverride();
  if (embedding.output) cli.configureOutput(embedding.output);
  cli
    .description('Hardware-in-the-loop tests of host OS updates on QEMU and bench rigs.')
    .showHelpAfterError('(hupbench <command> --help shows the options and examples)')
    .addHelpText(
      'after',
      examples(
        'hupbench paths --to 2.12.3+rev1',
        'hupbench gate 2.12.3+rev1',
        'hupbench run --rig qemu-beaglebone-black --from 2.9.7+rev1 --to 2.12.3+rev1 --fault power-cut --at export --keep',
        'hupbench report',
      ),
    );

  cli
    .command('paths')
    .description('list the upgrade-path matrix (images/releases.yaml × rigs), filterable')
    .option('--rig <name>', 'only this rig (repeatable, or comma-separated)', collect)
    .option('--from <version>', 'only paths from this version')
    .option('--to <version>', 'only paths to this version')
    .option('--class <class>', 'only this path class: 2x, 1x-2x, 1x')
    .option('--all', 'include example rigs (benches not wired to this host)')
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      examples(
        'hupbench paths',
        'hupbench paths --rig qemu-raspberrypi3 --to 2.12.3+rev1',
        'hupbench paths --class 1x-2x --json',
      ),
    )
    .action(act((opts) => paths(opts)));

  cli
    .command('run')
    .description(
      'run one update path on one rig, optionally with a fault, keeping every byte of evidence (for reproducing a field failure)',
    )
    .requiredOption('--rig <name>', 'the rig (rigs/<name>.yaml)')
    .requiredOption('--from <version>', 'the source OS version the device starts on')
    .requiredOption('--to <version>', 'the target OS version')
    .option('--fault <name>', `inject a fault: ${faultNames().join(', ')}`)
    .option('--at <phase>', `the updater phase at which a phase fault (${Object.keys(phaseFaults).join(', ')}) strikes`)
    .option(
      '--after-ms <ms>',
      "strike this long into the phase (default: the guarantee table's point for a power cut, 1000 for network-down)",
      count,
    )
    .option('--outage <seconds>', 'network-down: how long the link stays down (default 45)', count)
    .option('--keep', 'leave the device up afterwards: its console in this terminal, SSH from another')
    .addHelpText(
      'after',
      examples(
        'hupbench run --rig qemu-beaglebone-black --from 2.9.7+rev1 --to 2.12.3+rev1',
        'hupbench run --rig qemu-beaglebone-black --from 2.9.7+rev1 --to 2.12.3+rev1 --fault power-cut --at export --keep',
        'hupbench run --rig qemu-raspberrypi3 --from 2.0.0+rev2 --to 2.12.3+rev1 --fault power-cut --at switch-boot',
        'hupbench run --rig qemu-beaglebone-black --from 2.0.0+rev2 --to 2.9.7+rev1 --fault network-down --at pull --outage 60',
        'hupbench run --rig qemu-beaglebone-black --from 2.9.7+rev1 --to 2.12.3+rev1 --fault broken-engine',
      ) +
        `\nPhase faults: ${Object.entries(phaseFaults)
          .map(([n, d]) => `\n  ${n}: ${d}`)
          .join(
            '',
          )}\nThe other faults break the new OS before its first boot (the rollback must catch them).\nEvidence goes to results/<time>-run-…/ (results/latest): serial console whole and per boot, updater.log, phases, bandwidth, DeviceState before/after, phase-timeline.html, verdict.md.\n`,
    )
    .action(act((opts) => reproduce(opts)));

  cli
    .command('gate')
    .argument('<version>', 'the new OS release to gate (from images/releases.yaml)')
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
    .addHelpText(
      'after',
      examples(
        'hupbench gate 2.12.3+rev1',
        'hupbench gate 2.12.3+rev1 --rig qemu-beaglebone-black --quick',
        'hupbench gate 2.9.7+rev1 --workers 2 --retries 0',
        'hupbench gate 2.12.3+rev1 --shard 2/3',
      ),
    )
    .action(act((version, opts) => gate(version, opts)));

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

  cli
    .command('merge')
    .argument('<results-folders...>', "the shards' results folders (each with the blob report a --shard run writes)")
    .description(
      'merge the shards of one run (nightly or gate --shard i/n on several hosts) into one run folder: one JUnit, summary, guarantee table, Allure report, exit code',
    )
    .option('--gate <version>', 'the shards were a gate of this release: write its one verdict')
    .option('--quick', 'with --gate: the shards ran the --quick sample of power cuts')
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

  cli
    .command('flash')
    .description("write a release's card image (or any image file) to a rig's card")
    .requiredOption('--rig <name>', 'the rig')
    .option('--release <version>', 'the release whose image to write (built if missing)')
    .option('--image <file>', 'an image file to write')
    .option('--boot', 'power on afterwards and wait for the login prompt')
    .addHelpText(
      'after',
      examples(
        'hupbench flash --rig example-bench-beaglebone-black --release 2.12.3+rev1',
        'hupbench flash --rig virtual-bench-beaglebone-black --image vendor/resin.img --boot',
      ),
    )
    .action(act((opts) => flash(opts)));

  cli
    .command('console')
    .description('power a rig on and attach this terminal to its serial console (Ctrl-] leaves and powers off)')
    .requiredOption('--rig <name>', 'the rig')
    .option('--release <version>', 'flash this release first (needed on QEMU rigs)')
    .option('--image <file>', 'flash this image first')
    .addHelpText(
      'after',
      examples(
        'hupbench console --rig qemu-beaglebone-black --release 2.12.3+rev1',
        'hupbench console --rig example-bench-raspberrypi3',
      ),
    )
    .action(act((opts) => consoleCommand(opts)));

  cli
    .command('check')
    .description('is a rig wired right? power cycle, bootloader banner, login prompt, console login, address, SSH')
    .requiredOption('--rig <name>', 'the rig')
    .option('--release <version>', 'flash this release first')
    .option('--image <file>', 'flash this image first')
    .addHelpText(
      'after',
      examples(
        'hupbench check --rig qemu-beaglebone-black',
        'hupbench check --rig example-bench-beaglebone-black --release 2.12.3+rev1',
      ),
    )
    .action(act((opts) => check(opts)));

  cli
    .command('images')
    .description(
      'list the card image of every release and device type (vendor, cached or not built); --build builds what is missing',
    )
    .option('--device-type <type>', 'only this device type')
    .option('--release <version>', 'only this release')
    .option('--build', 'build missing or stale reference images')
    .addHelpText(
      'after',
      examples('hupbench images', 'hupbench images --build --device-type beaglebone-black --release 2.12.3+rev1'),
    )
    .action(act((opts) => images(opts)));

  return cli;
}

export async function main(argv = process.argv, embedding: Embedding = {}): Promise<number> {
  exitCode = 0;
  try {
    await program(embedding).parseAsync(argv);
    return exitCode;
  } catch (error) {
    // commander's own exits: help and --version are 0; every parse error (a missing or malformed
    // option, an unknown command) is bad input.
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof UsageError) {
      console.error(`hupbench: ${error.message}`);
      return 2;
    }
    if (error instanceof InfraError) {
      console.error(`hupbench: infrastructure fault (the rig, not the product): ${error.message}`);
      return 3;
    }
    throw error;
  }
}
