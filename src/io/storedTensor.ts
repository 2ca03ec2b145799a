/**
 * Tensors left on disk: where a weight file keeps a tensor's bytes, found by indexing the file's
 * header (safetensors) or message structure (ONNX), and read on demand as float32. This is how a
 * 1 GB model is used without loading it: only the rows asked for are read.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { InputError } from '../errors';
import { float16ToNumber } from './float16';

/** The element types a stored tensor can be read as float32 from. */
export type StoredDtype = 'float32' | 'float16' | 'bfloat16';

/** Where a tensor's bytes are: a contiguous little-endian range of a file. */
export interface StoredTensor {
  readonly name: string;
  readonly dtype: StoredDtype;
  readonly shape: readonly number[];
  readonly file: string;
  readonly offset: number;
  readonly byteLength: number;
}

/** A tensor a file holds in a form this reader cannot turn into float32 (integer, quantized, …), and why. */
export interface UnsupportedTensor {
  readonly name: string;
  readonly unsupported: string;
}

/** The tensors of a weight file by name, readable or not. */
export type StoredTensorIndex = Map<string, StoredTensor | UnsupportedTensor>;

/** Bytes per element of each stored dtype. */
export const STORED_DTYPE_BYTES: Readonly<Record<StoredDtype, number>> = { float32: 4, float16: 2, bfloat16: 2 };

/** Opens a file for reading; failure is an InputError naming it. */
export function openForReading(file: string): number {
  try {
    return openSync(file, 'r');
  } catch (error) {
    throw new InputError(`cannot open: ${error instanceof Error ? error.message : String(error)}`, { file });
  }
}

/** Reads elements [start, start + count) of a stored tensor as float32, through an open descriptor of its file. */
export function readStoredElements(fd: number, tensor: StoredTensor, start: number, count: number): Float32Array {
  const size = STORED_DTYPE_BYTES[tensor.dtype];
  const bytes = Buffer.allocUnsafe(count * size);
  const position = tensor.offset + start * size;
  let read = 0;
  while (read < bytes.length) {
    const n = readSync(fd, bytes, read, bytes.length - read, position + read);
    if (n === 0) throw new InputError(`truncated tensor data for ${tensor.name}`, { file: tensor.file });
    read += n;
  }
  const out = new Float32Array(count);
  if (tensor.dtype === 'float32') {
    for (let i = 0; i < count; i++) out[i] = bytes.readFloatLE(i * 4);
  } else if (tensor.dtype === 'float16') {
    for (let i = 0; i < count; i++) out[i] = float16ToNumber(bytes.readUInt16LE(i * 2));
  } else {
    // bfloat16 is the top half of a float32: shifting its bits up is exact.
    const word = new Uint32Array(1);
    const asFloat = new Float32Array(word.buffer);
    for (let i = 0; i < count; i++) {
      word[0] = bytes.readUInt16LE(i * 2) << 16;
      out[i] = asFloat[0];
    }
  }
  return out;
}

/** Reads a whole stored tensor as float32. */
export function readStoredTensor(tensor: StoredTensor): Float32Array {
  const fd = openForReading(tensor.file);
  try {
    return readStoredElements(fd, tensor, 0, tensor.shape.reduce((product, size) => product * size, 1));
  } finally {
    closeSync(fd);
  }
}
