import assert from 'node:assert/strict';

/** |actual − expected| ≤ tolerance · |expected|. */
export function assertRelative(actual: number, expected: number, tolerance: number, label = ''): void {
  const error = Math.abs(actual - expected) / Math.abs(expected);
  assert.ok(error <= tolerance, `${label} ${actual} vs ${expected}: relative error ${error} > ${tolerance}`);
}

/** |actual − expected| ≤ tolerance. */
export function assertAbsolute(actual: number, expected: number, tolerance: number, label = ''): void {
  const error = Math.abs(actual - expected);
  assert.ok(error <= tolerance, `${label} ${actual} vs ${expected}: absolute error ${error} > ${tolerance}`);
}
