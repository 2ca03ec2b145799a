import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRng } from '../../src/random';
import { InputError } from '../../src/errors';
import type { Matrix } from '../../src/interface';
import { medianPairwiseDistance, mmdTest, pooledGeometry, stackRows } from '../../src/drift/mmd';
import { domainClassifierAuc, fitKernelLogistic, stratifiedFolds } from '../../src/drift/domainClassifier';
import { driftBaselines, meanCosineDistance } from '../../src/drift/driftBaselines';
import { syntheticSet } from '../support/synthetic';

/** n × d standard normal rows (float64), the first coordinate shifted by `offset`. */
function gaussianRows(n: number, d: number, seed: number, offset = 0): Matrix {
  const rng = createRng(seed);
  const data = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) data[i * d + j] = rng.normal() + (j === 0 ? offset : 0);
  return { rows: n, cols: d, data };
}

const row = (m: Matrix, i: number) => Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols));
const distance = (a: number[], b: number[]) => Math.sqrt(a.reduce((sum, value, k) => sum + (value - b[k]) ** 2, 0));

/** The textbook unbiased MMD² with σ the median pooled distance, by direct sums over rows. */
function bruteForceMmd2(p: Matrix, q: Matrix): { mmd2: number; sigma: number; biased: number } {
  const pooled = [...Array.from({ length: p.rows }, (_, i) => row(p, i)), ...Array.from({ length: q.rows }, (_, i) => row(q, i))];
  const distances: number[] = [];
  for (let i = 0; i < pooled.length; i++) for (let j = i + 1; j < pooled.length; j++) distances.push(distance(pooled[i], pooled[j]));
  distances.sort((a, b) => a - b);
  const half = distances.length / 2;
  const sigma = distances.length % 2 ? distances[Math.floor(half)] : (distances[half - 1] + distances[half]) / 2;
  const k = (a: number[], b: number[]) => Math.exp(-(distance(a, b) ** 2) / (2 * sigma * sigma));
  const xs = pooled.slice(0, p.rows);
  const ys = pooled.slice(p.rows);
  let xx = 0;
  let yy = 0;
  let xy = 0;
  let xxAll = 0;
  let yyAll = 0;
  for (let i = 0; i < xs.length; i++) for (let j = 0; j < xs.length; j++) (i !== j ? (xx += k(xs[i], xs[j])) : 0, (xxAll += k(xs[i], xs[j])));
  for (let i = 0; i < ys.length; i++) for (let j = 0; j < ys.length; j++) (i !== j ? (yy += k(ys[i], ys[j])) : 0, (yyAll += k(ys[i], ys[j])));
  for (const x of xs) for (const y of ys) xy += k(x, y);
  const m = xs.length;
  const n = ys.length;
  return {
    mmd2: xx / (m * (m - 1)) + yy / (n * (n - 1)) - (2 * xy) / (m * n),
    sigma,
    biased: xxAll / (m * m) + yyAll / (n * n) - (2 * xy) / (m * n),
  };
}

test('the unbiased MMD² and its median bandwidth equal the brute-force formula', () => {
  for (const [m, n, seed] of [
    [7, 9, 1],
    [12, 5, 2],
    [6, 6, 3], // 66 pairs: an even count, the median is the mean of the middle two
  ] as const) {
    const p = gaussianRows(m, 5, seed);
    const q = gaussianRows(n, 5, seed + 100, 0.7);
    const expected = bruteForceMmd2(p, q);
    const result = mmdTest(p, q, { permutations: 0 });
    assert.ok(Math.abs(result.bandwidth - expected.sigma) <= 1e-12 * expected.sigma, `σ ${result.bandwidth} vs ${expected.sigma}`);
    assert.ok(Math.abs(result.mmd2 - expected.mmd2) <= 1e-12, `MMD² ${result.mmd2} vs ${expected.mmd2}`);
    assert.ok(Number.isNaN(result.pValue));
  }
  assert.equal(medianPairwiseDistance(pooledGeometry(stackRows({ rows: 1, cols: 1, data: new Float64Array([0]) }, { rows: 2, cols: 1, data: new Float64Array([1, 3]) }))), 2);
});

test('the unbiased MMD² is 0 in expectation without a shift (the biased one is not)', () => {
  // 60 independent null pairs: the mean must lie within 4 standard errors of 0 (a false alarm
  // rate of 6e-5 under the normal approximation). The biased V-statistic, on the same pairs, is
  // positive by its diagonal's 2/m: it must exceed 4 standard errors, so the check can fail.
  const unbiased: number[] = [];
  const biased: number[] = [];
  for (let seed = 0; seed < 60; seed++) {
    const p = gaussianRows(15, 4, 1000 + seed);
    const q = gaussianRows(15, 4, 5000 + seed);
    unbiased.push(mmdTest(p, q, { permutations: 0 }).mmd2);
    biased.push(bruteForceMmd2(p, q).biased);
  }
  const meanAndError = (values: number[]) => {
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1);
    return { mean, error: Math.sqrt(variance / values.length) };
  };
  const u = meanAndError(unbiased);
  const b = meanAndError(biased);
  assert.ok(Math.abs(u.mean) < 4 * u.error, `unbiased mean ${u.mean} ± ${u.error}`);
  assert.ok(b.mean > 4 * b.error, `biased mean ${b.mean} ± ${b.error}`);
});

test('the permutation p-value is calibrated under the null and small under a mean shift', () => {
  // 400 null pairs with 199 permutations: p < 0.05 exactly when at most 8 of 199 permuted
  // statistics reach the observed one, which happens with probability 9/200 = 0.045 under
  // exchangeability. The binomial standard error of the rate over 400 pairs is 0.0104; the rate
  // must lie within 3 of them (0.014 … 0.076), a false failure rate of 0.3%.
  let rejections = 0;
  const trials = 400;
  for (let seed = 0; seed < trials; seed++) {
    const p = gaussianRows(12, 3, 20000 + seed);
    const q = gaussianRows(14, 3, 40000 + seed);
    if (mmdTest(p, q, { permutations: 199, seed }).pValue < 0.05) rejections += 1;
  }
  const rate = rejections / trials;
  assert.ok(Math.abs(rate - 0.045) <= 3 * Math.sqrt((0.045 * 0.955) / trials), `null rejection rate ${rate}`);

  const shifted = mmdTest(gaussianRows(30, 5, 7), gaussianRows(30, 5, 8, 1.5), { permutations: 999, seed: 1 });
  assert.ok(shifted.pValue <= 0.002, `p-value under a mean shift ${shifted.pValue}`);
  assert.ok(shifted.pValue >= 1 / 1000, 'p is never below 1 / (1 + N)');
  // Seeded: the same seed gives the same p-value, another seed may differ only by permutation noise.
  const p = gaussianRows(10, 3, 9);
  const q = gaussianRows(10, 3, 10, 0.4);
  assert.equal(mmdTest(p, q, { permutations: 300, seed: 5 }).pValue, mmdTest(p, q, { permutations: 300, seed: 5 }).pValue);
});

test('the Newton fit satisfies the primal optimality conditions of L2 logistic regression', () => {
  // Stationarity in (w, b): Xᵀ(σ(f) − t) + λw = 0 and Σ(σ(f) − t) = 0, with w = Xᵀα.
  const x = gaussianRows(30, 8, 3);
  const labels = Uint8Array.from({ length: 30 }, (_, i) => (i % 3 === 0 ? 1 : 0));
  const gram = new Float64Array(30 * 30);
  for (let i = 0; i < 30; i++) for (let j = 0; j < 30; j++) gram[i * 30 + j] = row(x, i).reduce((s, v, k) => s + v * row(x, j)[k], 0);
  const lambda = 0.7;
  const fit = fitKernelLogistic(gram, labels, lambda);
  const w = new Float64Array(8);
  for (let i = 0; i < 30; i++) for (let k = 0; k < 8; k++) w[k] += fit.alpha[i] * x.data[i * 8 + k];
  const residual = new Float64Array(30);
  for (let i = 0; i < 30; i++) {
    const f = row(x, i).reduce((s, v, k) => s + v * w[k], fit.intercept);
    residual[i] = 1 / (1 + Math.exp(-f)) - labels[i];
  }
  assert.ok(Math.abs(residual.reduce((a, b) => a + b, 0)) < 1e-8);
  for (let k = 0; k < 8; k++) {
    let gradient = lambda * w[k];
    for (let i = 0; i < 30; i++) gradient += x.data[i * 8 + k] * residual[i];
    assert.ok(Math.abs(gradient) < 1e-8, `∂/∂w_${k} = ${gradient}`);
  }
});

test('stratified folds deal each side evenly', () => {
  const folds = stratifiedFolds(23, 11, 5, 4);
  for (let fold = 0; fold < 5; fold++) {
    const source = Array.from(folds.subarray(0, 23)).filter((f) => f === fold).length;
    const target = Array.from(folds.subarray(23)).filter((f) => f === fold).length;
    assert.ok(source === 4 || source === 5, `fold ${fold}: ${source} source rows`);
    assert.ok(target === 2 || target === 3, `fold ${fold}: ${target} target rows`);
  }
});

function gramOf(p: Matrix, q: Matrix): Float64Array {
  return pooledGeometry(stackRows(p, q)).gram;
}

test('the domain classifier AUC is 0.5 on the null and near 1 on separable data', () => {
  // 40 null pairs: the mean out-of-fold AUC must lie within 4 standard errors of 0.5.
  const aucs: number[] = [];
  for (let seed = 0; seed < 40; seed++) {
    aucs.push(domainClassifierAuc(gramOf(gaussianRows(30, 10, 100 + seed), gaussianRows(30, 10, 300 + seed)), 30, 30, { seed }).auc);
  }
  const mean = aucs.reduce((a, b) => a + b, 0) / aucs.length;
  const error = Math.sqrt(aucs.reduce((a, b) => a + (b - mean) ** 2, 0) / (aucs.length - 1) / aucs.length);
  assert.ok(Math.abs(mean - 0.5) < 4 * error, `null AUC ${mean} ± ${error}`);

  const separable = domainClassifierAuc(gramOf(gaussianRows(30, 10, 1), gaussianRows(30, 10, 2, 6)), 30, 30);
  assert.ok(separable.auc > 0.99, `separable AUC ${separable.auc}`);
  // At the benchmark's shape (768-d, 90 rows a side, more dimensions than rows, so the training
  // rows are always separable) a mean shift of 6 sd is found out of fold; one of 3 sd only partly.
  const wide = domainClassifierAuc(gramOf(gaussianRows(90, 768, 3), gaussianRows(90, 768, 4, 6)), 90, 90, { seed: 2 });
  assert.ok(wide.auc > 0.97, `768-d AUC ${wide.auc}`);
  const weaker = domainClassifierAuc(gramOf(gaussianRows(90, 768, 3), gaussianRows(90, 768, 4, 3)), 90, 90, { seed: 2 });
  assert.ok(weaker.auc > 0.7 && weaker.auc < wide.auc, `768-d AUC at 3 sd ${weaker.auc}`);
  assert.throws(() => domainClassifierAuc(gramOf(gaussianRows(3, 2, 1), gaussianRows(4, 2, 2)), 3, 4, { folds: 5 }), (e: unknown) => e instanceof InputError && e.field === 'folds');
});

test('the mean cosine distance is exact on hand examples', () => {
  const m = (rows: number[][]): Matrix => ({ rows: rows.length, cols: rows[0].length, data: Float64Array.from(rows.flat()) });
  assert.equal(meanCosineDistance(m([[1, 0], [1, 0]]), m([[0, 1], [0, 3]])), 1);
  assert.equal(meanCosineDistance(m([[1, 1]]), m([[2, 2], [4, 4]])), 0);
  assert.equal(meanCosineDistance(m([[1, 0]]), m([[-1, 0]])), 2);
  assert.ok(Math.abs(meanCosineDistance(m([[1, 0]]), m([[1, 1]])) - (1 - Math.SQRT1_2)) < 1e-15);
  // The mean of [3, 4] and [−3, −4] is zero: undefined, and the error names the modality.
  assert.throws(() => meanCosineDistance(m([[3, 4], [-3, -4]]), m([[1, 0]]), 'text'), (e: unknown) => e instanceof InputError && e.field === 'text');
});

test('driftBaselines: every modality, seeded, the shifted ones flagged, bad input named', () => {
  const source = syntheticSet(40, 16, 1);
  const shifted = syntheticSet(40, 16, 2, { offset: 4 });
  const result = driftBaselines(source, shifted, { permutations: 200, seed: 3 });
  for (const modality of ['image', 'question', 'answer'] as const) {
    const drift = result[modality]!;
    assert.ok(drift.mmd2PValue < 0.01, `${modality} p ${drift.mmd2PValue}`);
    assert.ok(drift.classifierAuc > 0.9, `${modality} AUC ${drift.classifierAuc}`);
    assert.ok(drift.meanCosineDistance > 0.1 && drift.bandwidth > 0);
  }
  assert.deepEqual(driftBaselines(source, shifted, { permutations: 200, seed: 3 }), result);
  assert.equal(result.settings.permutations, 200);
  assert.equal(result.settings.seed, 3);
  assert.equal(result.settings.folds, 5);
  assert.equal(result.settings.ridge, 1);

  const textOnly = driftBaselines(syntheticSet(20, 8, 1, { image: false }), syntheticSet(20, 8, 5, { image: false }), { permutations: 50 });
  assert.equal(textOnly.image, undefined);
  assert.ok(textOnly.question.mmd2PValue > 0 && textOnly.question.mmd2PValue <= 1);

  const isField = (field: string) => (e: unknown) => e instanceof InputError && e.field === field;
  assert.throws(() => driftBaselines(source, shifted, { permutations: 0 }), isField('permutations'));
  assert.throws(() => driftBaselines(source, shifted, { permutations: 1.5 }), isField('permutations'));
  assert.throws(() => driftBaselines(source, shifted, { ridge: 0 }), isField('ridge'));
  assert.throws(() => driftBaselines(syntheticSet(1, 8, 1), syntheticSet(5, 8, 2)), isField('image'));
  assert.throws(() => driftBaselines(source, syntheticSet(40, 12, 2)), isField('image'));
});
