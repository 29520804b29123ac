// Bad input on the command line: says what is wrong and what would be right. The CLI prints the
// message (no stack) and exits 2.
export class UsageError extends Error {
  override name = 'UsageError';
}

export function unknown(what: string, value: string, known: string[], hint = ''): UsageError {
  return new UsageError(
    `Unknown ${what} "${value}". Known ${what.endsWith('s') ? `${what}es` : `${what}s`}: ${known.join(', ') || '(none)'}${hint ? `\n${hint}` : ''}`,
  );
}
