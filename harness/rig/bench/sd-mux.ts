// The SD-card multiplexer: the card is either in the board or on the lab host's USB.
import type { SdMuxWiring } from './bench-config.ts';
import { runLabCommand } from './host-command.ts';

export interface SdMux {
  toHost(): Promise<void>;
  toBoard(): Promise<void>;
  readonly description: string;
}

const switchTimeoutMs = 30_000;

export function sdMuxFor(wiring: SdMuxWiring): SdMux {
  const commands = wiring.usbsdmux
    ? {
        host: `usbsdmux ${shellQuote(wiring.usbsdmux.control)} host`,
        board: `usbsdmux ${shellQuote(wiring.usbsdmux.control)} dut`,
      }
    : wiring.commands!;
  return {
    description: wiring.usbsdmux
      ? `usb-sd-mux ${wiring.usbsdmux.control}`
      : `mux commands \`${commands.host}\` / \`${commands.board}\``,
    toHost: async () =>
      void (await runLabCommand(commands.host, 'Switching the SD card to the lab host', switchTimeoutMs)),
    toBoard: async () =>
      void (await runLabCommand(commands.board, 'Switching the SD card to the board', switchTimeoutMs)),
  };
}

export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
