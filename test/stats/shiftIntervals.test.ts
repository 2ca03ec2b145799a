import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emiInterval, emidInterval, emidUpperBoundInterval, resampleSet } from '../../src/stats/shiftIntervals';
import { ClubEstimator } from '../../src/mi/club';
import { initClubParameters } from '../../src/mi/clubModel';
import { emi, emid } from '../../src/mi/emi';
import { emidUpperBound } from '../../src/bound/emidUpperBound';
import type { Matrix, MutualInformationEstimator } from '../../src/interface';
import { syntheticSet } from '../support/synthetic';

const club = new ClubEstimator(initClubParameters({ xDim: 8, yDim: 8, hiddenDim: 6 }, 2));
const source = syntheticSet(30, 8, 1);
const target = syntheticSet(30, 8, 2, { offset: 1 });

test('resampling picks the same rows of every matrix of a set', () => {
  const rows = Int32Array.from([2, 2, 0]);
  const resampled = resampleSet(source, rows);
  for (const key of ['image', 'text', 'response', 'reference'] as const) {
    const original = source[key] as Matrix;
    const picked = resampled[key] as Matrix;
    assert.equal(picked.rows, 3);
    assert.deepEqual(Array.from(picked.data.subarray(0, 8)), Array.from(original.data.subarray(16, 24)));
    assert.deepEqual(Array.from(picked.data.subarray(16, 24)), Array.from(original.data.subarray(0, 8)));
  }
});

test('EMI and EMID intervals: estimates equal the point values, seeded, and bracket the estimate', async () => {
  const interval = await emiInterval(source, club, { resamples: 200, seed: 3 });
  // emi() reduces on the native engine in float32, the interval in float64: equal to float32 rounding.
  assert.ok(Math.abs(interval.estimate - (await emi(source, club)).emi) < 1e-6);
  assert.ok(interval.lower <= interval.estimate && interval.estimate <= interval.upper, JSON.stringify(interval));
  assert.deepEqual(await emiInterval(source, club, { resamples: 200, seed: 3 }), interval);
  assert.notDeepEqual(await emiInterval(source, club, { resamples: 200, seed: 4 }), interval);
  const difference = await emidInterval(source, target, club, { resamples: 200, seed: 3 });
  assert.ok(Math.abs(difference.estimate - (await emid(source, target, club)).emid) < 1e-6);
  assert.ok(difference.upper > difference.lower);
});

test('the CLUB shortcut (one forward pass) equals re-estimating every resample', async () => {
  // Hiding the class makes emiInterval take the generic path through estimator.estimate.
  const generic: MutualInformationEstimator = { estimate: (x, y) => club.estimate(x, y) };
  const fast = await emiInterval(source, club, { resamples: 25, seed: 9 });
  const slow = await emiInterval(source, generic, { resamples: 25, seed: 9 });
  assert.ok(Math.abs(fast.lower - slow.lower) < 1e-6 && Math.abs(fast.upper - slow.upper) < 1e-6, `${JSON.stringify(fast)} vs ${JSON.stringify(slow)}`);
});

test('the bound interval brackets the bound and covers its full form when a scale is given', async () => {
  const interval = await emidUpperBoundInterval(source, target, { resamples: 40, seed: 1 });
  const bound = await emidUpperBound(source, target, { entropyScale: 2 });
  assert.ok(Math.abs(interval.estimate - bound.value) < 1e-10);
  assert.equal(interval.resamples, 40);
  assert.ok(interval.lower < interval.upper);
  const full = await emidUpperBoundInterval(source, target, { resamples: 10, seed: 1, entropyScale: 2 });
  assert.ok(Math.abs(full.estimate - (bound.full ?? NaN)) < 1e-10);
});
