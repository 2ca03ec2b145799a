import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crossProduct, outerProduct } from '../../src/backend/onnx/gram';
import { InputError } from '../../src/errors';
import type { Matrix } from '../../src/interface';
import { createRng } from '../../src/random';

/** Unit roundoff of float32. */
const U32 = 2 ** -24;

function randomMatrix(rows: number, cols: number, seed: number, float64 = false): Matrix {
  const rng = createRng(seed);
  const values = Array.from({ length: rows * cols }, () => rng.normal() + 0.3);
  return { rows, cols, data: float64 ? Float64Array.from(values) : Float32Array.from(values) };
}

/**
 * Compares with a float64 reference of L Rᵀ, i.e. Σ_k L_ik R_jk, where L and R are `left` and
 * `right` or their transposes. Rounding the inputs to float32 and then
 * accumulating K products in float32, in any order, errs by at most (K + 2)·u·Σ_k |a_ik b_jk|
 * (the standard γ_K bound for dot products plus the two input roundings), so the check is a
 * rigorous bound, not a tuned tolerance. The reference uses the original (possibly float64) data.
 */
function assertProductClose(
  actual: Float64Array,
  left: Matrix,
  leftTransposed: boolean,
  right: Matrix,
  rightTransposed: boolean,
  n: number,
  m: number,
  k: number,
): void {
  assert.equal(actual.length, n * m);
  const at = (mat: Matrix, transposed: boolean, i: number, kk: number): number =>
    transposed ? mat.data[kk * mat.cols + i] : mat.data[i * mat.cols + kk];
  let worst = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      let exact = 0;
      let magnitude = 0;
      for (let kk = 0; kk < k; kk++) {
        const product = at(left, leftTransposed, i, kk) * at(right, rightTransposed, j, kk);
        exact += product;
        magnitude += Math.abs(product);
      }
      const error = Math.abs(actual[i * m + j] - exact);
      const bound = (k + 2) * U32 * magnitude;
      assert.ok(error <= bound, `(${i}, ${j}): ${actual[i * m + j]} vs ${exact}, error ${error} > bound ${bound}`);
      worst = Math.max(worst, error / magnitude);
    }
  }
  // Guard against a vacuous pass: the result is genuinely float32-accurate, not just bounded.
  assert.ok(worst < 1e-5, `relative error ${worst}`);
}

function assertSymmetric(values: Float64Array, d: number): void {
  for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) assert.equal(values[i * d + j], values[j * d + i]);
}

test('crossProduct = AᵀA within float32 accumulation error, exactly symmetric', async () => {
  for (const [rows, cols, float64] of [
    [300, 40, false],
    [257, 33, true],
    [1, 5, false],
  ] as const) {
    const a = randomMatrix(rows, cols, rows + cols, float64);
    const result = await crossProduct(a);
    // AᵀA = L Rᵀ with L = R = Aᵀ.
    assertProductClose(result, a, true, a, true, cols, cols, rows);
    assertSymmetric(result, cols);
  }
});

test('outerProduct = A Bᵀ and A Aᵀ within float32 accumulation error', async () => {
  const a = randomMatrix(70, 64, 1);
  const b = randomMatrix(45, 64, 2, true);
  assertProductClose(await outerProduct(a, b), a, false, b, false, 70, 45, 64);
  const self = await outerProduct(a);
  assertProductClose(self, a, false, a, false, 70, 70, 64);
  assertSymmetric(self, 70);
});

test('A Aᵀ is the mean of the float32 product and its transpose, in float64, to the last bit', async () => {
  // The graph widens and symmetrizes on the engine thread; these are the numbers the JS loop
  // computed before: 0.5 · (P_ij + P_ji) in float64, and P_ii on the diagonal.
  for (const [rows, cols, seed] of [
    [90, 768, 4],
    [33, 17, 5],
    [1, 3, 6],
  ] as const) {
    const a = randomMatrix(rows, cols, seed);
    const product = await outerProduct(a, a);
    const self = await outerProduct(a);
    assert.ok(self instanceof Float64Array);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < rows; j++) {
        const expected = i === j ? product[i * rows + i] : 0.5 * (product[i * rows + j] + product[j * rows + i]);
        assert.equal(self[i * rows + j], expected, `(${i}, ${j})`);
      }
      assert.equal(Math.fround(product[i]), product[i], 'A Bᵀ is the float32 product, widened');
    }
  }
});

test('thread count does not change the result beyond rounding', async () => {
  const a = randomMatrix(500, 50, 9);
  const one = await crossProduct(a, { threads: 1 });
  const two = await crossProduct(a, { threads: 2 });
  for (let i = 0; i < one.length; i++) assert.ok(Math.abs(one[i] - two[i]) <= 1e-4 * (1 + Math.abs(one[i])));
});

test('empty inputs and shape errors', async () => {
  assert.deepEqual(Array.from(await crossProduct({ rows: 0, cols: 3, data: new Float32Array(0) })), new Array(9).fill(0));
  assert.equal((await outerProduct({ rows: 0, cols: 3, data: new Float32Array(0) })).length, 0);
  await assert.rejects(outerProduct(randomMatrix(3, 4, 1), randomMatrix(3, 5, 2)), InputError);
  await assert.rejects(crossProduct({ rows: 3, cols: 4, data: new Float32Array(11) }), InputError);
});
