import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Matrix } from '../../../src/interface';
import { isInputError } from '../../../src/errors';
import { createRng } from '../../../src/random';
import { choleskyLower, gaussianMutualInformationOfCovariance, jointSampleCovariance } from '../../../src/math/covariance';
import { gaussianEstimator, gaussianMutualInformationEstimate } from '../../../src/estimators/gaussian/gaussianEstimator';
import { denseCorrelation, sparseCorrelation } from '../../../src/samplers/multivariateNormal';
import { findGroundTruthTask } from '../../../src/samplers/tasks';

/**
 * n rows whose sample covariance is exactly `target` (up to rounding): draw, whiten by the
 * sample covariance's Cholesky factor, colour by the target's. The estimate on them must equal
 * the formula on `target`.
 */
function rowsWithCovariance(target: Float64Array, size: number, n: number, seed: number): Float64Array {
  const rng = createRng(seed);
  const rows = new Float64Array(n * size);
  for (let i = 0; i < rows.length; i++) rows[i] = rng.normal();
  const block = { rows: n, cols: size, data: rows };
  const sample = choleskyLower(jointSampleCovariance(block, { rows: n, cols: 0, data: new Float64Array(0) }), size)!;
  const colour = choleskyLower(target, size)!;
  const means = new Float64Array(size);
  for (let i = 0; i < n; i++) for (let d = 0; d < size; d++) means[d] += rows[i * size + d] / n;
  const out = new Float64Array(n * size);
  const white = new Float64Array(size);
  for (let i = 0; i < n; i++) {
    // Solve L_sample w = (row − mean), then out = L_target w.
    for (let p = 0; p < size; p++) {
      let value = rows[i * size + p] - means[p];
      for (let q = 0; q < p; q++) value -= sample[p * size + q] * white[q];
      white[p] = value / sample[p * size + p];
    }
    for (let p = 0; p < size; p++) {
      let value = 0;
      for (let q = 0; q <= p; q++) value += colour[p * size + q] * white[q];
      out[i * size + p] = value;
    }
  }
  return out;
}

function split(rows: Float64Array, n: number, dx: number, dy: number): { x: Matrix; y: Matrix } {
  const x = new Float64Array(n * dx);
  const y = new Float64Array(n * dy);
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < dx; d++) x[i * dx + d] = rows[i * (dx + dy) + d];
    for (let d = 0; d < dy; d++) y[i * dy + d] = rows[i * (dx + dy) + dx + d];
  }
  return { x: { rows: n, cols: dx, data: x }, y: { rows: n, cols: dy, data: y } };
}

test('gaussian equals ½ ln(det Σx det Σy / det Σ) on the covariance it is given, to 1e-9', async () => {
  for (const [dx, dy, covariance] of [
    [1, 1, Float64Array.from([1, 0.75, 0.75, 1])],
    [2, 3, denseCorrelation(2, 3, 0.4)],
    [4, 4, sparseCorrelation(4, 4, 3, 0.7, 0.2)],
  ] as const) {
    // Scale coordinates unequally too: MI does not depend on the scale of a coordinate.
    const size = dx + dy;
    const scaled = Float64Array.from(covariance, (value, k) => value * (1 + Math.floor(k / size)) * (1 + (k % size)));
    const rows = rowsWithCovariance(scaled, size, 500, 7);
    const { x, y } = split(rows, 500, dx, dy);
    const formula = gaussianMutualInformationOfCovariance(scaled, dx);
    assert.ok(Math.abs((await gaussianEstimator().estimate(x, y)) - formula) < 1e-9, `${dx}+${dy}`);
    // And the unscaled covariance gives the same MI.
    assert.ok(Math.abs(formula - gaussianMutualInformationOfCovariance(covariance, dx)) < 1e-12);
  }
});

test('gaussian is within sampling error of the truth on Gaussian samples', async () => {
  for (const name of ['1v1-normal-0.75', 'multinormal-dense-5-5-0.5', 'multinormal-sparse-5-5-2-0.8-0.1']) {
    const { sampler } = findGroundTruthTask(name);
    const estimates: number[] = [];
    for (let seed = 0; seed < 8; seed++) {
      const { x, y } = sampler.sample(5000, createRng(seed));
      estimates.push(gaussianMutualInformationEstimate(x, y));
    }
    const mean = estimates.reduce((a, b) => a + b, 0) / estimates.length;
    const sd = Math.sqrt(estimates.reduce((total, value) => total + (value - mean) ** 2, 0) / (estimates.length - 1));
    // The mean of 8 seeds is within 4 standard errors of the truth, plus the plug-in estimator's
    // known upward bias of about dx·dy/(2n) nats (≤ 0.0025 here).
    const truth = sampler.mutualInformation();
    const allowance = 4 * (sd / Math.sqrt(estimates.length)) + (sampler.xDim * sampler.yDim) / (2 * 5000);
    assert.ok(Math.abs(mean - truth) < allowance, `${name}: ${mean} ± ${sd} vs ${truth}`);
    assert.ok(sd < 0.03, `${name}: seed-to-seed SD ${sd}`);
  }
  // A lower bound elsewhere: the Student-t pair with identity dispersion is uncorrelated, so the
  // Gaussian estimate is ≈ 0 (its plug-in bias dx·dy/(2n) = 0.0004, SD ≈ 0.001) while the truth is 0.11.
  const { sampler } = findGroundTruthTask('student-identity-2-2-3');
  const { x, y } = sampler.sample(5000, createRng(1));
  const estimate = gaussianMutualInformationEstimate(x, y);
  assert.ok(estimate >= 0 && estimate < 0.02 && sampler.mutualInformation() > 0.1, `${estimate}`);
});

test('gaussian: bad input is an InputError (singular covariance, too few rows, NaN)', async () => {
  const constant: Matrix = { rows: 20, cols: 1, data: new Float64Array(20).fill(3) };
  const varying: Matrix = { rows: 20, cols: 1, data: Float64Array.from({ length: 20 }, (_, i) => i) };
  await assert.rejects(gaussianEstimator().estimate(varying, constant), (error: Error) => isInputError(error) && /not positive definite/.test(error.message));
  await assert.rejects(gaussianEstimator().estimate({ rows: 2, cols: 2, data: new Float64Array(4) }, { rows: 2, cols: 1, data: new Float64Array(2) }), /x: gaussian needs at least 4 paired rows, got 2/);
  await assert.rejects(gaussianEstimator().estimate(varying, { rows: 20, cols: 1, data: Float64Array.from({ length: 20 }, (_, i) => (i === 3 ? NaN : i)) }), /y: non-finite value NaN at row 3/);
  assert.deepEqual(gaussianEstimator().description, { name: 'gaussian', settings: {} });
});
