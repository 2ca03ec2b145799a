/**
 * NumPy `.npy` files: versions 1.0 and 2.0 headers, little-endian float32 / float64, C order,
 * one or two dimensions. Anything else is refused with a message naming the file, so a
 * Fortran-ordered or big-endian array can never be read as silently transposed or garbled.
 */
import { InputError } from '../errors';
import type { Matrix } from '../interface';
import { readInputFile, readInputFileShared, readInputFilesSharedAsync } from './inputFile';
import { writeFileAtomic } from './atomicWrite';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

export type NpyDtype = 'float32' | 'float64';

/** A decoded `.npy` array: its values in C order with the dtype and shape its header declared. */
export interface NpyArray {
  readonly dtype: NpyDtype;
  readonly shape: readonly number[];
  readonly data: Float32Array | Float64Array;
}

const DESCR_TO_DTYPE: Record<string, NpyDtype> = { '<f4': 'float32', '<f8': 'float64' };

/** Parses `.npy` bytes; `file` names the source in error messages. */
export function decodeNpy(bytes: Uint8Array, file = '<npy>'): NpyArray {
  if (bytes.length < 10 || MAGIC.some((byte, i) => bytes[i] !== byte)) {
    throw new InputError('not a NumPy .npy file (missing the \\x93NUMPY magic)', { file });
  }
  const major = bytes[6];
  let headerLength: number;
  let headerStart: number;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (major === 1) {
    headerLength = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new InputError('truncated .npy header', { file });
    headerLength = view.getUint32(8, true);
    headerStart = 12;
  } else {
    throw new InputError(`unsupported .npy format version ${major}.${bytes[7]} (expected 1.0 or 2.0)`, { file });
  }
  const dataStart = headerStart + headerLength;
  if (dataStart > bytes.length) throw new InputError('truncated .npy header', { file });
  const header = Buffer.from(bytes.buffer, bytes.byteOffset + headerStart, headerLength).toString(major === 3 ? 'utf8' : 'latin1');
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new InputError(`malformed .npy header ${JSON.stringify(header.trim())}`, { file });
  }
  const dtype = DESCR_TO_DTYPE[descr];
  if (dtype === undefined) {
    throw new InputError(`unsupported dtype '${descr}' (expected little-endian float32 '<f4' or float64 '<f8')`, { file });
  }
  if (fortran === 'True') {
    throw new InputError('Fortran-ordered array (expected C order; save with np.ascontiguousarray)', { file });
  }
  const shape = shapeText
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => Number(part.replace(/L$/, '')));
  if (shape.some((size) => !Number.isInteger(size) || size < 0)) {
    throw new InputError(`malformed shape (${shapeText}) in .npy header`, { file });
  }
  const count = shape.reduce((product, size) => product * size, 1);
  const itemSize = dtype === 'float32' ? 4 : 8;
  const expectedBytes = count * itemSize;
  const available = bytes.length - dataStart;
  if (available < expectedBytes) {
    throw new InputError(`truncated data: shape (${shape.join(', ')}) needs ${expectedBytes} bytes, file has ${available}`, { file });
  }
  if (available > expectedBytes) {
    throw new InputError(`${available - expectedBytes} unexpected bytes after the data of shape (${shape.join(', ')})`, { file });
  }
  const absoluteStart = bytes.byteOffset + dataStart;
  // A typed-array view needs an aligned offset; headers are padded so this usually holds, and
  // copying is the safe fallback when a caller hands us an unaligned slice.
  const [buffer, offset] = absoluteStart % itemSize === 0 ? [bytes.buffer, absoluteStart] : [new Uint8Array(bytes.subarray(dataStart, dataStart + expectedBytes)).buffer, 0];
  const data = dtype === 'float32' ? new Float32Array(buffer, offset, count) : new Float64Array(buffer, offset, count);
  return { dtype, shape, data };
}

/** Reads a `.npy` file. */
export function readNpy(file: string): NpyArray {
  return decodeNpy(readInputFile(file), file);
}

/**
 * Reads a 2-D `.npy` file as a Matrix (a 1-D array is refused: rows are samples). Its values live
 * in shared memory, so a matrix handed to a worker thread is shared with it, not copied.
 */
export function readNpyMatrix(file: string): Matrix {
  return npyMatrix(readInputFileShared(file), file);
}

/** `readNpyMatrix` for several files, read on libuv's threads into one shared buffer (see readInputFilesSharedAsync); each promise settles on its own. */
export function readNpyMatricesAsync(files: readonly string[]): Promise<Matrix>[] {
  return readInputFilesSharedAsync(files).map(async (bytes, index) => npyMatrix(await bytes, files[index]));
}

function npyMatrix(bytes: Uint8Array, file: string): Matrix {
  const array = decodeNpy(bytes, file);
  if (array.shape.length !== 2) {
    throw new InputError(`expected a 2-D array (rows × dimensions), got shape (${array.shape.join(', ')})`, { file });
  }
  return { rows: array.shape[0], cols: array.shape[1], data: array.data };
}

/** Two 2-D `.npy` files whose rows are paired (row i of x with row i of y): an error naming `yFile` when the counts differ. */
export function readPairedNpyMatrices(xFile: string, yFile: string): { x: Matrix; y: Matrix } {
  const x = readNpyMatrix(xFile);
  const y = readNpyMatrix(yFile);
  if (x.rows !== y.rows) throw new InputError(`has ${y.rows} rows but ${xFile} has ${x.rows}: rows are paired, so the counts must match`, { file: yFile });
  return { x, y };
}

/** Encodes an array as `.npy` (version 1.0, or 2.0 when the header needs it). */
export function encodeNpy(array: { shape: readonly number[]; data: Float32Array | Float64Array }): Uint8Array {
  const descr = array.data instanceof Float32Array ? '<f4' : '<f8';
  const count = array.shape.reduce((product, size) => product * size, 1);
  if (count !== array.data.length) {
    throw new InputError(`shape (${array.shape.join(', ')}) holds ${count} values, data has ${array.data.length}`, { field: 'shape' });
  }
  const shapeText = array.shape.length === 1 ? `(${array.shape[0]},)` : `(${array.shape.join(', ')})`;
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  let version = 1;
  let prefix = 10;
  // Pad so the data starts on a 64-byte boundary, as NumPy does, which keeps typed views aligned.
  let total = prefix + dict.length + 1;
  if (Math.ceil(total / 64) * 64 - prefix > 0xffff) {
    version = 2;
    prefix = 12;
    total = prefix + dict.length + 1;
  }
  const padded = Math.ceil(total / 64) * 64;
  dict = dict + ' '.repeat(padded - total) + '\n';
  const out = new Uint8Array(padded + array.data.byteLength);
  out.set(MAGIC, 0);
  out[6] = version;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, dict.length, true);
  else view.setUint32(8, dict.length, true);
  out.set(Buffer.from(dict, 'latin1'), prefix);
  out.set(new Uint8Array(array.data.buffer, array.data.byteOffset, array.data.byteLength), padded);
  return out;
}

/**
 * Writes a `.npy` file atomically (temporary file, then rename), so an interrupted write never
 * leaves a truncated array where a complete one was.
 */
export function writeNpy(file: string, array: { shape: readonly number[]; data: Float32Array | Float64Array }): void {
  writeFileAtomic(file, encodeNpy(array));
}

/** Writes a Matrix as a 2-D `.npy` file. */
export function writeNpyMatrix(file: string, matrix: Matrix): void {
  writeNpy(file, { shape: [matrix.rows, matrix.cols], data: matrix.data });
}
