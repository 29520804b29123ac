// One result type for commands run anywhere: over SSH, on the serial console, or on the host.
export interface CommandResult {
  command: string;
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export function isOk(result: CommandResult): boolean {
  return result.exitCode === 0;
}

/** Throws an error naming the command, exit code and output unless it succeeded. */
export function requireOk(result: CommandResult, where: string): CommandResult {
  if (result.exitCode !== 0) {
    const output = (result.stderr || result.stdout).trim().split('\n').slice(-15).join('\n');
    throw new Error(`\`${result.command}\` failed on ${where} with exit code ${result.exitCode}:\n${output}`);
  }
  return result;
}
