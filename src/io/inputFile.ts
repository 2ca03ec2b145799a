import { close, closeSync, fstatSync, openSync, read, readFileSync, readSync } from 'node:fs';
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

/** A pipe or a device has no size to allocate for: read it as a stream, then share a copy. */
function streamedShared(fd: number): Uint8Array {
  const streamed = readFileSync(fd);
  const shared = new Uint8Array(new SharedArrayBuffer(streamed.length));
  shared.set(streamed);
  return shared;
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
    if (!stats.isFile()) return streamedShared(fd);
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

/** Where each file's bytes start in a shared read: a multiple of this, so that typed views of them stay aligned. */
const FILE_ALIGNMENT = 64;

/**
 * `readInputFileShared` for several files at once (a split folder's matrices), with the reading
 * itself on libuv's threads: only the opens and the sizes are asked for here, so this thread stays
 * free for other work while the kernel copies the bytes (a sweep reads 140 files before its last
 * split can start). Their bytes share one SharedArrayBuffer: one memory mapping for all, where one
 * per file cost the main thread 12–28 ms of a 0.3 s sweep in waits on the kernel's memory-map lock
 * while other threads were faulting pages in. Each file's promise settles on its own; a failure
 * is an InputError naming its file, as for the synchronous reader.
 */
export function readInputFilesSharedAsync(files: readonly string[]): Promise<Uint8Array>[] {
  const results: (Promise<Uint8Array> | { fd: number; size: number; offset: number; file: string })[] = [];
  let total = 0;
  for (const file of files) {
    let opened: number | undefined;
    let size = -1;
    try {
      opened = openSync(file, 'r');
      const stats = fstatSync(opened);
      if (stats.isFile()) size = stats.size;
      else results.push(Promise.resolve(streamedShared(opened)));
    } catch (error) {
      results.push(Promise.reject(new InputError(describeReadFailure(error), { file })));
    } finally {
      // Only a regular file stays open, for the reads below.
      if (opened !== undefined && size < 0) closeSync(opened);
    }
    if (opened !== undefined && size >= 0) {
      results.push({ fd: opened, size, offset: total, file });
      total += Math.ceil(size / FILE_ALIGNMENT) * FILE_ALIGNMENT;
    }
  }
  let shared: SharedArrayBuffer;
  try {
    shared = new SharedArrayBuffer(total);
  } catch (error) {
    // Out of memory: nothing is read, and no file is left open.
    for (const entry of results) if (!(entry instanceof Promise)) closeSync(entry.fd);
    return results.map((entry) => (entry instanceof Promise ? entry : Promise.reject(error)));
  }
  return results.map((entry) => (entry instanceof Promise ? entry : readInto(entry.fd, new Uint8Array(shared, entry.offset, entry.size), entry.file)));
}

/** Reads the open regular file `fd` into `bytes` (its size), closing it; a failure is an InputError naming `file`. */
function readInto(fd: number, bytes: Uint8Array, file: string): Promise<Uint8Array> {
  const size = bytes.length;
  return new Promise<Uint8Array>((resolve, reject) => {
    const finish = (error: unknown, value?: Uint8Array) =>
      close(fd, () => (error === undefined ? resolve(value as Uint8Array) : reject(new InputError(describeReadFailure(error), { file }))));
    const readFrom = (filled: number): void => {
      if (filled >= size) return finish(undefined, bytes);
      read(fd, bytes, filled, size - filled, filled, (error, count) => {
        if (error) return finish(error);
        // A file that shrank while it was read: what is there is all there is.
        if (count === 0) return finish(undefined, bytes.subarray(0, filled));
        readFrom(filled + count);
      });
    };
    startSoon(() => readFrom(0));
  });
}

/** Reads asked for in this turn, started together in the next. */
let waitingReads: (() => void)[] | undefined;

/**
 * Reads start in the turn after they are asked for, so that every buffer asked for in one turn
 * (a sweep asks for all its splits' at once) is mapped before any read faults its pages in:
 * mapping memory while other threads fault pages in waits on the kernel's memory-map lock, which
 * cost the main thread 20–30 ms of a 0.3 s sweep when each buffer was read as soon as it was made.
 */
function startSoon(start: () => void): void {
  if (waitingReads === undefined) {
    const batch: (() => void)[] = [];
    waitingReads = batch;
    setImmediate(() => {
      waitingReads = undefined;
      for (const begin of batch) begin();
    });
  }
  waitingReads.push(start);
}
