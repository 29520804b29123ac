// Power through a pair of shell commands (usbrelay, uhubctl, a GPIO tool…): exit 0 means done.
import { runLabCommand } from '../host-command.ts';
import type { PowerBackend } from './power-backend.ts';

export function commandPower(commands: { on: string; off: string; timeoutSeconds: number }): PowerBackend {
  const timeoutMs = commands.timeoutSeconds * 1000;
  return {
    description: `power commands \`${commands.on}\` / \`${commands.off}\``,
    on: async () => void (await runLabCommand(commands.on, 'Power on', timeoutMs)),
    off: async () => void (await runLabCommand(commands.off, 'Power off', timeoutMs)),
  };
}
