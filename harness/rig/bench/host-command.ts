// A lab command (relay, mux, switch) run through the shell on the lab host, with a deadline.
import { spawn } from 'node:child_process';
import type { CommandResult } from '../../command-result.ts';
import { InfraError } from '../../errors.ts';

/** Runs `command` with `sh -c`; resolves with its result whatever the exit code. */
export function runHostCommand(command: string, timeoutMs: number): Promise<CommandResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    // Note: its own process group, so a timeout ends the command and whatever it started.
    const child = spawn('sh', ['-c', command], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
      reject(
        new InfraError(
          `\`${command}\` did not finish within ${timeoutMs}ms. Output so far:\n${(stderr || stdout).trim() || '(none)'}`,
        ),
      );
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new InfraError(`Cannot run \`${command}\`: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ command, exitCode: code ?? (signal ? 128 : 255), stdout, stderr, durationMs: Date.now() - started });
    });
  });
}

/** Runs a lab command that must succeed; a failure names the command, what it is for and its output. */
export async function runLabCommand(command: string, purpose: string, timeoutMs: number): Promise<CommandResult> {
  const result = await runHostCommand(command, timeoutMs);
  if (result.exitCode !== 0) {
    const output = (result.stderr || result.stdout).trim().split('\n').slice(-10).join('\n') || '(no output)';
    throw new InfraError(
      `${purpose}: \`${command}\` exited ${result.exitCode}:\n${output}\nCheck the command in the rig file and that the lab host can run it.`,
    );
  }
  return result;
}
