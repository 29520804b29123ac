// `hupbench bandwidth`: the bytes each update path of a run cost, by component, with its findings
// (bandwidth-command.ts); a budget to exit on.
import type { Command } from 'commander';
import { bandwidth } from './bandwidth-command.ts';
import { type Act, examples, positiveNumber } from './command-kit.ts';

export function defineBandwidth(cli: Command, act: Act): void {
  cli
    .command('bandwidth')
    .description(
      "what each update path of a run cost in bytes: the whole update (updater start → settled on the new OS) by component, the registry's total, what the device itself received and sent, and the findings (a blob served twice, an image the device held pulled again, retried downloads); exit 1 over --budget-mib",
    )
    .option('--rig <name>', 'only this rig')
    .option('--from <version>', 'only paths from this version')
    .option('--to <version>', 'only paths to this version')
    .option('--results <dir>', 'the results folder to read (default results/latest)')
    .option(
      '--app-mb <n>',
      'what if the app were N MB (10^6 bytes): on each path that pulled the app it held again after the update (a held-pulled-again finding on the app), the whole update with the app\'s bytes replaced by N MB, as the column "with an N MB app"; other paths unchanged',
      positiveNumber,
    )
    .option(
      '--budget-mib <n>',
      "exit 1, naming them, when paths' whole update (device received, or the registry's total when the device was not counted) exceeds N MiB; tests with a fault are shown, not judged",
      positiveNumber,
    )
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      `${examples(
        'hupbench bandwidth',
        'hupbench bandwidth --rig qemu-beaglebone-black --to 2.12.3+rev1',
        'hupbench bandwidth --from 1.30.1 --app-mb 300',
        'hupbench bandwidth --results results/2026-11-30T08-44-03Z-nightly --budget-mib 250',
        'hupbench bandwidth --json',
      )}
It reads the records a run of the update suites left in its results folder (summary.json) and runs
nothing: measure first with \`npm run hil\` (or \`hupbench nightly --rig R --grep '→ VERSION'\`,
\`hupbench gate VERSION\`). (\`hupbench run\` drives one path in-process and leaves no summary.json.)
Beside the components, the seed's ranges for reference: hostOS 70–120 MB, supervisor 40–70 MB
(layers cached between versions), the 1.x → 1.x updater tool ~50 MB.
Exit codes: 0 ok (within the budget), 1 a path over --budget-mib, 2 no record matches (or no such folder).
`,
    )
    .action(act((opts) => bandwidth(opts)));
}
