import { InvalidArgumentError, Option } from 'commander';

/**
 * Option values checked where commander parses them, so a bad one is refused with the option's
 * name and the reason before anything runs (`--limit abc` once printed every row).
 */
export function wholeNumberAtLeast(min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\s*-?\d+\s*$/.test(value) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`expected a whole number${min > 0 ? ` of at least ${min}` : ''}.`);
    if (n < min) throw new InvalidArgumentError(`expected a whole number of at least ${min}.`);
    return n;
  };
}

/** The `--limit <n>` of every list: a whole number of at least 1, with the list's default. */
export function limitOption(defaultLimit: number, description = 'at most this many'): Option {
  return new Option('--limit <n>', description).argParser(wholeNumberAtLeast(1)).default(defaultLimit);
}
