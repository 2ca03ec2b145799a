import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeNpy, decodeNpy, readNpyMatricesAsync, readNpyMatrix, writeNpy } from '../../src/io/npy';
import { InputError } from '../../src/errors';

/** One file through the background reader. */
const readOneAsync = (file: string) => readNpyMatricesAsync([file])[0];

function npyBytes(header: string, payload: Uint8Array, version = 1): Uint8Array {
  const prefix = version === 1 ? 10 : 12;
  let text = header;
  const total = prefix + text.length + 1;
  text += ' '.repeat(Math.ceil(total / 64) * 64 - total) + '\n';
  const out = new Uint8Array(prefix + text.length + payload.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, text.length, true);
  else view.setUint32(8, text.length, true);
  out.set(Buffer.from(text, 'latin1'), prefix);
  out.set(payload, prefix + text.length);
  return out;
}

test('float32 and float64 round-trip through encode/parse with shape and values intact', () => {
  for (const data of [Float32Array.from([1.5, -2, 3.25, 4, 5, 6]), Float64Array.from([Math.PI, -1e-300, 7, 8, 9, 10])]) {
    const parsed = decodeNpy(encodeNpy({ shape: [2, 3], data }));
    assert.deepEqual(parsed.shape, [2, 3]);
    assert.equal(parsed.dtype, data instanceof Float32Array ? 'float32' : 'float64');
    assert.deepEqual(Array.from(parsed.data), Array.from(data));
  }
});

test('reads a version 2.0 header and a 1-D shape written the way NumPy writes it', () => {
  const values = Float64Array.from([1, 2, 3]);
  const bytes = npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", new Uint8Array(values.buffer), 2);
  const parsed = decodeNpy(bytes);
  assert.deepEqual(parsed.shape, [3]);
  assert.deepEqual(Array.from(parsed.data), [1, 2, 3]);
});

test('encoded data starts on a 64-byte boundary, as NumPy aligns it', () => {
  const bytes = encodeNpy({ shape: [1, 1], data: Float32Array.from([1]) });
  assert.equal((bytes.length - 4) % 64, 0);
});

test('refuses other dtypes, Fortran order, big-endian, truncation and foreign files with the file named', () => {
  const payload = new Uint8Array(8);
  const cases: [Uint8Array, RegExp][] = [
    [npyBytes("{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }", payload), /unsupported dtype '<i4'/],
    [npyBytes("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", payload), /unsupported dtype '>f4'/],
    [npyBytes("{'descr': '<f4', 'fortran_order': True, 'shape': (1, 2), }", payload), /Fortran-ordered/],
    [npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", payload), /truncated data/],
    [npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", payload), /unexpected bytes/],
    [Buffer.from('hello world, not numpy'), /not a NumPy \.npy file/],
  ];
  for (const [bytes, pattern] of cases) {
    assert.throws(() => decodeNpy(bytes, 'x.npy'), (error: unknown) => error instanceof InputError && pattern.test(error.message) && error.message.startsWith('x.npy: '));
  }
});

test('readNpyMatrix demands 2-D data and a file that exists', () => {
  const dir = mkdtempSync(join(tmpdir(), 'emishift-npy-'));
  writeNpy(join(dir, 'vector.npy'), { shape: [4], data: new Float32Array(4) });
  assert.throws(() => readNpyMatrix(join(dir, 'vector.npy')), /expected a 2-D array/);
  assert.throws(() => readNpyMatrix(join(dir, 'missing.npy')), /missing\.npy: file not found/);
  writeNpy(join(dir, 'm.npy'), { shape: [2, 2], data: Float32Array.from([1, 2, 3, 4]) });
  const matrix = readNpyMatrix(join(dir, 'm.npy'));
  assert.deepEqual([matrix.rows, matrix.cols, Array.from(matrix.data)], [2, 2, [1, 2, 3, 4]]);
  // writeNpy leaves no temporary file behind.
  assert.deepEqual(readFileSync(join(dir, 'm.npy')).subarray(0, 6), Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]));
  writeFileSync(join(dir, 'empty.npy'), '');
  assert.throws(() => readNpyMatrix(join(dir, 'empty.npy')), /not a NumPy/);
});

test('float16 bits decode exactly, subnormals and specials included', async () => {
  const { float16ToNumber } = await import('../../src/io/float16');
  assert.equal(float16ToNumber(0x3c00), 1);
  assert.equal(float16ToNumber(0xc000), -2);
  assert.equal(float16ToNumber(0x7bff), 65504);
  assert.equal(float16ToNumber(0x0001), 2 ** -24);
  assert.equal(float16ToNumber(0x7c00), Infinity);
  assert.ok(Number.isNaN(float16ToNumber(0x7e00)));
});

test('readPairedNpyMatrices reads two paired matrices and names the second file when the row counts differ', async () => {
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { readPairedNpyMatrices, writeNpyMatrix } = await import('../../src/io/npy');
  const dir = mkdtempSync(join(tmpdir(), 'emishift-paired-'));
  const x = { rows: 3, cols: 2, data: Float32Array.from([1, 2, 3, 4, 5, 6]) };
  writeNpyMatrix(join(dir, 'x.npy'), x);
  writeNpyMatrix(join(dir, 'y.npy'), { rows: 3, cols: 1, data: Float32Array.from([7, 8, 9]) });
  writeNpyMatrix(join(dir, 'short.npy'), { rows: 2, cols: 1, data: Float32Array.from([7, 8]) });
  const pairs = readPairedNpyMatrices(join(dir, 'x.npy'), join(dir, 'y.npy'));
  assert.deepEqual([pairs.x.rows, pairs.x.cols, pairs.y.rows, pairs.y.cols], [3, 2, 3, 1]);
  assert.deepEqual(Array.from(pairs.x.data), [1, 2, 3, 4, 5, 6]);
  assert.throws(() => readPairedNpyMatrices(join(dir, 'x.npy'), join(dir, 'short.npy')), (error: Error) => error.message.startsWith(join(dir, 'short.npy')) && /has 2 rows but .*x\.npy has 3/.test(error.message));
});

test('a .npy streamed through a pipe reads as the file does (no size to allocate for)', async () => {
  const { execFileSync, spawn } = await import('node:child_process');
  const folder = mkdtempSync(join(tmpdir(), 'emishift-npy-pipe-'));
  const file = join(folder, 'm.npy');
  writeNpy(file, { shape: [3, 2], data: Float32Array.from([1, 2, 3, 4, 5, 6]) });
  const fifo = join(folder, 'pipe.npy');
  execFileSync('mkfifo', [fifo]);
  const writer = spawn('sh', ['-c', `cat "${file}" > "${fifo}"`]);
  const read = readNpyMatrix(fifo);
  await new Promise((resolve) => writer.on('exit', resolve));
  assert.deepEqual([read.rows, read.cols, Array.from(read.data)], [3, 2, [1, 2, 3, 4, 5, 6]]);
  // The background reader too: the pipe is read from the one open descriptor, not opened twice.
  const second = spawn('sh', ['-c', `cat "${file}" > "${fifo}"`]);
  const background = await readOneAsync(fifo);
  await new Promise((resolve) => second.on('exit', resolve));
  assert.deepEqual([background.rows, background.cols, Array.from(background.data)], [3, 2, [1, 2, 3, 4, 5, 6]]);
});

test('readNpyMatricesAsync reads a file as readNpyMatrix does, and names a missing one', async () => {
  const folder = mkdtempSync(join(tmpdir(), 'emishift-npy-async-'));
  const file = join(folder, 'm.npy');
  const data = Float32Array.from({ length: 3000 * 7 }, (_, i) => Math.sin(i));
  writeNpy(file, { shape: [3000, 7], data });
  const background = await readOneAsync(file);
  assert.deepEqual(background, readNpyMatrix(file));
  assert.ok(background.data.buffer instanceof SharedArrayBuffer);
  await assert.rejects(readOneAsync(join(folder, 'none.npy')), (error: Error) => error.name === 'InputError' && error.message.includes('none.npy') && /file not found/.test(error.message));
});

test('readNpyMatricesAsync reads several files into one shared buffer, aligned, each settling on its own', async () => {
  const { execFileSync, spawn } = await import('node:child_process');
  const folder = mkdtempSync(join(tmpdir(), 'emishift-npy-many-'));
  // Odd sizes, so that a file's bytes would end mid-word without the alignment of the next.
  const shapes: [number, number][] = [[5, 3], [7, 1], [2, 9]];
  const files = shapes.map(([rows, cols], k) => {
    const file = join(folder, `m${k}.npy`);
    writeNpy(file, { shape: [rows, cols], data: Float32Array.from({ length: rows * cols }, (_, i) => k * 100 + i) });
    return file;
  });
  const float64 = join(folder, 'd.npy');
  writeNpy(float64, { shape: [3, 3], data: Float64Array.from({ length: 9 }, (_, i) => i / 7) });
  const fifo = join(folder, 'pipe.npy');
  execFileSync('mkfifo', [fifo]);
  const writer = spawn('sh', ['-c', `cat "${files[0]}" > "${fifo}"`]);
  const written = new Promise((resolve) => writer.on('exit', resolve));
  const missing = join(folder, 'none.npy');
  const read = await Promise.allSettled(readNpyMatricesAsync([files[0], missing, files[1], fifo, float64, files[2]]));
  await written;
  const value = (k: number) => (read[k] as PromiseFulfilledResult<Awaited<ReturnType<typeof readOneAsync>>>).value;
  for (const [k, file] of [[0, files[0]], [2, files[1]], [3, fifo], [4, float64], [5, files[2]]] as const) {
    assert.equal(read[k].status, 'fulfilled', file);
    assert.deepEqual(value(k), readNpyMatrix(k === 3 ? files[0] : file), file);
    assert.equal(value(k).data.byteOffset % value(k).data.BYTES_PER_ELEMENT, 0);
  }
  // The regular files share one buffer; the pipe (no size to allocate for) has its own.
  const shared = value(0).data.buffer;
  assert.ok(shared instanceof SharedArrayBuffer);
  for (const k of [2, 4, 5]) assert.equal(value(k).data.buffer, shared);
  assert.notEqual(value(3).data.buffer, shared);
  assert.equal(read[1].status, 'rejected');
  const reason = (read[1] as PromiseRejectedResult).reason as InputError;
  assert.ok(reason instanceof InputError && reason.file === missing && /file not found/.test(reason.message), String(reason));
});
