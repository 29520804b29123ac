// The benchmarks' command-line options: `--name value`, once or repeated.

/** The value after the first `name`, if any. */
export function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

/** The values after every `name` (a repeatable option). */
export function options(name: string): string[] {
  return process.argv.flatMap((a, i) => (a === name && process.argv[i + 1] ? [process.argv[i + 1]!] : []));
}
