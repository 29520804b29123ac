// `hupbench profile capture|check`: device profiles (profiles/*.yaml) written from a running board, and
// checked against a rig without starting anything.
import type { Command } from 'commander';
import { type Act, examples } from './command-kit.ts';
import { profileCapture, profileCheck } from './profile-command.ts';

export function defineProfileCommands(cli: Command, act: Act): void {
  const profile = cli
    .command('profile')
    .description('device profiles: capture one from a running board, or check one against a rig');
  profile
    .command('capture')
    .description(
      'write a profile from a running board over SSH (a bench board, or a QEMU board kept up by hupbench run --keep)',
    )
    .requiredOption('--rig <name>', 'the rig the board is on')
    .option('--ssh <host:port>', 'reach the board here (default: the bench address, or the board run --keep holds)')
    .option('--out <file>', 'write the profile here (default: stdout)')
    .option('--name <name>', 'the profile name (default captured-<rig>)')
    .addHelpText(
      'after',
      examples(
        'hupbench profile capture --rig example-bench-beaglebone-black --out profiles/field-device.yaml',
        'hupbench profile capture --rig qemu-beaglebone-black --ssh 127.0.0.1:40022',
      ),
    )
    .action(act((opts) => profileCapture(opts)));
  profile
    .command('check')
    .argument('<file>', 'the profile (profiles/*.yaml)')
    .description('is the profile valid and buildable on the rig (the refusals of run --profile); starts nothing')
    .requiredOption('--rig <name>', 'the rig')
    .addHelpText('after', examples('hupbench profile check profiles/wifi-networks-2x.yaml --rig qemu-beaglebone-black'))
    .action(act((file, opts) => profileCheck(file, opts)));
}
