/**
 * Text decoding and JSON-lines parsing shared by the text formats. Decoding is strict so that a
 * binary or mis-encoded file fails with its name instead of yielding U+FFFD-riddled questions,
 * which would still embed and quietly shift every estimate.
 */
import { InputError } from '../../errors';
import { readInputFile } from '../../io/inputFile';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The file's text (a UTF-8 BOM is dropped); an empty or non-UTF-8 file is an InputError. */
export function readTextFile(file: string, expected: string): string {
  const bytes = readInputFile(file);
  if (bytes.length === 0) throw new InputError(`empty file, expected ${expected}`, { file });
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new InputError(`not valid UTF-8 text, expected ${expected}`, { file });
  }
  if (text.trim() === '') throw new InputError(`empty file (only whitespace), expected ${expected}`, { file });
  return text;
}

export interface JsonLine {
  /** 1-based line number in the file. */
  line: number;
  value: Record<string, unknown>;
}

/** `a string`, `an array`, `null`: what a value was, for type errors. */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/** The JSON object on every non-blank line; blank lines are skipped but still counted. */
export function parseJsonLines(text: string, file: string): JsonLine[] {
  const lines = text.split('\n');
  const parsed: JsonLine[] = [];
  for (let index = 0; index < lines.length; index++) {
    const source = lines[index].endsWith('\r') ? lines[index].slice(0, -1) : lines[index];
    if (source.trim() === '') continue;
    const line = index + 1;
    let value: unknown;
    try {
      value = JSON.parse(source);
    } catch (error) {
      throw new InputError(`not valid JSON (${(error as Error).message.split('\n')[0]})`, { file, field: `line ${line}` });
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new InputError(`expected a JSON object, got ${kindOf(value)}`, { file, field: `line ${line}` });
    }
    parsed.push({ line, value: value as Record<string, unknown> });
  }
  return parsed;
}
