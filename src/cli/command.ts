/**
 * A CLI command and its options. Each command declares its options once, in one table: how each
 * parses, its usage line, and the library option names it sets. The parser spec, the option lines
 * of `--help` and the flag names in library errors all come from that table, so an option cannot
 * be parsed without being documented, or documented under another name.
 */
import { parseCommandLine, type OptionSpec, type ParsedOptions } from './args';

/** One option: how it parses, what its usage line says, and which library options it sets. */
export interface OptionDefinition {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** The value's placeholder in the usage line (`FILE`, `N`); string options only. */
  readonly value?: string;
  /** What it does: the first line follows the flag, further lines are indented under it. */
  readonly help: string | readonly string[];
  /**
   * Library option names this flag sets (`textModel` for `--text-model`), so that an error the
   * library raises about one of them names the flag the user typed.
   */
  readonly sets?: readonly string[];
}

/** A command's options by name (without the leading `--`), in the order `--help` lists them. */
export type OptionTable = Readonly<Record<string, OptionDefinition>>;

/** A command as main.ts runs it: its one-line summary, its --help text, and what it does with its arguments. */
export interface Command {
  summary: string;
  usage: string;
  /** The options it parses (its option table). */
  options: OptionSpec;
  /** Library option names its flags set (`textModel` → `--text-model`), for error messages. */
  flags: Readonly<Record<string, string>>;
  run(argv: string[]): Promise<void>;
}

/** What a command does with its parsed options. */
export interface CommandDefinition<T extends OptionTable> {
  /** The command's name, as typed after `emishift`. */
  name: string;
  summary: string;
  /** The usage text above the option lines: the synopsis and what the command does. */
  usage: readonly string[];
  options: T;
  /** Whether plain arguments (`emishift init DIR`) are accepted. */
  positionals?: boolean;
  run(options: ParsedOptions<T>, context: { argv: string[]; positionals: string[] }): Promise<void>;
}

/** Where option help starts: two spaces, the flag padded to 16, a space. */
const FLAG_WIDTH = 16;
const HELP_INDENT = ' '.repeat(2 + FLAG_WIDTH + 1);

/** The usage lines of an option table, one option after another in table order. */
export function optionLines(options: OptionTable): string[] {
  return Object.entries(options).flatMap(([name, option]) => {
    const flag = `${option.short ? `-${option.short}, ` : ''}--${name}${option.value ? ` ${option.value}` : ''}`;
    const [first, ...rest] = typeof option.help === 'string' ? [option.help] : option.help;
    const head = flag.length <= FLAG_WIDTH ? `  ${flag.padEnd(FLAG_WIDTH)} ${first}` : `  ${flag}  ${first}`;
    return [head, ...rest.map((line) => `${HELP_INDENT}${line}`)];
  });
}

/** Library option names to flags, from the table's `sets`. */
export function flagNames(options: OptionTable): Record<string, string> {
  return Object.fromEntries(Object.entries(options).flatMap(([name, option]) => (option.sets ?? []).map((library) => [library, `--${name}`] as const)));
}

/** A command from its definition: usage text, parser spec and flag names all from its option table. */
export function defineCommand<T extends OptionTable>(definition: CommandDefinition<T>): Command {
  return {
    summary: definition.summary,
    usage: [...definition.usage, ...optionLines(definition.options)].join('\n'),
    options: definition.options,
    flags: flagNames(definition.options),
    async run(argv) {
      const { options, positionals } = parseCommandLine(definition.name, argv, definition.options, { positionals: definition.positionals ?? false });
      await definition.run(options, { argv, positionals });
    },
  };
}
