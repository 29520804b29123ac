// An interactive terminal on a rig's serial console: what the board prints goes to stdout (from
// the console's recording, so the test evidence keeps every byte), keys go to the board. Ctrl-]
// leaves. Without a terminal on stdin it only waits for Ctrl-C / SIGTERM, keeping the board up.
import type { Rig } from '../rig/rig.ts';

const LEAVE = 0x1d; // Ctrl-]

/**
 * The line the board is printing now (a prompt has no newline yet).
 * Note: SerialConsole keeps it private; a public onText() on SerialConsole would replace this read.
 */
const partialLine = (rig: Rig) => (rig.console as unknown as { partial?: string }).partial ?? '';

export async function consoleSession(rig: Rig, opts: { fromLine?: number } = {}): Promise<'left' | 'signal'> {
  const out = process.stdout;
  let next = opts.fromLine ?? rig.console.lines.length;
  let shown = '';
  const pump = () => {
    for (; next < rig.console.lines.length; next++) {
      const text = rig.console.lines[next]!.text;
      out.write(shown && text.startsWith(shown) ? `${text.slice(shown.length)}\n` : `${shown ? '\n' : ''}${text}\n`);
      shown = '';
    }
    const partial = partialLine(rig);
    if (partial !== shown) {
      out.write(partial.startsWith(shown) ? partial.slice(shown.length) : `\r${partial}`);
      shown = partial;
    }
  };
  const ticker = setInterval(pump, 40);
  try {
    return await new Promise<'left' | 'signal'>((resolve) => {
      const onSignal = () => resolve('signal');
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      if (!process.stdin.isTTY) return;
      process.stdin.setRawMode(true);
      process.stdin.resume();
      process.stdin.on('data', (data: Buffer) => {
        if (data.includes(LEAVE)) return resolve('left');
        rig.console.send(data.toString('latin1')).catch((e: Error) => out.write(`\r\n[hupbench] ${e.message}\r\n`));
      });
    });
  } finally {
    clearInterval(ticker);
    pump();
    if (process.stdin.isTTY) {
      process.stdin.setRawMode(false);
      process.stdin.pause();
    }
    process.removeAllListeners('SIGINT');
    process.removeAllListeners('SIGTERM');
  }
}
