import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../src/errors';
import { createRng } from '../../src/random';
import { bootstrapCorrelation, bootstrapInterval } from '../../src/stats/bootstrap';
import { kendallTauB, pearson, spearman } from '../../src/stats/correlation';

const SAMPLE_SIZE = 200;
const draws = (() => {
  const rng = createRng(2024);
  return Float64Array.from({ length: SAMPLE_SIZE }, () => 3 + 2 * rng.normal());
})();

function meanOf(rows: Int32Array): number {
  let sum = 0;
  for (let i = 0; i < rows.length; i++) sum += draws[rows[i]];
  return sum / rows.length;
}

test('same seed gives the identical interval, another seed a different one', () => {
  const first = bootstrapInterval(SAMPLE_SIZE, meanOf, { seed: 5, resamples: 300 });
  const again = bootstrapInterval(SAMPLE_SIZE, meanOf, { seed: 5, resamples: 300 });
  assert.deepEqual(again, first);
  const other = bootstrapInterval(SAMPLE_SIZE, meanOf, { seed: 6, resamples: 300 });
  assert.notEqual(other.lower, first.lower);
  assert.notEqual(other.upper, first.upper);
  assert.equal(other.estimate, first.estimate);
});

test('interval for the mean of 200 normal draws contains the estimate; SE ≈ σ/√n', () => {
  const result = bootstrapInterval(SAMPLE_SIZE, meanOf, { resamples: 1000, confidence: 0.9, seed: 1 });
  let mean = 0;
  for (const value of draws) mean += value;
  mean /= SAMPLE_SIZE;
  assert.equal(result.estimate, mean);
  assert.ok(result.lower < result.estimate && result.estimate < result.upper, JSON.stringify(result));
  assert.equal(result.confidence, 0.9);
  assert.equal(result.resamples, 1000);
  assert.equal(result.dropped, 0);
  // The bootstrap SE of a mean estimates σ̂/√n with σ̂ the plug-in (1/n) standard deviation.
  // With 1000 resamples its Monte Carlo relative error is ≈ 1/√(2·1000) ≈ 2.2%; allow 8%.
  let squares = 0;
  for (const value of draws) squares += (value - mean) ** 2;
  const expected = Math.sqrt(squares / SAMPLE_SIZE) / Math.sqrt(SAMPLE_SIZE);
  const relative = Math.abs(result.standardError - expected) / expected;
  assert.ok(relative < 0.08, `SE ${result.standardError} vs σ̂/√n ${expected} (${relative})`);
  // Against the true σ/√n = 2/√200 the sampling error of σ̂ (≈ 1/√(2n) = 5%) adds on; allow 15%.
  const trueSe = 2 / Math.sqrt(SAMPLE_SIZE);
  assert.ok(Math.abs(result.standardError / trueSe - 1) < 0.15, `SE ${result.standardError} vs σ/√n ${trueSe}`);
  // For a near-normal statistic the 90% percentile interval is about ±1.645 SE wide.
  const halfWidth = (result.upper - result.lower) / 2;
  assert.ok(Math.abs(halfWidth / (1.645 * expected) - 1) < 0.15, `half width ${halfWidth}`);
});

test('percentiles use linear interpolation between order statistics (numpy default)', () => {
  // A counter as the statistic makes the resampled values known: the estimate sees −1 and
  // resample b sees b, so the kept values are exactly 0..9.
  let call = -1;
  const result = bootstrapInterval(1, () => call++, { resamples: 10, confidence: 0.5 });
  assert.equal(result.estimate, -1);
  // numpy.quantile(range(10), [0.25, 0.75]) = [2.25, 6.75].
  assert.equal(result.lower, 2.25);
  assert.equal(result.upper, 6.75);
  // Sample standard deviation of 0..9 (ddof = 1) = √(82.5/9).
  assert.ok(Math.abs(result.standardError - Math.sqrt(82.5 / 9)) < 1e-12);
});

test('NaN statistics are dropped and counted; all-NaN throws', () => {
  let call = 0;
  const result = bootstrapInterval(5, () => (call++ % 4 === 0 ? NaN : call), { resamples: 20 });
  // Calls 0 (the estimate), 4, 8, …: 5 of the 20 resamples (calls 4, 8, 12, 16, 20) are NaN.
  assert.ok(Number.isNaN(result.estimate));
  assert.equal(result.dropped, 5);
  assert.ok(Number.isFinite(result.lower) && Number.isFinite(result.upper));
  assert.throws(() => bootstrapInterval(5, () => NaN, { resamples: 3 }), InputError);
});

test('bad options throw InputError', () => {
  for (const confidence of [0, 1, -0.5, 1.5, NaN]) {
    assert.throws(() => bootstrapInterval(10, meanOf, { confidence }), InputError, `confidence ${confidence}`);
  }
  for (const resamples of [0, -3, 2.5, NaN]) {
    assert.throws(() => bootstrapInterval(10, meanOf, { resamples }), InputError, `resamples ${resamples}`);
  }
  assert.throws(() => bootstrapInterval(10, meanOf, { seed: 0.5 }), InputError);
  assert.throws(() => bootstrapInterval(0, meanOf), InputError);
});

test('bootstrapCorrelation resamples pairs together for every kind', () => {
  const rng = createRng(3);
  const x = Array.from({ length: 80 }, () => rng.normal());
  const y = x.map((v) => v + rng.normal());
  const full = { pearson: pearson(x, y).r, spearman: spearman(x, y).rho, kendall: kendallTauB(x, y).tau };
  for (const kind of ['pearson', 'spearman', 'kendall'] as const) {
    const result = bootstrapCorrelation(x, y, kind, { resamples: 200, seed: 9 });
    assert.equal(result.kind, kind);
    assert.equal(result.estimate, full[kind]);
    assert.ok(result.lower < result.estimate && result.estimate < result.upper, `${kind} ${JSON.stringify(result)}`);
    assert.ok(result.lower > 0, `${kind}: a correlation this strong stays positive`);
    assert.deepEqual(bootstrapCorrelation(x, y, kind, { resamples: 200, seed: 9 }), result);
  }
  // Resampling y independently of x would centre the interval near 0; pairing keeps y = x at 1.
  const same = bootstrapCorrelation(x, x, 'spearman', { resamples: 50 });
  assert.equal(same.lower, 1);
  assert.equal(same.upper, 1);
});

test('bootstrapCorrelation drops resamples with a constant column', () => {
  // Three of four x values are equal: many resamples of 4 rows draw only those.
  const result = bootstrapCorrelation([1, 1, 1, 2], [1, 2, 3, 4], 'pearson', { resamples: 200, seed: 2 });
  assert.ok(result.dropped > 0 && result.dropped < 200, `dropped ${result.dropped}`);
  assert.throws(() => bootstrapCorrelation([1, 2, 3], [1, 2], 'pearson'), InputError);
  assert.throws(() => bootstrapCorrelation([1, 2, 3], [1, 2, 3], 'pearson', { confidence: 2 }), InputError);
});

test('the basic interval reflects the percentile quantiles about the estimate; bias is mean − estimate', () => {
  // The maximum of 40 uniform draws is biased downward on resamples (a resample can only lose
  // the largest value), so the bias is negative and the basic interval sits above the percentile one.
  const rng = createRng(21);
  const values = Array.from({ length: 40 }, () => rng.next());
  const maximum = (rows: Int32Array) => Math.max(...Array.from(rows, (i) => values[i]));
  const percentile = bootstrapInterval(40, maximum, { resamples: 500, seed: 2 });
  const basic = bootstrapInterval(40, maximum, { resamples: 500, seed: 2, method: 'basic' });
  assert.equal(percentile.method, 'percentile');
  assert.ok(percentile.bias < 0, `bias ${percentile.bias}`);
  assert.equal(basic.bias, percentile.bias);
  assert.ok(Math.abs(basic.lower - (2 * percentile.estimate - percentile.upper)) < 1e-15);
  assert.ok(Math.abs(basic.upper - (2 * percentile.estimate - percentile.lower)) < 1e-15);
  assert.ok(basic.upper > percentile.upper);
  assert.throws(() => bootstrapInterval(40, maximum, { method: 'bca' as 'basic' }), /method: must be 'percentile' or 'basic'/);
});
