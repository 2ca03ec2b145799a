/** Argument parsing for the CLI: node's parseArgs, with errors turned into InputErrors (exit 2). */
import { parseArgs } from 'node:util';
import { InputError } from '../errors';

export type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;

export function parseCommandArgs<T extends OptionSpec>(command: string, argv: string[], spec: T) {
  try {
    return parseArgs({ args: argv, options: spec, strict: true, allowPositionals: false }).values as {
      [K in keyof T]?: T[K]['type'] extends 'string' ? string : boolean;
    };
  } catch (error) {
    throw new InputError(`${(error as Error).message.split('\n')[0]} (see 'emishift ${command} --help')`, { field: command });
  }
}

export function requireOption(value: string | undefined, name: string, command: string): string {
  if (value === undefined || value === '') throw new InputError(`missing required option --${name} (see 'emishift ${command} --help')`, { field: command });
  return value;
}

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
