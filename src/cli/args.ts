/**
 * Argument parsing for the CLI. Errors are InputErrors (exit 2) without a field: main.ts puts
 * the command in front of every message, so a message names the command once.
 */
import { InputError } from '../errors';
import { didYouMean } from '../editDistance';

export { closestMatch, didYouMean } from '../editDistance';

/** How each option parses: a string value or a boolean flag, with an optional one-letter form. */
export type OptionSpec = Readonly<Record<string, { readonly type: 'string' | 'boolean'; readonly short?: string }>>;

export type ParsedOptions<T extends OptionSpec> = { [K in keyof T]?: T[K]['type'] extends 'string' ? string : boolean };

/**
 * Parses `--name value`, `--name=value` and boolean `--flag` options against `spec`. A string
 * option never takes the next option as its value (`--split --out x` is a missing value, not a
 * split named '--out'); values starting with a single dash (`--entropy-scale -1`) are values.
 */
export function parseCommandArgs<T extends OptionSpec>(command: string, argv: string[], spec: T): ParsedOptions<T> {
  return parseCommandLine(command, argv, spec, { positionals: false }).options;
}

/** `parseCommandArgs` for commands that also take plain arguments (`emishift init DIR`). */
export function parseCommandLine<T extends OptionSpec>(
  command: string,
  argv: string[],
  spec: T,
  accept: { positionals: boolean },
): { options: ParsedOptions<T>; positionals: string[] } {
  const help = `(see 'emishift ${command} --help')`;
  const positionals: string[] = [];
  const names = Object.keys(spec);
  const shorts = new Map(Object.entries(spec).flatMap(([name, option]) => (option.short ? [[option.short, name] as const] : [])));
  const values: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    let name: string;
    let inline: string | undefined;
    if (arg.startsWith('--') && arg.length > 2) {
      const equals = arg.indexOf('=');
      name = equals < 0 ? arg.slice(2) : arg.slice(2, equals);
      inline = equals < 0 ? undefined : arg.slice(equals + 1);
      if (!(name in spec)) throw new InputError(`unknown option '--${name}'${didYouMean(name, names, (match) => `--${match}`)} ${help}`);
    } else if (/^-[^-\d]/.test(arg)) {
      const long = shorts.get(arg.slice(1));
      if (long === undefined) throw new InputError(`unknown option '${arg}'${didYouMean(arg.replace(/^-+/, ''), names, (match) => `--${match}`)} ${help}`);
      name = long;
    } else if (accept.positionals) {
      positionals.push(arg);
      continue;
    } else {
      const previous = argv[i - 1];
      const after = previous?.startsWith('--') && spec[previous.slice(2)]?.type === 'boolean' ? ` (${previous} takes no value)` : '';
      throw new InputError(`unexpected argument '${arg}'${after} ${help}`);
    }
    if (spec[name].type === 'boolean') {
      if (inline !== undefined) throw new InputError(`option --${name} takes no value, got '--${name}=${inline}' ${help}`);
      values[name] = true;
      continue;
    }
    const value = inline ?? argv[i + 1];
    if (inline === undefined) {
      if (value === undefined || value.startsWith('--')) throw new InputError(`option --${name} needs a value ${help}`);
      i++;
    }
    values[name] = value;
  }
  return { options: values as ParsedOptions<T>, positionals };
}

/** The value of a required option; missing or empty is an InputError naming the flag. */
export function requireOption(value: string | undefined, name: string, command: string): string {
  if (value === undefined || value === '') throw new InputError(`missing required option --${name} (see 'emishift ${command} --help')`);
  return value;
}

/** A numeric option's value (undefined when absent); not a number or failing `check` is an InputError naming the flag and `expected`. */
export function numberOption(value: string | undefined, name: string, check: (n: number) => boolean, expected: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed) || !check(parsed)) {
    throw new InputError(`expected ${expected}, got '${value}'`, { field: `--${name}` });
  }
  return parsed;
}

export const isPositiveInteger = (n: number) => Number.isInteger(n) && n >= 1;
export const isNonNegative = (n: number) => n >= 0;
export const isPositive = (n: number) => n > 0;

/**
 * The message of an error raised by the library, with the library's option names replaced by
 * the command's flags: the error's field (`textModel: …` → `--text-model: …`) and the names the
 * message tells the user to pass ("pass textModel", "pass `model`"). `flags` maps library option
 * names to flags.
 */
export function withFlagNames(error: InputError, flags: Readonly<Record<string, string>>): string {
  let message = error.message;
  const field = error.field;
  if (field !== undefined && Object.hasOwn(flags, field)) {
    const prefix = error.file === undefined || error.file === '' ? '' : `${error.file}: `;
    if (message.startsWith(`${prefix}${field}: `)) message = `${prefix}${flags[field]}: ${message.slice(prefix.length + field.length + 2)}`;
  }
  for (const [name, flag] of Object.entries(flags)) {
    message = message.split(`\`${name}\``).join(flag).replace(new RegExp(`\\bpass ${name}\\b:?`, 'g'), `pass ${flag}`);
  }
  return message;
}
