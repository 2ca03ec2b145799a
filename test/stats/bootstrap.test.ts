import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../src/errors';
import { createRng } from '../../src/random';
import { bootstrapCorrelation, bootstrapInterval, jackknifeAcceleration } from '../../src/stats/bootstrap';
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
  const result = bootstrapInterval(1, () => call++, { resamples: 10, confidence: 0.5, method: 'percentile' });
  assert.equal(result.estimate, -1);
  // numpy.quantile(range(10), [0.25, 0.75]) = [2.25, 6.75].
  assert.equal(result.lower, 2.25);
  assert.equal(result.upper, 6.75);
  // Sample standard deviation of 0..9 (ddof = 1) = √(82.5/9).
  assert.ok(Math.abs(result.standardError - Math.sqrt(82.5 / 9)) < 1e-12);
});

test('NaN statistics are dropped and counted; all-NaN throws', () => {
  let call = 0;
  const result = bootstrapInterval(5, () => (call++ % 4 === 0 ? NaN : call), { resamples: 20, method: 'percentile' });
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
  const percentile = bootstrapInterval(40, maximum, { resamples: 500, seed: 2, method: 'percentile' });
  const basic = bootstrapInterval(40, maximum, { resamples: 500, seed: 2, method: 'basic' });
  assert.deepEqual(bootstrapInterval(40, maximum, { resamples: 500, seed: 2 }), basic, 'basic is the default');
  assert.equal(percentile.method, 'percentile');
  assert.ok(percentile.bias < 0, `bias ${percentile.bias}`);
  assert.equal(basic.bias, percentile.bias);
  assert.ok(Math.abs(basic.lower - (2 * percentile.estimate - percentile.upper)) < 1e-15);
  assert.ok(Math.abs(basic.upper - (2 * percentile.estimate - percentile.lower)) < 1e-15);
  assert.ok(basic.upper > percentile.upper);
  assert.throws(() => bootstrapInterval(40, maximum, { method: 'studentized' as 'basic' }), /method: must be 'basic', 'percentile', 'bca', got studentized/);
});

/** The share of `replications` seeded samples whose interval (from `interval`) contains `truth`. */
function coverage(replications: number, sample: (rng: ReturnType<typeof createRng>) => Float64Array, truth: number, interval: (values: Float64Array, seed: number) => { lower: number; upper: number }): number {
  const rng = createRng(77);
  let covered = 0;
  for (let r = 0; r < replications; r++) {
    const result = interval(sample(rng), r);
    if (result.lower <= truth && truth <= result.upper) covered++;
  }
  return covered / replications;
}

const meanOfValues = (values: Float64Array) => (rows: Int32Array) => {
  let sum = 0;
  for (let i = 0; i < rows.length; i++) sum += values[rows[i]];
  return sum / rows.length;
};

test('coverage of the mean of 40 normal draws is near nominal for every method', () => {
  // Known truth μ = 3. A bootstrap interval for a mean uses the plug-in σ̂ (1/n) and normal
  // quantiles, so its coverage is P(|t₃₉| < 1.645 √(39/40)) ≈ 0.888 rather than 0.90. With 400
  // replications the binomial standard error is √(0.9 · 0.1 / 400) = 0.015; the band [0.84, 0.94]
  // is about ±3 standard errors around 0.888, which a correct method misses with probability
  // below 0.3% (and, seeded, the outcome is fixed).
  for (const method of ['basic', 'percentile', 'bca'] as const) {
    const share = coverage(
      400,
      (rng) => Float64Array.from({ length: 40 }, () => 3 + 2 * rng.normal()),
      3,
      (values, seed) => bootstrapInterval(40, meanOfValues(values), { resamples: 400, confidence: 0.9, seed, method }),
    );
    assert.ok(share >= 0.84 && share <= 0.94, `${method}: coverage ${share}`);
  }
});

test('BCa keeps its coverage for the mean of a skewed (exponential) sample', () => {
  // Mean of 30 Exp(1) draws, truth 1. Skew costs every first-order interval a few points at this
  // size; measured over 3000 seeded replications (400 resamples, 90%): basic 0.860, percentile
  // 0.863, BCa 0.862. With 400 replications (standard error 0.017) the band [0.80, 0.92] is
  // about ±3.5 standard errors around 0.862.
  const exponential = (rng: ReturnType<typeof createRng>) => Float64Array.from({ length: 30 }, () => -Math.log(1 - rng.next()));
  const share = coverage(400, exponential, 1, (values, seed) => bootstrapInterval(30, meanOfValues(values), { resamples: 400, confidence: 0.9, seed, method: 'bca' }));
  assert.ok(share >= 0.8 && share <= 0.92, `BCa coverage ${share}`);
});

test('the jackknife acceleration of a mean is the sample skewness over 6 (its closed form)', () => {
  // For the mean, θ̄(·) − θ(i) = (x_i − x̄) / (n − 1), so a = Σ(x − x̄)³ / (6 (Σ(x − x̄)²)^{3/2}) exactly.
  const values = [0.1, 0.4, 0.2, 3.5, 0.9, 1.3, 0.05, 2.2];
  const n = values.length;
  const mean = values.reduce((sum, value) => sum + value, 0) / n;
  const leaveOneOut = values.map((_, i) => (mean * n - values[i]) / (n - 1));
  const expected = values.reduce((sum, value) => sum + (value - mean) ** 3, 0) / (6 * values.reduce((sum, value) => sum + (value - mean) ** 2, 0) ** 1.5);
  assert.ok(Math.abs(jackknifeAcceleration([leaveOneOut]) - expected) < 1e-14);
  assert.ok(expected > 0, 'right-skewed data accelerate upward');
  assert.equal(jackknifeAcceleration([[2, 2, 2]]), 0, 'no spread, no acceleration');
  // The interval reports what it used, and a symmetric sample's acceleration is 0.
  const symmetric = Float64Array.from([1, 2, 3, 4, 5, 6, 7]);
  const interval = bootstrapInterval(7, meanOfValues(symmetric), { resamples: 200, method: 'bca', seed: 1 });
  assert.equal(interval.method, 'bca');
  assert.ok(Math.abs(interval.acceleration ?? NaN) < 1e-15);
  assert.ok(Number.isFinite(interval.biasCorrection));
  assert.ok(interval.lower < interval.estimate && interval.estimate < interval.upper, JSON.stringify(interval));
});

test('BCa with every resample on one side of the estimate is undefined, not a guess', () => {
  // The statistic is 0 on the full sample and positive on every resample.
  let first = true;
  const result = bootstrapInterval(10, () => (first ? ((first = false), 0) : 1 + Math.random()), { resamples: 50, method: 'bca' });
  assert.equal(result.biasCorrection, -Infinity);
  assert.ok(Number.isNaN(result.lower) && Number.isNaN(result.upper));
});

test('a basic interval of a correlation near 1 is clipped to [−1, 1]', () => {
  const rng = createRng(8);
  const x = Array.from({ length: 12 }, () => rng.normal());
  const y = x.map((v, i) => v + (i === 0 ? 2 : 0.05 * rng.normal()));
  const percentile = bootstrapCorrelation(x, y, 'pearson', { resamples: 300, seed: 1, method: 'percentile' });
  // Unclipped, the reflection 2r − q_lo would exceed 1: one outlier drags resamples far down.
  assert.ok(2 * percentile.estimate - percentile.lower > 1, JSON.stringify(percentile));
  const basic = bootstrapCorrelation(x, y, 'pearson', { resamples: 300, seed: 1 });
  assert.equal(basic.upper, 1);
  assert.ok(basic.lower >= -1 && basic.lower < basic.estimate);
  const bca = bootstrapCorrelation(x, y, 'pearson', { resamples: 300, seed: 1, method: 'bca' });
  assert.ok(bca.upper <= 1 && bca.lower < bca.upper);
});
