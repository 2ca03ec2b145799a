import { readFileSync } from 'node:fs';
import { InputError } from '../errors';

/** Why a file could not be read, in words a user acts on. */
export function describeReadFailure(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'file not found';
  if (code === 'EISDIR') return 'is a directory, expected a file';
  if (code === 'EACCES') return 'permission denied';
  return `cannot read (${(error as Error).message})`;
}

/** Reads a whole input file; failure is an InputError naming the file. */
export function readInputFile(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new InputError(describeReadFailure(error), { file });
  }
}
