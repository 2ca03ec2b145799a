/**
 * Append-only JSONL output that survives being killed at any moment.
 *
 * Why it is safe:
 * - Every record is one `write(2)` of one complete line including its '\n', issued
 *   synchronously from the event loop, so concurrent tasks in this process never interleave and a
 *   killed process leaves either the whole line or none of it (the kernel finishes a started
 *   write before delivering SIGKILL).
 * - What a kill cannot do, a power loss or a full disk can: leave a torn final line. A line is
 *   complete only when it ends in '\n', so on open a final fragment without one is cut off (the
 *   file is truncated to the end of the last complete line) before anything is appended; a
 *   fragment is never parsed as a record. The one exception is a fragment that is a whole JSON
 *   object lacking only its newline (a write cut exactly before '\n', or a file another tool wrote
 *   without a final newline): an object's text cannot be a prefix of a longer object, so it is
 *   complete; it is kept and its newline added.
 * - A damaged line anywhere else cannot come from an interrupted append, so it is the user's
 *   file being wrong: an InputError naming the file and line, and nothing is rewritten.
 *
 * fsync policy (`fsync` option):
 * - 'record' (default): fsync after every record. Each record here costs a model call (seconds,
 *   sometimes money), so a millisecond of fsync is cheap, and it makes records survive a power
 *   loss or kernel crash, not only a killed process.
 * - 'close': fsync once on close. Survives a killed process (the data is in the page cache), not
 *   a power loss before close.
 * - 'none': never; leave it to the OS.
 *
 * One writer per file: two processes appending to the same file at once are not coordinated.
 *
 * A file that does not exist is created (with its folder) by the first append, not by opening:
 * a run that writes nothing leaves nothing behind.
 */
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { describeReadFailure } from '../io/inputFile';
import { InputError } from '../errors';

export type FsyncPolicy = 'record' | 'close' | 'none';

/** Turns a parsed line into a record, or throws (an InputError is re-thrown naming the line). */
export type RecordValidator<T> = (value: unknown, lineNumber: number) => T;

export interface ReadJsonlOptions<T> {
  validate?: RecordValidator<T> | undefined;
}

export interface JsonlContents<T> {
  records: T[];
  /** 1-based line number of each record, for error messages about a record. */
  lineNumbers: number[];
  /** Bytes of the file up to and including the last complete line. */
  completeBytes: number;
  /** A torn final fragment (no '\n' and not a complete JSON object), ignored. */
  tornTail?: { lineNumber: number; bytes: number };
  /** The final line is complete JSON but lacks its '\n'. */
  missingFinalNewline: boolean;
}

export interface OpenJsonlOptions<T> extends ReadJsonlOptions<T> {
  fsync?: FsyncPolicy | undefined;
}

function parseLine<T>(text: string, lineNumber: number, file: string, validate: RecordValidator<T> | undefined): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InputError(`is not valid JSON (${(error as Error).message}); only a torn final line is repaired automatically, so fix or remove this line`, {
      file,
      field: `line ${lineNumber}`,
    });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InputError('is not a JSON object', { file, field: `line ${lineNumber}` });
  }
  if (validate === undefined) return value as T;
  try {
    return validate(value, lineNumber);
  } catch (error) {
    const message = error instanceof InputError ? error.message : (error as Error).message;
    throw new InputError(message, { file, field: `line ${lineNumber}` });
  }
}

function isCompleteObject(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value);
  } catch {
    return false;
  }
}

/** Parses JSONL bytes under the rules above. Exported so the rules can be tested without files. */
export function parseJsonlBytes<T>(bytes: Uint8Array, file: string, options: ReadJsonlOptions<T> = {}): JsonlContents<T> {
  const records: T[] = [];
  const lineNumbers: number[] = [];
  // Fatal decoding: a replacement character silently written into a record would be a misread.
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const decode = (from: number, to: number): string | undefined => {
    try {
      return decoder.decode(bytes.subarray(from, to));
    } catch {
      return undefined;
    }
  };
  let start = 0;
  let lineNumber = 0;
  while (start < bytes.length) {
    const end = bytes.indexOf(0x0a, start);
    if (end < 0) break;
    lineNumber++;
    const text = decode(start, end);
    if (text === undefined) throw new InputError('is not valid UTF-8', { file, field: `line ${lineNumber}` });
    start = end + 1;
    if (text.trim() === '') continue;
    records.push(parseLine(text, lineNumber, file, options.validate));
    lineNumbers.push(lineNumber);
  }
  const result: JsonlContents<T> = { records, lineNumbers, completeBytes: start, missingFinalNewline: false };
  if (start < bytes.length) {
    lineNumber++;
    // A write cut inside a multi-byte character does not decode: torn, like any other cut.
    const tail = decode(start, bytes.length) ?? '';
    if (tail.trim() === '') {
      // Whitespace after the last newline carries nothing; cutting it keeps lines one per record.
      result.tornTail = { lineNumber, bytes: bytes.length - start };
    } else if (isCompleteObject(tail)) {
      records.push(parseLine(tail, lineNumber, file, options.validate));
      lineNumbers.push(lineNumber);
      result.completeBytes = bytes.length;
      result.missingFinalNewline = true;
    } else {
      result.tornTail = { lineNumber, bytes: bytes.length - start };
    }
  }
  return result;
}

function readAll(fd: number): Buffer {
  const size = fstatSync(fd).size;
  const buffer = Buffer.alloc(size);
  let offset = 0;
  while (offset < size) {
    const read = readSync(fd, buffer, offset, size - offset, offset);
    if (read === 0) break;
    offset += read;
  }
  return buffer.subarray(0, offset);
}

/** Reads a JSONL file without modifying it (a torn final fragment is skipped). Absent file → no records. */
export function readJsonl<T>(path: string, options: ReadJsonlOptions<T> = {}): JsonlContents<T> {
  if (!existsSync(path)) return { records: [], lineNumbers: [], completeBytes: 0, missingFinalNewline: false };
  const fd = openSync(path, 'r');
  try {
    return parseJsonlBytes(readAll(fd), path, options);
  } finally {
    closeSync(fd);
  }
}

export class AppendOnlyJsonl<T> {
  readonly path: string;
  /** Records already in the file when it was opened (appended records are not added). */
  readonly existing: T[];
  readonly existingLineNumbers: number[];
  /** What opening repaired, for logs: a cut-off torn fragment, or an added final newline. */
  readonly repaired?: { tornBytes?: number; addedNewline?: boolean };
  /** The descriptor; undefined until the first append when the file did not exist. */
  private fd: number | undefined;
  private closed = false;
  private readonly fsync: FsyncPolicy;

  private constructor(path: string, fd: number | undefined, contents: JsonlContents<unknown>, fsync: FsyncPolicy, repaired: AppendOnlyJsonl<T>['repaired']) {
    this.path = path;
    this.fd = fd;
    this.existing = contents.records as T[];
    this.existingLineNumbers = contents.lineNumbers;
    this.fsync = fsync;
    this.repaired = repaired;
  }

  /**
   * Opens for appending: reads the existing records, then repairs the tail so the next append
   * starts on a fresh line. Throws an InputError, touching nothing, if a line other than the last
   * is damaged or the file cannot be opened. An absent file is not created here (see above).
   */
  static open<T>(path: string, options: OpenJsonlOptions<T> = {}): AppendOnlyJsonl<T> {
    const fsync = options.fsync ?? 'record';
    if (fsync !== 'record' && fsync !== 'close' && fsync !== 'none') throw new InputError(`unknown fsync policy '${String(fsync)}' (record, close or none)`, { field: 'fsync' });
    if (!existsSync(path)) return new AppendOnlyJsonl<T>(path, undefined, { records: [], lineNumbers: [], completeBytes: 0, missingFinalNewline: false }, fsync, undefined);
    let fd: number;
    try {
      // 'a+' rather than 'a': the repair below needs to read and truncate through the same descriptor.
      fd = openSync(path, 'a+');
    } catch (error) {
      throw new InputError(describeReadFailure(error), { file: path });
    }
    try {
      const contents = parseJsonlBytes(readAll(fd), path, options);
      let repaired: AppendOnlyJsonl<T>['repaired'];
      if (contents.tornTail !== undefined) {
        ftruncateSync(fd, contents.completeBytes);
        repaired = { tornBytes: contents.tornTail.bytes };
      }
      if (contents.missingFinalNewline) {
        writeSync(fd, '\n');
        repaired = { ...repaired, addedNewline: true };
      }
      if (repaired !== undefined && fsync !== 'none') fsyncSync(fd);
      return new AppendOnlyJsonl<T>(path, fd, contents, fsync, repaired);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  /** Appends one record as one line in one write. */
  append(record: T): void {
    if (this.closed) throw new Error(`${this.path}: append after close`);
    const text = JSON.stringify(record);
    if (text === undefined || text.includes('\n')) throw new Error(`${this.path}: record does not serialise to one JSON line`);
    if (this.fd === undefined) {
      try {
        mkdirSync(dirname(this.path), { recursive: true });
        this.fd = openSync(this.path, 'a');
      } catch (error) {
        throw new InputError(`cannot create the output file: ${describeReadFailure(error)}`, { file: this.path });
      }
    }
    const line = Buffer.from(`${text}\n`, 'utf8');
    let written = writeSync(this.fd, line);
    // A short write only happens on a full disk or a signal; finishing it keeps the line whole.
    while (written < line.length) written += writeSync(this.fd, line, written);
    if (this.fsync === 'record') fsyncSync(this.fd);
  }

  close(): void {
    this.closed = true;
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    try {
      if (this.fsync === 'close') fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}
