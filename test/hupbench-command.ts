// The hupbench command run as a user runs it (a process of its own, in the checkout), for the tests
// that check what it prints and its exit code.
import { execFile } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');

export interface CommandOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

export function hupbench(...args: string[]): Promise<CommandOutcome> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(root, 'bin/hupbench.js'), ...args],
      { cwd: root, timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}
