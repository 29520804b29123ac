// What every command definition of the CLI shares: examples in the help, option parsers, and `act`,
// which runs a command and keeps its exit code for main().
import { InvalidArgumentError } from 'commander';

export const examples = (...lines: string[]) => `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
export const collect = (value: string, previous: string[] = []) => [...previous, ...value.split(',').filter(Boolean)];
export const count = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('a whole number, 0 or more');
  return n;
};

/** Wraps a command's body so that its exit code reaches main(). */
export type Act = <A extends unknown[]>(body: (...args: A) => Promise<number>) => (...args: A) => Promise<void>;
export const positiveNumber = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('a number above 0');
  return n;
};
