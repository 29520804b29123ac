// `hupbench`: the command line for the three users — nightly runs (`nightly`, `report`), engineers
// reproducing field failures (`run`, `console`, `flash`, `check`), release gating (`gate`) — plus
// the catalogue (`paths`, `images`) and a run's bytes per path (`bandwidth`). Bad input is refused
// before anything starts, naming the known values; exit codes: 0 ok, 1 a product failure, 2 bad
// input (every parse error too), 3 only rig failures (harness/report/run-exit-code.ts).
import { Command, CommanderError } from 'commander';
import { InfraError } from '../errors.ts';
import { type Act, examples } from './command-kit.ts';
import { defineBandwidth } from './define-bandwidth-command.ts';
import { defineBoardCommands, defineImages, definePaths } from './define-board-commands.ts';
import { defineProfileCommands } from './define-profile-commands.ts';
import { defineRunCommands } from './define-run-commands.ts';
import { UsageError } from './usage-error.ts';
import { ReleaseError } from '../release/release-error.ts';

let exitCode = 0;
const act: Act =
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

  // Note: the order here is the order of `hupbench --help`.
  definePaths(cli, act);
  defineRunCommands(cli, act);
  defineBandwidth(cli, act);
  defineBoardCommands(cli, act);
  defineProfileCommands(cli, act);
  defineImages(cli, act);

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
    if (error instanceof UsageError || error instanceof ReleaseError) {
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
