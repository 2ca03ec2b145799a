import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mannWhitneyU, rocAuc } from '../../src/stats/rankTests';
import { createRng } from '../../src/random';
import { InputError } from '../../src/errors';

/** AUC by brute force over every pair: the definition the rank formula must equal. */
function pairCountAuc(positives: number[], negatives: number[]): number {
  let wins = 0;
  for (const p of positives) for (const q of negatives) wins += p > q ? 1 : p === q ? 0.5 : 0;
  return wins / (positives.length * negatives.length);
}

test('rocAuc equals the pair count, ties included', () => {
  const rng = createRng(3);
  for (let trial = 0; trial < 20; trial++) {
    // Integers from a small range make ties common.
    const positives = Array.from({ length: 1 + rng.int(15) }, () => rng.int(6));
    const negatives = Array.from({ length: 1 + rng.int(15) }, () => rng.int(6));
    assert.ok(Math.abs(rocAuc(positives, negatives) - pairCountAuc(positives, negatives)) < 1e-12);
  }
  assert.equal(rocAuc([3, 4], [1, 2]), 1);
  assert.equal(rocAuc([1, 2], [3, 4]), 0);
  assert.equal(rocAuc([1, 1], [1, 1]), 0.5);
});

test('mannWhitneyU matches scipy on a small tied example', () => {
  // scipy 1.17 mannwhitneyu([1,2,3,4,5,5], [3,4,5,6,7], method='asymptotic'): U = 7 and
  // p = 0.16502453421525787 (two-sided), 0.08251226710762893 (less), 0.9421967813063402 (greater).
  const a = [1, 2, 3, 4, 5, 5];
  const b = [3, 4, 5, 6, 7];
  const expected = { 'two-sided': 0.16502453421525787, less: 0.08251226710762893, greater: 0.9421967813063402 } as const;
  for (const alternative of ['two-sided', 'less', 'greater'] as const) {
    const result = mannWhitneyU(a, b, alternative);
    assert.equal(result.u, 7);
    assert.equal(result.alternative, alternative);
    assert.ok(Math.abs(result.pValue - expected[alternative]) < 1e-9, `${alternative}: ${result.pValue}`);
  }
  assert.ok(Math.abs(mannWhitneyU(a, b).auc - 7 / 30) < 1e-12);
});

test('mannWhitneyU is calibrated under the null (seeded, 2000 tests)', () => {
  // Same distribution on both sides: the share of p < 0.05 is binomial(2000, ≤ 0.05); its sd is
  // 0.0049, so [0.03, 0.065] holds with probability > 0.999 for a calibrated test (the
  // continuity correction makes it slightly conservative, hence the lower bound's slack).
  const rng = createRng(11);
  let rejections = 0;
  const trials = 2000;
  for (let t = 0; t < trials; t++) {
    const a = Array.from({ length: 20 }, () => rng.normal());
    const b = Array.from({ length: 25 }, () => rng.normal());
    if (mannWhitneyU(a, b, 'greater').pValue < 0.05) rejections++;
  }
  const rate = rejections / trials;
  assert.ok(rate > 0.03 && rate < 0.065, `rejection rate ${rate}`);
});

test('mannWhitneyU finds a shift in the stated direction only', () => {
  const rng = createRng(5);
  const a = Array.from({ length: 40 }, () => rng.normal() + 1);
  const b = Array.from({ length: 40 }, () => rng.normal());
  assert.ok(mannWhitneyU(a, b, 'greater').pValue < 1e-3);
  assert.ok(mannWhitneyU(a, b, 'less').pValue > 0.99);
  assert.ok(mannWhitneyU(a, b).auc > 0.7);
});

test('mannWhitneyU and rocAuc refuse empty samples, NaN and unknown alternatives', () => {
  assert.throws(() => mannWhitneyU([], [1]), InputError);
  assert.throws(() => rocAuc([1, Number.NaN], [1]), /index 1/);
  assert.throws(() => mannWhitneyU([1], [2], 'bigger' as never), /alternative|greater/);
});
