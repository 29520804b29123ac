// The commands for the catalogue (paths, images) and for one rig's board (flash, console, check).
import type { Command } from 'commander';
import { check, consoleCommand, flash } from './board-commands.ts';
import { images, paths } from './catalogue-commands.ts';
import { type Act, collect, examples } from './command-kit.ts';

export function defineBoardCommands(cli: Command, act: Act): void {
  defineFlash(cli, act);
  defineConsole(cli, act);
  defineCheck(cli, act);
}

/** `hupbench paths`: the upgrade-path matrix, filterable. */
export function definePaths(cli: Command, act: Act): void {
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
}

/** `hupbench images`: the card image of every release and device type. */
export function defineImages(cli: Command, act: Act): void {
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
}

/** `hupbench flash`: a card image onto a rig's card. */
function defineFlash(cli: Command, act: Act): void {
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
}

/** `hupbench console`: this terminal on a rig's serial console. */
function defineConsole(cli: Command, act: Act): void {
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
}

/** `hupbench check`: is a rig wired right? */
function defineCheck(cli: Command, act: Act): void {
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
}
