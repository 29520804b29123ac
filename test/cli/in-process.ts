// The hupbench command in this process (a process per case costs seconds under a loaded host): its
// exit code and what it printed.
import { main } from '../../harness/cli/main.ts';

/** The same command in this process (a process per case costs seconds under a loaded host). */
export async function inProcess(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '',
    stderr = '';
  const { log, error, warn } = console;
  const toStdout = (t: string) => {
    stdout += t;
  };
  const toStderr = (t: string) => {
    stderr += t;
  };
  console.log = (...a: unknown[]) => toStdout(`${a.join(' ')}\n`);
  console.error = (...a: unknown[]) => toStderr(`${a.join(' ')}\n`);
  console.warn = console.error;
  try {
    const code = await main(['node', 'hupbench', ...args], { output: { writeOut: toStdout, writeErr: toStderr } });
    return { code, stdout, stderr };
  } finally {
    Object.assign(console, { log, error, warn });
  }
}
