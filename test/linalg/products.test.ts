import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crossProduct, crossProductPortable, outerProduct, outerProductPortable } from '../../src/linalg/products';
import { unitRows } from '../support/synthetic';

test('the native and portable products agree (float32 inputs, float64 results)', async () => {
  // Large enough to take the native path (more than 2e5 multiply-adds).
  const a = unitRows(120, 64, 1);
  const b = unitRows(80, 64, 2);
  const pairs: [Float64Array, Float64Array][] = [
    [await crossProduct(a), crossProductPortable(a)],
    [await outerProduct(a), outerProductPortable(a)],
    [await outerProduct(a, b), outerProductPortable(a, b)],
  ];
  for (const [native, portable] of pairs) {
    assert.equal(native.length, portable.length);
    // Float32 accumulation of 64–120 products of magnitude ≤ 1: error well under 1e-5.
    for (let i = 0; i < native.length; i++) assert.ok(Math.abs(native[i] - portable[i]) < 1e-5, `${i}: ${native[i]} vs ${portable[i]}`);
  }
  const small = unitRows(3, 2, 3);
  const gram = outerProductPortable(small);
  // Unit rows: the Gram diagonal is 1; the portable path mirrors the triangle exactly.
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(gram[i * 3 + i] - 1) < 1e-6);
  assert.equal(gram[1], gram[3]);
});
