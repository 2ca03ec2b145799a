import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRng } from '../../src/random';
import { isInputError } from '../../src/errors';
import { gaussianMutualInformationOfCovariance, jointSampleCovariance } from '../../src/math/covariance';
import { logGamma, normalCdf } from '../../src/math/specialFunctions';
import { gaussianMutualInformation } from '../../src/samplers/gaussianPairs';
import { denseCorrelation, multivariateNormalSampler, sparseCorrelation } from '../../src/samplers/multivariateNormal';
import { additiveUniformMutualInformation, additiveUniformSampler, bimodalMarginal, bimodalSampler, bimodalUpperTail } from '../../src/samplers/oneDimensional';
import { sampleGamma, studentTEntropy, studentTMutualInformationCorrection, studentTSampler } from '../../src/samplers/studentT';
import { asinh, halfCube, normalCdfTransform, spiral, transformedSampler, unspiral, wiggly } from '../../src/samplers/transforms';
import { findGroundTruthTask, GROUND_TRUTH_TASKS, groundTruthTaskNames } from '../../src/samplers/tasks';

const identity = (size: number) => {
  const matrix = new Float64Array(size * size);
  for (let i = 0; i < size; i++) matrix[i * size + i] = 1;
  return matrix;
};

test('every task is seeded, has its dimensions and a finite positive MI, and names are unique', () => {
  const names = groundTruthTaskNames();
  assert.equal(new Set(names).size, names.length);
  for (const name of ['1v1-normal-0.75', 'multinormal-dense-5-5-0.5', 'student-identity-2-2-3', '1v1-additive-0.1', '1v1-bimodal-0.75', 'spiral-multinormal-dense-3-3-0.5']) {
    assert.ok(names.includes(name), name);
  }
  for (const prefix of ['half_cube-', 'asinh-', 'normal_cdf-', 'spiral-', 'wiggly-', 'multinormal-sparse-']) assert.ok(names.some((name) => name.startsWith(prefix)), prefix);
  for (const entry of GROUND_TRUTH_TASKS) {
    const first = entry.sampler.sample(40, createRng(11));
    const again = entry.sampler.sample(40, createRng(11));
    const other = entry.sampler.sample(40, createRng(12));
    assert.deepEqual(first, again, `${entry.name} is reproducible from its seed`);
    assert.notDeepEqual(first.x.data, other.x.data, `${entry.name} depends on the seed`);
    assert.equal(first.x.rows, 40);
    assert.equal(first.x.cols, entry.sampler.xDim);
    assert.equal(first.y.cols, entry.sampler.yDim);
    const mi = entry.sampler.mutualInformation();
    assert.ok(Number.isFinite(mi) && mi > 0, `${entry.name}: MI ${mi}`);
    assert.ok(entry.n > 1 && entry.seeds.length > 0);
  }
});

test('unknown task names are InputErrors with a suggestion', () => {
  assert.throws(() => findGroundTruthTask('1v1-normal-0.57'), (error: Error) => isInputError(error) && /did you mean '1v1-normal-0.75'/.test(error.message) && /^tasks: /.test(error.message));
  assert.throws(() => findGroundTruthTask('nothing-like-it'), (error: Error) => isInputError(error) && /tasks: 1v1-normal-0.75, /.test(error.message));
  assert.equal(findGroundTruthTask('1v1-additive-0.1').sampler.mutualInformation(), additiveUniformMutualInformation(0.1));
});

test('Gaussian MI formula: independent closed forms for binormal, dense and sparse covariances', () => {
  assert.ok(Math.abs(findGroundTruthTask('1v1-normal-0.75').sampler.mutualInformation() - gaussianMutualInformation(1, 0.75)) < 1e-14);
  // (1 − a) I + a J of size m has determinant (1 − a)^(m − 1) (1 + (m − 1) a).
  const logDetDense = (m: number, a: number) => (m - 1) * Math.log(1 - a) + Math.log(1 + (m - 1) * a);
  const denseTruth = 0.5 * (2 * logDetDense(5, 0.5) - logDetDense(10, 0.5));
  assert.ok(Math.abs(findGroundTruthTask('multinormal-dense-5-5-0.5').sampler.mutualInformation() - denseTruth) < 1e-12);
  // Without within-side correlation, the sparse MI is the sum over its independent pairs.
  assert.ok(Math.abs(gaussianMutualInformationOfCovariance(sparseCorrelation(4, 3, 2, 0.8, 0), 4) - gaussianMutualInformation(2, 0.8)) < 1e-12);
  assert.throws(() => multivariateNormalSampler({ name: 'bad', xDim: 1, yDim: 1, covariance: [1, 1.2, 1.2, 1] }), /covariance: is not positive definite/);
  assert.throws(() => multivariateNormalSampler({ name: 'bad', xDim: 1, yDim: 1, covariance: [1, 0.2, 0.3, 1] }), /not symmetric/);
});

test('multivariate normal samples: covariance entries and the plug-in MI within sampling error', () => {
  const n = 20000;
  for (const [xDim, yDim, covariance] of [
    [2, 3, denseCorrelation(2, 3, 0.5)],
    [3, 3, sparseCorrelation(3, 3, 2, 0.8, 0.1)],
  ] as const) {
    const sampler = multivariateNormalSampler({ name: 't', xDim, yDim, covariance });
    const { x, y } = sampler.sample(n, createRng(3));
    const sample = jointSampleCovariance(x, y);
    // A sample covariance entry has standard error √((1 + ρ²)/n) ≤ √(2/n) = 0.01; 5 of those
    // keeps the chance that any of the ≤ 36 entries fails below 1e-4.
    for (let k = 0; k < sample.length; k++) assert.ok(Math.abs(sample[k] - covariance[k]) < 0.05, `entry ${k}: ${sample[k]} vs ${covariance[k]}`);
    // The plug-in MI of n = 20,000 pairs has a standard error of ~0.01 nats and a bias of
    // ~d²/(4n) ≈ 0.001 here; 0.05 is over 4 standard errors.
    const plugIn = gaussianMutualInformationOfCovariance(sample, xDim);
    assert.ok(Math.abs(plugIn - sampler.mutualInformation()) < 0.05, `plug-in ${plugIn} vs ${sampler.mutualInformation()}`);
  }
});

test('Gamma draws have mean and variance equal to the shape (within 5 standard errors)', () => {
  const rng = createRng(5);
  for (const shape of [0.5, 1.5, 3]) {
    const n = 40000;
    let sum = 0;
    let squares = 0;
    for (let i = 0; i < n; i++) {
      const value = sampleGamma(shape, rng);
      sum += value;
      squares += value * value;
    }
    const mean = sum / n;
    const variance = squares / n - mean * mean;
    // SE of the mean is √(shape/n); of the variance √((μ4 − σ⁴)/n) with μ4 = 3k² + 6k for Gamma(k).
    assert.ok(Math.abs(mean - shape) < 5 * Math.sqrt(shape / n), `mean ${mean} for shape ${shape}`);
    assert.ok(Math.abs(variance - shape) < 5 * Math.sqrt((2 * shape * shape + 6 * shape) / n), `variance ${variance} for shape ${shape}`);
  }
});

test('Student-t: entropies, the MI correction and its limit, and a Monte Carlo check of MI from the density', () => {
  // The Cauchy distribution (ν = 1, d = 1) has entropy ln 4π.
  assert.ok(Math.abs(studentTEntropy(1, 1) - Math.log(4 * Math.PI)) < 1e-13);
  // The correction is positive, decreases in ν and vanishes as ν → ∞ (the Gaussian limit).
  let previous = Infinity;
  for (const nu of [1, 2, 3, 5, 10, 30, 100, 1000]) {
    const correction = studentTMutualInformationCorrection(nu, 2, 2);
    assert.ok(correction > 0 && correction < previous, `ν = ${nu}: ${correction}`);
    previous = correction;
  }
  assert.ok(studentTMutualInformationCorrection(1e7, 3, 2) < 1e-6);
  // With a correlated dispersion at large ν the Student-t MI tends to the Gaussian MI.
  const dispersion = denseCorrelation(2, 2, 0.5);
  const heavy = studentTSampler({ name: 't', xDim: 2, yDim: 2, dispersion, degreesOfFreedom: 1e6 });
  assert.ok(Math.abs(heavy.mutualInformation() - gaussianMutualInformationOfCovariance(dispersion, 2)) < 1e-5);

  // MI = E[ln p(x, y) − ln p(x) − ln p(y)] from the t density (identity dispersion), averaged
  // over 100,000 draws; the tolerance is 4 standard errors of that mean (false-failure rate ~6e-5).
  const nu = 3;
  const logDensity = (squaredNorm: number, d: number) => logGamma((nu + d) / 2) - logGamma(nu / 2) - (d / 2) * Math.log(nu * Math.PI) - ((nu + d) / 2) * Math.log1p(squaredNorm / nu);
  const sampler = studentTSampler({ name: 't', xDim: 2, yDim: 2, dispersion: identity(4), degreesOfFreedom: nu });
  const n = 100000;
  const { x, y } = sampler.sample(n, createRng(9));
  let sum = 0;
  let squares = 0;
  for (let i = 0; i < n; i++) {
    const sx = x.data[2 * i] ** 2 + x.data[2 * i + 1] ** 2;
    const sy = y.data[2 * i] ** 2 + y.data[2 * i + 1] ** 2;
    const pointwise = logDensity(sx + sy, 4) - logDensity(sx, 2) - logDensity(sy, 2);
    sum += pointwise;
    squares += pointwise * pointwise;
  }
  const mean = sum / n;
  const standardError = Math.sqrt((squares / n - mean * mean) / n);
  assert.ok(Math.abs(mean - sampler.mutualInformation()) < 4 * standardError, `Monte Carlo ${mean} ± ${standardError} vs ${sampler.mutualInformation()}`);
  // Marginal variance ν/(ν − 2) at ν = 5; its standard error at n = 50,000 is ≈ 0.021 (t₅ has excess kurtosis 6).
  const five = studentTSampler({ name: 't5', xDim: 1, yDim: 1, dispersion: identity(2), degreesOfFreedom: 5 }).sample(50000, createRng(2));
  const variance = Array.from(five.x.data).reduce((total, value) => total + value * value, 0) / 50000;
  assert.ok(Math.abs(variance - 5 / 3) < 0.1, `variance ${variance}`);
});

test('transforms are invertible: strictly increasing per coordinate, the spiral undone exactly; MI is the base MI', () => {
  for (const transform of [halfCube, asinh, normalCdfTransform, wiggly]) {
    const row = new Float64Array(1);
    let previous = -Infinity;
    for (let t = -6; t <= 6; t += 1e-3) {
      row[0] = t;
      transform.apply(row);
      assert.ok(row[0] > previous, `${transform.name} increases at ${t}`);
      previous = row[0];
    }
  }
  const rng = createRng(4);
  for (let trial = 0; trial < 200; trial++) {
    const original = Float64Array.from({ length: 3 }, () => 2 * rng.normal());
    const row = Float64Array.from(original);
    spiral().apply(row);
    unspiral(row);
    for (let j = 0; j < 3; j++) assert.ok(Math.abs(row[j] - original[j]) < 1e-9, 'spiral inverse');
  }
  const base = findGroundTruthTask('1v1-normal-0.75').sampler;
  const transformed = transformedSampler(base, { y: halfCube });
  assert.equal(transformed.name, 'half_cube-1v1-normal-0.75');
  assert.equal(transformed.mutualInformation(), base.mutualInformation());
  const plain = base.sample(30, createRng(1));
  const mapped = transformed.sample(30, createRng(1));
  assert.deepEqual(mapped.x, plain.x);
  for (let i = 0; i < 30; i++) assert.equal(mapped.y.data[i], plain.y.data[i] * Math.sqrt(Math.abs(plain.y.data[i])));
  assert.throws(() => transformedSampler(base, { x: spiral() }), /spiral needs x of dimension ≥ 2/);
});

test('additive uniform noise: the formula against numeric integration of h(Y), and Var(Y) = 1/12 + ε²/3', () => {
  for (const epsilon of [0.1, 0.3, 0.5, 0.75, 2]) {
    // Midpoint rule on the trapezoidal density of Y = X + N, 2·10⁵ cells (error ≪ 1e-6).
    const from = -epsilon;
    const to = 1 + epsilon;
    const cells = 200000;
    const width = (to - from) / cells;
    let entropy = 0;
    for (let c = 0; c < cells; c++) {
      const t = from + (c + 0.5) * width;
      const density = (Math.min(1, t + epsilon) - Math.max(0, t - epsilon)) / (2 * epsilon);
      if (density > 0) entropy -= density * Math.log(density) * width;
    }
    const numeric = entropy - Math.log(2 * epsilon);
    assert.ok(Math.abs(numeric - additiveUniformMutualInformation(epsilon)) < 1e-6, `ε = ${epsilon}: ${numeric}`);
  }
  const epsilon = 0.1;
  const { x, y } = additiveUniformSampler(epsilon).sample(30000, createRng(8));
  let mean = 0;
  for (let i = 0; i < y.rows; i++) {
    mean += y.data[i];
    assert.ok(Math.abs(y.data[i] - x.data[i]) <= epsilon && x.data[i] >= 0 && x.data[i] < 1);
  }
  mean /= y.rows;
  const variance = Array.from(y.data).reduce((total, value) => total + (value - mean) ** 2, 0) / (y.rows - 1);
  // Var(Y) ≈ 0.0867; the SE of a sample variance of a bounded variable at n = 30,000 is below 5e-4.
  assert.ok(Math.abs(variance - (1 / 12 + epsilon ** 2 / 3)) < 0.003, `variance ${variance}`);
});

test('bimodal: the marginal map inverts the mixture CDF, is increasing, and the samples have two modes', () => {
  for (const z of [-9, -3, -1, -0.2, 0, 0.4, 2, 7]) {
    const t = bimodalMarginal(z);
    // 1 − F(m(z)) = 1 − Φ(z) = Φ(−z), relative to the tail's size.
    const tail = normalCdf(-z);
    assert.ok(Math.abs(bimodalUpperTail(t) - tail) <= 1e-12 * tail, `z = ${z}`);
  }
  let previous = -Infinity;
  for (let z = -5; z <= 5; z += 0.01) {
    const value = bimodalMarginal(z);
    assert.ok(value > previous);
    previous = value;
  }
  const { x } = bimodalSampler(0.75).sample(20000, createRng(6));
  const count = (low: number, high: number) => Array.from(x.data).filter((value) => value >= low && value < high).length;
  // The mixture density is ≈ 0.40 at ±1 and ≈ 0.11 at 0: expected counts ≈ 160 per mode window and ≈ 43 at 0.
  assert.ok(count(-0.1, 0.1) < 0.5 * count(0.9, 1.1) && count(-0.1, 0.1) < 0.5 * count(-1.1, -0.9), 'a dip between two modes');
  assert.equal(bimodalSampler(0.75).mutualInformation(), gaussianMutualInformation(1, 0.75));
});
