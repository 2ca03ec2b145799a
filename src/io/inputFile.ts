import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
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

/**
 * Reads a whole input file into shared memory (a SharedArrayBuffer): views of it cross to worker
 * threads without a copy, as a sweep's splits do on their way to the native engine's thread.
 * Failure is an InputError naming the file.
 */
export function readInputFileShared(file: string): Uint8Array {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const stats = fstatSync(fd);
    if (!stats.isFile()) {
      // A pipe or a device has no size to allocate for: read it as a stream, then share a copy.
      const streamed = readFileSync(fd);
      const shared = new Uint8Array(new SharedArrayBuffer(streamed.length));
      shared.set(streamed);
      return shared;
    }
    const size = stats.size;
    const bytes = new Uint8Array(new SharedArrayBuffer(size));
    let filled = 0;
    while (filled < size) {
      const read = readSync(fd, bytes, filled, size - filled, filled);
      // A file that shrank while it was read: what is there is all there is.
      if (read === 0) return bytes.subarray(0, filled);
      filled += read;
    }
    return bytes;
  } catch (error) {
    throw new InputError(describeReadFailure(error), { file });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
