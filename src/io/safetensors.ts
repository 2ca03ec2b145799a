/**
 * safetensors files: an 8-byte little-endian header length, a JSON header naming each tensor's
 * dtype, shape and byte range (relative to the end of the header), optional string metadata
 * under `__metadata__`, then the raw little-endian data. One header parser serves two readers:
 * - `decodeSafetensors`: bytes already in memory (small files such as CLUB weights), F32/F64
 *   tensors returned as typed arrays holding exactly the stored values;
 * - `scanSafetensors`: a file indexed by its header alone (model weights of a gigabyte), its
 *   F32/F16/BF16 tensors read later on demand (see storedTensor.ts).
 * `encodeSafetensors` / `writeSafetensors` write the format, readable by Python's `safetensors`.
 */
import { closeSync, fstatSync, readSync } from 'node:fs';
import { InputError } from '../errors';
import { writeFileAtomic } from './atomicWrite';
import { openForReading, type StoredDtype, type StoredTensorIndex } from './storedTensor';

/** A tensor to write: its name, dtype and shape, and its values in the typed array that dtype is stored from. */
export type SafetensorsTensorInput =
  | { readonly name: string; readonly dtype: 'F32'; readonly shape: readonly number[]; readonly data: Float32Array }
  | { readonly name: string; readonly dtype: 'F64'; readonly shape: readonly number[]; readonly data: Float64Array }
  /** Half-precision bits (IEEE binary16 or bfloat16), one element per entry. */
  | { readonly name: string; readonly dtype: 'F16' | 'BF16'; readonly shape: readonly number[]; readonly data: Uint16Array };

/** A tensor read into memory. */
export interface SafetensorsTensor {
  readonly dtype: 'F32' | 'F64';
  readonly shape: number[];
  readonly data: Float32Array | Float64Array;
}

/** What a safetensors file holds: its tensors by name (in header order) and its metadata strings. */
export interface SafetensorsContents {
  tensors: Map<string, SafetensorsTensor>;
  metadata: Record<string, string>;
}

export interface SafetensorsReadOptions {
  /**
   * The message when the bytes are not safetensors at all (no plausible header), in the caller's
   * terms (e.g. "not a CLUB file: …"). Default: "not a safetensors file (…)".
   */
  unrecognised?: string | undefined;
}

/** One header entry: the tensor's dtype, shape and absolute byte range in the file. */
interface HeaderEntry {
  readonly name: string;
  readonly dtype: string;
  readonly shape: number[];
  readonly begin: number;
  readonly end: number;
}

interface ParsedHeader {
  readonly entries: HeaderEntry[];
  readonly metadata: Record<string, string>;
}

/** Headers larger than this are not a real file's: reading them would only exhaust memory. */
const MAX_HEADER_BYTES = 100_000_000;

/** Bytes per element of the dtypes whose size is known, to check each range against its shape. */
const ELEMENT_BYTES: Readonly<Record<string, number>> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1, F8_E4M3: 1, F8_E5M2: 1,
};

const NOT_SAFETENSORS = 'not a safetensors file (expected an 8-byte header length, then a JSON header)';

/**
 * The header's length, from the first 8 bytes and the byte after them; `fileLength` is the
 * whole file's size. Throws the truncation or not-safetensors InputError.
 */
function headerLengthOf(prefix: Uint8Array, fileLength: number, file: string, options: SafetensorsReadOptions): number {
  if (fileLength < 8 || prefix.length < 8) throw new InputError('truncated: too short for a safetensors header', { file });
  const headerLength = Number(new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true));
  // A JSON header that starts but does not fit is a cut-off file, not a foreign one.
  if (headerLength > fileLength - 8 && prefix[8] === 0x7b /* '{' */) {
    throw new InputError(`truncated: the header alone needs ${headerLength} bytes, the file has ${fileLength - 8} after the length`, { file });
  }
  if (headerLength > fileLength - 8 || headerLength > MAX_HEADER_BYTES) throw new InputError(options.unrecognised ?? NOT_SAFETENSORS, { file });
  return headerLength;
}

function isShape(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((size) => Number.isInteger(size) && size >= 0);
}

/** Parses and checks the JSON header: every entry has a dtype, a shape and a byte range inside the file that fits them. */
function parseHeader(json: Uint8Array, headerLength: number, fileLength: number, file: string, options: SafetensorsReadOptions): ParsedHeader {
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(json.buffer, json.byteOffset, json.byteLength).toString('utf8'));
  } catch {
    throw new InputError(options.unrecognised ?? NOT_SAFETENSORS, { file });
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw new InputError(options.unrecognised ?? NOT_SAFETENSORS, { file });
  const dataStart = 8 + headerLength;
  const entries: HeaderEntry[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (value === null || typeof value !== 'object') throw new InputError('__metadata__ is not an object of strings', { file });
      metadata = value as Record<string, string>;
      continue;
    }
    const entry = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const offsets = entry?.data_offsets;
    if (typeof entry?.dtype !== 'string' || !isShape(entry.shape) || !Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o) && o >= 0)) {
      throw new InputError(`tensor ${name}: malformed header entry (expected dtype, shape and data_offsets)`, { file });
    }
    const [begin, end] = offsets as [number, number];
    const count = entry.shape.reduce((product, size) => product * size, 1);
    const size = ELEMENT_BYTES[entry.dtype];
    if (end < begin || (size !== undefined && end - begin !== count * size) || dataStart + end > fileLength) {
      throw new InputError(`tensor ${name}: byte range ${JSON.stringify(offsets)} does not fit shape [${entry.shape}] or the file is truncated`, { file });
    }
    entries.push({ name, dtype: entry.dtype, shape: entry.shape, begin: dataStart + begin, end: dataStart + end });
  }
  return { entries, metadata };
}

/**
 * Reads safetensors bytes held in memory; `file` names the source in error messages. Only F32
 * and F64 tensors are accepted (another dtype is an InputError naming the tensor), each copied
 * into its own typed array.
 */
export function decodeSafetensors(bytes: Uint8Array, file: string, options: SafetensorsReadOptions = {}): SafetensorsContents {
  const headerLength = headerLengthOf(bytes, bytes.length, file, options);
  const { entries, metadata } = parseHeader(bytes.subarray(8, 8 + headerLength), headerLength, bytes.length, file, options);
  const tensors = new Map<string, SafetensorsTensor>();
  for (const { name, dtype, shape, begin, end } of entries) {
    if (dtype !== 'F32' && dtype !== 'F64') throw new InputError(`tensor ${name} has dtype ${dtype}, expected F32 or F64`, { file });
    // A copy, so the array is aligned and shares nothing with a pooled Node Buffer.
    const raw = new Uint8Array(bytes.subarray(begin, end));
    const count = shape.reduce((product, size) => product * size, 1);
    const data = dtype === 'F32' ? new Float32Array(raw.buffer, 0, count) : new Float64Array(raw.buffer, 0, count);
    tensors.set(name, { dtype, shape, data });
  }
  return { tensors, metadata };
}

const STORED_DTYPES: Readonly<Record<string, StoredDtype>> = { F32: 'float32', F16: 'float16', BF16: 'bfloat16' };

/**
 * Indexes a `.safetensors` file by its header alone (the data stays on disk): F32, F16 and BF16
 * tensors become readable stored tensors, others are listed as unsupported.
 */
export function scanSafetensors(file: string, options: SafetensorsReadOptions = {}): StoredTensorIndex {
  const fd = openForReading(file);
  try {
    const fileLength = fstatSync(fd).size;
    const prefix = Buffer.alloc(9);
    const got = readSync(fd, prefix, 0, 9, 0);
    const headerLength = headerLengthOf(prefix.subarray(0, got), fileLength, file, options);
    const json = Buffer.alloc(headerLength);
    let read = 0;
    while (read < headerLength) {
      const n = readSync(fd, json, read, headerLength - read, 8 + read);
      if (n === 0) throw new InputError('truncated safetensors header', { file });
      read += n;
    }
    const { entries } = parseHeader(json, headerLength, fileLength, file, options);
    const tensors: StoredTensorIndex = new Map();
    for (const { name, dtype, shape, begin, end } of entries) {
      const stored = STORED_DTYPES[dtype];
      tensors.set(name, stored ? { name, dtype: stored, shape, file, offset: begin, byteLength: end - begin } : { name, unsupported: `dtype ${dtype}` });
    }
    return tensors;
  } finally {
    closeSync(fd);
  }
}

/**
 * Encodes tensors (in the order given, data laid out back to back) and optional metadata
 * strings as safetensors bytes. The header is padded with spaces so the data starts 8-byte
 * aligned, as the format allows.
 */
export function encodeSafetensors(tensors: readonly SafetensorsTensorInput[], metadata?: Readonly<Record<string, string>>): Uint8Array {
  const header: Record<string, unknown> = metadata === undefined ? {} : { __metadata__: { ...metadata } };
  let offset = 0;
  for (const tensor of tensors) {
    if (tensor.name === '__metadata__' || Object.prototype.hasOwnProperty.call(header, tensor.name)) {
      throw new InputError(`tensor name '${tensor.name}' is reserved or repeated`, { field: 'tensors' });
    }
    const count = tensor.shape.reduce((product, size) => product * size, 1);
    if (count !== tensor.data.length) {
      throw new InputError(`tensor ${tensor.name}: shape [${tensor.shape}] holds ${count} values, data has ${tensor.data.length}`, { field: 'tensors' });
    }
    header[tensor.name] = { dtype: tensor.dtype, shape: [...tensor.shape], data_offsets: [offset, offset + tensor.data.byteLength] };
    offset += tensor.data.byteLength;
  }
  let headerText = JSON.stringify(header);
  headerText += ' '.repeat((8 - ((8 + Buffer.byteLength(headerText)) % 8)) % 8);
  const headerBytes = Buffer.from(headerText, 'utf8');
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let position = 8 + headerBytes.length;
  for (const { data } of tensors) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), position);
    position += data.byteLength;
  }
  return out;
}

/** Writes a safetensors file atomically (see `encodeSafetensors`): an interrupted write never replaces a good file with a partial one. */
export function writeSafetensors(file: string, tensors: readonly SafetensorsTensorInput[], metadata?: Readonly<Record<string, string>>): void {
  writeFileAtomic(file, encodeSafetensors(tensors, metadata));
}
