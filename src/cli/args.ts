/**
 * Command-line arguments: `VERB --flag value ...`, with repeatable flags and boolean switches.
 * Hand-written (a dozen flags) so that the CLI has no dependency beyond the engine's.
 */

/** Raised for a bad command line; the message names the argument. Exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The flags a verb accepts: name -> whether it takes a value and may repeat. */
export interface FlagSpec {
  [flag: string]: { value: boolean; repeat?: boolean };
}

/** Parsed flags: the values of each given flag in order ('' for a switch). */
export type Flags = Map<string, string[]>;

/** Parses `argv` (after the verb) against the verb's flags. */
export function parseFlags(
  argv: readonly string[],
  spec: FlagSpec,
  verb: string
): Flags {
  const flags: Flags = new Map();
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (!token.startsWith('--')) {
      throw new UsageError(
        `unexpected argument '${token}' for ${verb} (flags start with --)`
      );
    }
    let name = token.slice(2);
    let value: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    const flag = spec[name];
    if (!flag) {
      throw new UsageError(
        `unknown flag --${name} for ${verb}; it takes ${Object.keys(spec)
          .map(f => `--${f}`)
          .join(', ')}`
      );
    }
    if (flag.value) {
      if (value === undefined) {
        if (i + 1 >= argv.length) {
          throw new UsageError(`--${name} needs a value`);
        }
        value = argv[++i];
      }
    } else if (value !== undefined) {
      throw new UsageError(`--${name} takes no value`);
    }
    const list = flags.get(name) ?? [];
    if (list.length > 0 && !flag.repeat) {
      throw new UsageError(`--${name} was given twice`);
    }
    list.push(value ?? '');
    flags.set(name, list);
  }
  return flags;
}

/** The single value of a flag, or undefined. */
export function single(flags: Flags, name: string): string | undefined {
  return flags.get(name)?.[0];
}

/** A required flag's value. */
export function required(flags: Flags, name: string, verb: string): string {
  const value = single(flags, name);
  if (value === undefined || value === '') {
    throw new UsageError(`${verb} needs --${name}`);
  }
  return value;
}

/** A non-negative integer flag. */
export function integer(flags: Flags, name: string): number | undefined {
  const value = single(flags, name);
  if (value === undefined) {
    return undefined;
  }
  if (!/^\d+$/.test(value)) {
    throw new UsageError(
      `--${name} must be a non-negative integer; got '${value}'`
    );
  }
  return Number(value);
}

/** A list of three numbers `R,G,B`. */
export function triple(flags: Flags, name: string): number[] | undefined {
  const value = single(flags, name);
  if (value === undefined) {
    return undefined;
  }
  const numbers = value.split(',').map(s => Number(s.trim()));
  if (numbers.length !== 3 || numbers.some(n => !Number.isFinite(n))) {
    throw new UsageError(
      `--${name} must be three numbers R,G,B; got '${value}'`
    );
  }
  return numbers;
}
