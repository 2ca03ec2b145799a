import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertFiniteMatrix, averageOfTwo, averageOfTwoPortable, firstNonFinite, firstNonFinitePortable, matrixFromRows, selectRows } from '../../src/linalg/matrix';
import { createRng } from '../../src/random';
import { wasmKernels } from '../../src/linalg/wasmKernels';

test('firstNonFinite finds the first NaN or ±Infinity in float32 and float64 data, at any position', () => {
  for (const Ctor of [Float32Array, Float64Array]) {
    for (const length of [1, 3, 4, 4095, 4096, 4097, 10000]) {
      const values = new Ctor(length).fill(1.5);
      assert.equal(firstNonFinite(values), -1);
      for (const position of [0, length >> 1, length - 1]) {
        for (const bad of [Number.NaN, Infinity, -Infinity]) {
          const copy = values.slice();
          copy[position] = bad;
          if (position + 1 < length) copy[length - 1] = Number.NaN;
          assert.equal(firstNonFinite(copy), position, `${Ctor.name} length ${length} at ${position} (${bad})`);
        }
      }
    }
  }
  // The largest finite float32 and the smallest subnormal are finite.
  assert.equal(firstNonFinite(Float32Array.from([3.4028234663852886e38, -3.4028234663852886e38, 1e-45, 0, -0])), -1);
  // A view that starts inside its buffer is searched from its own start.
  const buffer = new Float32Array([Number.NaN, 1, 2, Infinity]);
  assert.equal(firstNonFinite(buffer.subarray(1)), 2);
});

test('the WASM check of float32 data agrees with the JS loop, across its 16-value steps and its 128 Ki-value chunks', () => {
  assert.ok(wasmKernels(), 'this runtime has WebAssembly SIMD, so firstNonFinite runs the kernel');
  const chunk = 0x20000;
  for (const length of [1, 15, 16, 17, 33, chunk - 1, chunk, chunk + 1, 2 * chunk + 5]) {
    const values = new Float32Array(length).fill(-0.75);
    assert.equal(firstNonFinite(values), -1);
    const positions = new Set([0, 14, 15, 16, 17, length >> 1, chunk - 1, chunk, chunk + 1, length - 1].filter((p) => p < length));
    for (const position of positions) {
      // NaNs of any payload and sign, and both infinities, by their bits.
      for (const bits of [0x7fc00000, 0xffc00001, 0x7f800001, 0x7f800000, 0xff800000]) {
        const copy = values.slice();
        new Uint32Array(copy.buffer)[position] = bits;
        // A later non-finite value must not be reported first.
        if (position + 3 < length) copy[position + 3] = Number.NaN;
        const expected = firstNonFinitePortable(copy);
        assert.equal(expected, position);
        assert.equal(firstNonFinite(copy), expected, `length ${length} at ${position} (bits ${bits.toString(16)})`);
      }
    }
  }
});

test('the WASM average of float32 matrices is the JS one to the last bit, near the float32 limits too', () => {
  const rng = createRng(12);
  const chunk = 0x8000;
  const max = 3.4028234663852886e38;
  // Sums beyond the float32 range (finite halves), subnormals, exact ties of rounding, signed zeros.
  const special = [max, max, -max, 1e-45, -1e-45, 3e-39, 0, -0, 1, 1 + 2 ** -23, 2 ** -24, 0.1];
  for (const length of [1, 3, 4, 5, chunk - 1, chunk, chunk + 3, 3 * chunk + 1, 90 * 768]) {
    const draw = () => Float32Array.from({ length }, (_, i) => (i < 40 ? special[(i * 7 + length) % special.length] : rng.normal() * 10 ** Math.round(rng.normal() * 3)));
    const a = { rows: 1, cols: length, data: draw() };
    const b = { rows: 1, cols: length, data: draw() };
    const wasm = averageOfTwo(a, b);
    const js = averageOfTwoPortable(a, b);
    assert.ok(wasm.data.buffer instanceof SharedArrayBuffer);
    assert.deepEqual(new Uint32Array(wasm.data.buffer, 0, length), new Uint32Array(js.data.buffer, 0, length), `length ${length}`);
  }
  // max + max is beyond float32, but not its half: the average is max, as in float64.
  const top = averageOfTwo({ rows: 1, cols: 1, data: Float32Array.of(max) }, { rows: 1, cols: 1, data: Float32Array.of(max) });
  assert.equal(top.data[0], max);
});

test('assertFiniteMatrix names the row and column', () => {
  const data = new Float32Array(12).fill(0.25);
  data[7] = -Infinity;
  assert.throws(() => assertFiniteMatrix({ rows: 3, cols: 4, data }, { file: 'm.npy' }), /m\.npy: non-finite value -Infinity at row 1, column 3/);
});

test('row helpers: from arrays, average, select', () => {
  const built = matrixFromRows([[1, 2, 3], Float64Array.from([4, 5, 6])]);
  assert.deepEqual([built.rows, built.cols, Array.from(built.data)], [2, 3, [1, 2, 3, 4, 5, 6]]);
  assert.throws(() => matrixFromRows([[1, 2], [3]], 'answers'), /answers: row 1 has 1 values, row 0 has 2/);
  assert.throws(() => matrixFromRows([]), /no rows/);
  const a = { rows: 2, cols: 2, data: Float32Array.from([1, 2, 3, 4]) };
  const b = { rows: 2, cols: 2, data: Float32Array.from([3, 4, 5, 6]) };
  assert.deepEqual(Array.from(averageOfTwo(a, b).data), [2, 3, 4, 5]);
  assert.deepEqual(Array.from(selectRows(a, [1, 1, 0]).data), [3, 4, 3, 4, 1, 2]);
});
