import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isInputError } from '../../src/errors';
import { encodeSafetensors, decodeSafetensors, scanSafetensors, writeSafetensors } from '../../src/io/safetensors';
import { readStoredTensor, type StoredTensor } from '../../src/io/storedTensor';

const dir = mkdtempSync(join(tmpdir(), 'emishift-safetensors-'));

/** safetensors bytes assembled by hand from a header object and raw data, independent of the encoder. */
function handMade(header: unknown, data: Uint8Array, pad = 0): Uint8Array {
  const json = Buffer.from(JSON.stringify(header) + ' '.repeat(pad), 'utf8');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  return new Uint8Array(Buffer.concat([length, json, Buffer.from(data)]));
}

const f32 = (...values: number[]) => new Uint8Array(Float32Array.from(values).buffer);
const f64 = (...values: number[]) => new Uint8Array(Float64Array.from(values).buffer);

test('the encoder writes the documented layout: length, JSON header padded to 8 bytes, data back to back', () => {
  const bytes = encodeSafetensors(
    [
      { name: 'w', dtype: 'F32', shape: [2], data: Float32Array.from([1, -2]) },
      { name: 'b', dtype: 'F64', shape: [1, 1], data: Float64Array.from([0.1]) },
    ],
    { note: 'é' },
  );
  const json = '{"__metadata__":{"note":"é"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F64","shape":[1,1],"data_offsets":[8,16]}}';
  const jsonLength = Buffer.byteLength(json);
  const padded = jsonLength + ((8 - ((8 + jsonLength) % 8)) % 8);
  assert.equal(Number(Buffer.from(bytes).readBigUInt64LE(0)), padded);
  assert.equal(Buffer.from(bytes.subarray(8, 8 + padded)).toString('utf8'), json + ' '.repeat(padded - jsonLength));
  assert.deepEqual(bytes.subarray(8 + padded), new Uint8Array([...f32(1, -2), ...f64(0.1)]));
  // Without metadata there is no __metadata__ entry at all.
  const bare = encodeSafetensors([{ name: 'h', dtype: 'F16', shape: [1], data: Uint16Array.from([0x3c00]) }]);
  assert.ok(!Buffer.from(bare).toString('latin1').includes('__metadata__'));
});

test('parse reads hand-made files exactly, in header order, with metadata', () => {
  const header = {
    b: { dtype: 'F64', shape: [3], data_offsets: [8, 32] },
    a: { dtype: 'F32', shape: [2, 1], data_offsets: [0, 8] },
    __metadata__: { format: 'pt' },
  };
  const { tensors, metadata } = decodeSafetensors(handMade(header, new Uint8Array([...f32(1.5, -0.25), ...f64(Math.PI, 1e-300, -7)]), 3), 'hand.safetensors');
  assert.deepEqual([...tensors.keys()], ['b', 'a']);
  assert.deepEqual(metadata, { format: 'pt' });
  const a = tensors.get('a');
  const b = tensors.get('b');
  assert.ok(a?.data instanceof Float32Array && b?.data instanceof Float64Array);
  assert.deepEqual([a.dtype, a.shape, Array.from(a.data)], ['F32', [2, 1], [1.5, -0.25]]);
  assert.deepEqual([b.dtype, b.shape, Array.from(b.data)], ['F64', [3], [Math.PI, 1e-300, -7]]);
});

test('encode then parse round-trips every bit; the arrays share nothing with the input bytes', () => {
  const weights = Float32Array.from({ length: 37 }, (_, i) => Math.fround(Math.sin(i) * 1e3));
  const bytes = encodeSafetensors([{ name: 'weights', dtype: 'F32', shape: [37], data: weights }], { epochs: '200' });
  const { tensors, metadata } = decodeSafetensors(bytes, 'x');
  assert.deepEqual(tensors.get('weights')?.data, weights);
  assert.deepEqual(metadata, { epochs: '200' });
  bytes.fill(0);
  assert.deepEqual(tensors.get('weights')?.data, weights);
});

test('bad bytes are InputErrors naming the file and what is wrong', () => {
  const good = encodeSafetensors([{ name: 't', dtype: 'F32', shape: [4], data: new Float32Array(4) }]);
  const cases: [Uint8Array, RegExp][] = [
    [new Uint8Array(5), /^f: truncated: too short for a safetensors header$/],
    [good.subarray(0, 30), /^f: truncated: the header alone needs \d+ bytes, the file has 22 after the length$/],
    [new Uint8Array(Buffer.from('this is not a checkpoint at all')), /^f: not a safetensors file \(expected an 8-byte header length, then a JSON header\)$/],
    [handMade(['not', 'an object'], new Uint8Array(0)), /^f: not a safetensors file/],
    [good.subarray(0, good.length - 1), /^f: tensor t: byte range \[0,16\] does not fit shape \[4\] or the file is truncated$/],
    [handMade({ t: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(12)), /tensor t: byte range \[0,8\] does not fit shape \[3\]/],
    [handMade({ t: { dtype: 'F32', shape: 'big', data_offsets: [0, 8] } }, new Uint8Array(8)), /tensor t: malformed header entry/],
    [handMade({ t: { dtype: 'F16', shape: [2], data_offsets: [0, 4] } }, new Uint8Array(4)), /^f: tensor t has dtype F16, expected F32 or F64$/],
  ];
  for (const [bytes, pattern] of cases) {
    assert.throws(() => decodeSafetensors(bytes, 'f'), (error: unknown) => isInputError(error) && pattern.test(error.message), String(pattern));
  }
  assert.throws(
    () => decodeSafetensors(new Uint8Array(Buffer.from('PK-ish but no zip here')), 'g', { unrecognised: 'not a CLUB file' }),
    (error: unknown) => isInputError(error) && error.message === 'g: not a CLUB file',
  );
  assert.throws(
    () => encodeSafetensors([{ name: 't', dtype: 'F32', shape: [2, 2], data: new Float32Array(3) }]),
    /tensor t: shape \[2,2\] holds 4 values, data has 3/,
  );
  assert.throws(
    () => encodeSafetensors([{ name: 't', dtype: 'F32', shape: [1], data: new Float32Array(1) }, { name: 't', dtype: 'F32', shape: [1], data: new Float32Array(1) }]),
    /'t' is reserved or repeated/,
  );
});

test('scan indexes a file by its header and reads F32, F16 and BF16 tensors on demand; others are listed as unsupported', () => {
  const file = join(dir, 'model.safetensors');
  writeSafetensors(
    file,
    [
      { name: 'full', dtype: 'F32', shape: [2, 2], data: Float32Array.from([1, 2.5, -3, 1e-7]) },
      // 0x3c00 = 1, 0xc000 = -2, 0x3555 ≈ 1/3 in binary16; 0x3f80 = 1, 0xc0a0 = -5 in bfloat16.
      { name: 'half', dtype: 'F16', shape: [3], data: Uint16Array.from([0x3c00, 0xc000, 0x3555]) },
      { name: 'brain', dtype: 'BF16', shape: [2], data: Uint16Array.from([0x3f80, 0xc0a0]) },
    ],
    { format: 'pt' },
  );
  assert.deepEqual(readdirSync(dir).filter((name) => name.endsWith('.tmp')), []);
  const index = scanSafetensors(file);
  assert.deepEqual([...index.keys()], ['full', 'half', 'brain']);
  const full = index.get('full') as StoredTensor;
  assert.deepEqual([full.dtype, full.shape, full.byteLength], ['float32', [2, 2], 16]);
  assert.deepEqual(Array.from(readStoredTensor(full)), Array.from(Float32Array.from([1, 2.5, -3, 1e-7])));
  assert.deepEqual(Array.from(readStoredTensor(index.get('half') as StoredTensor)), [1, -2, Math.fround(0.333251953125)]);
  assert.deepEqual(Array.from(readStoredTensor(index.get('brain') as StoredTensor)), [1, -5]);

  const integers = join(dir, 'ints.safetensors');
  writeFileSync(integers, handMade({ ids: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } }, new Uint8Array(16)));
  assert.deepEqual(scanSafetensors(integers).get('ids'), { name: 'ids', unsupported: 'dtype I64' });

  const cut = join(dir, 'cut.safetensors');
  writeFileSync(cut, readFileSync(file).subarray(0, 40));
  assert.throws(() => scanSafetensors(cut), (error: unknown) => isInputError(error) && error.message.startsWith(`${cut}: truncated`));
  assert.throws(() => scanSafetensors(join(dir, 'absent.safetensors')), /absent\.safetensors: cannot open/);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
