import { test } from 'node:test';
import assert from 'node:assert/strict';
import { permutationTest, PermutationCache, PERMUTATION_STATISTICS, type PermutationStatistic } from '../../src/significance/permutationTest';
import { permutationPartitions } from '../../src/significance/partitions';
import { ClubEstimator } from '../../src/estimators/club/clubEstimator';
import { initClubParameters } from '../../src/estimators/club/clubModel';
import { gaussianEstimator } from '../../src/estimators/gaussian/gaussianEstimator';
import { comparePair } from '../../src/sweep/sweep';
import { resampleSet } from '../../src/sweep/intervals';
import { inThreadEigenSolver, type EigenSolver } from '../../src/linalg/eigenSolver';
import { createRng, shuffleInPlace } from '../../src/random';
import { InputError } from '../../src/errors';
import { defineEstimator } from '../../src/estimators/defineEstimator';
import type { EmbeddingSet, Matrix } from '../../src/interface';
import { syntheticSet, unitRows } from '../support/synthetic';
import { createPrincipalBlockPool } from '../../src/linalg/principalBlockPool';
import { selectRows, stackRows } from '../../src/linalg/matrix';
import { rjsd } from '../../src/bound/rjsd';
import { boundFromTerms } from '../../src/bound/emidUpperBound';

const club = (dim: number) => new ClubEstimator(initClubParameters({ xDim: dim, yDim: dim, hiddenDim: 8 }, 1));
const quiet = { warn: () => undefined };

test('partitions: the observed one first, then seeded random ones of the same sizes, each side sorted', () => {
  const partitions = permutationPartitions(5, 3, 20, 7);
  assert.equal(partitions.count, 21);
  assert.deepEqual(Array.from(partitions.source[0]), [0, 1, 2, 3, 4]);
  assert.deepEqual(Array.from(partitions.target[0]), [5, 6, 7]);
  for (let p = 1; p < partitions.count; p++) {
    const all = [...partitions.source[p], ...partitions.target[p]].sort((a, b) => a - b);
    assert.deepEqual(all, [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.equal(partitions.source[p].length, 5);
    assert.deepEqual(Array.from(partitions.source[p]), [...partitions.source[p]].sort((a, b) => a - b));
  }
  assert.deepEqual(permutationPartitions(5, 3, 20, 7), partitions);
  assert.notDeepEqual(permutationPartitions(5, 3, 20, 8).source, partitions.source);
});

for (const dim of [16, 64]) {
  // d = 16 < 20 rows: every spectrum on the covariance side; d = 64 > 44 pooled rows: every one on the Gram side.
  test(`observed statistics are comparePair's (d = ${dim}: ${dim === 16 ? 'covariance' : 'Gram'} side), for both mixtures`, async () => {
    const source = syntheticSet(24, dim, 1, { name: 'id' });
    const target = syntheticSet(20, dim, 2, { name: 'ood', offset: 1 });
    const estimator = club(dim);
    for (const mixture of ['sample-weighted', 'equal'] as const) {
      const pair = await comparePair(source, target, estimator, { mixture, entropyScale: 2, ...quiet });
      const result = await permutationTest(source, target, estimator, { permutations: 30, seed: 3, mixture });
      // EMID: float64 re-reduction of the pooled pass vs the estimate's float32 reduction.
      assert.ok(Math.abs((result.statistics.emid?.observed ?? NaN) - pair.emid) < 1e-6);
      assert.ok(Math.abs((result.statistics.jsd_v?.observed ?? NaN) - pair.terms.jsdV) < 1e-9);
      assert.ok(Math.abs((result.statistics.jsd_t?.observed ?? NaN) - pair.terms.jsdT) < 1e-9);
      assert.ok(Math.abs((result.statistics.emid_ub?.observed ?? NaN) - pair.emidUpperBound) < 1e-8);
      const full = await permutationTest(source, target, estimator, { permutations: 30, seed: 3, mixture, entropyScale: 2, statistics: ['emid_ub'] });
      assert.ok(Math.abs((full.statistics.emid_ub?.observed ?? NaN) - (pair.emidUpperBoundFull as number)) < 1e-8);
      assert.equal(full.provenance.bound, 'full');
      assert.deepEqual(Object.keys(full.statistics), ['emid_ub']);
    }
  });
}

test('p-values follow the formula, are reproducible from the seed, and say how they were made', async () => {
  const source = syntheticSet(16, 12, 3, { name: 'id' });
  const target = syntheticSet(16, 12, 4, { name: 'ood', offset: 0.5 });
  const estimator = club(12);
  const first = await permutationTest(source, target, estimator, { permutations: 40, seed: 11 });
  const again = await permutationTest(source, target, estimator, { permutations: 40, seed: 11 });
  const other = await permutationTest(source, target, estimator, { permutations: 40, seed: 12 });
  assert.deepEqual(again, first);
  for (const name of PERMUTATION_STATISTICS) {
    const statistic = first.statistics[name];
    assert.ok(statistic, name);
    const reached = Array.from(statistic.permuted).filter((value) => value >= statistic.observed).length;
    assert.equal(statistic.exceedances, reached);
    assert.equal(statistic.pValue, (1 + reached) / 41);
    assert.equal(statistic.permuted.length, 40);
    assert.notDeepEqual(other.statistics[name]?.permuted, statistic.permuted);
  }
  assert.deepEqual(
    { ...first.provenance, alternatives: Object.keys(first.provenance.alternatives) },
    { permutations: 40, seed: 11, design: 'pooled', statistics: [...PERMUTATION_STATISTICS], alternatives: [...PERMUTATION_STATISTICS], method: first.provenance.method, mixture: 'sample-weighted', bound: 'scale-adjusted', entropy_scale: null, rows: { source: 16, target: 16 }, estimator: estimator.description },
  );
  assert.match(first.provenance.alternatives.emid ?? '', /EMI\(source\) > EMI\(target\)/);
  assert.match(first.provenance.method, /\(1 \+ #\{T_perm >= T_obs\}\) \/ \(1 \+ N\)/);
});

/** The rows `rows` of a set, as a split of their own. */
function subset(set: EmbeddingSet, rows: Int32Array, name: string): EmbeddingSet {
  return { ...resampleSet(set, rows), name };
}

test('calibration: on random halvings of one split, p ≤ 0.05 about 5% of the time for every statistic', async () => {
  // 200 halvings (20 + 20 rows drawn without replacement from one 400-row split), N = 99. Under
  // the null a permutation p-value with no ties is ≤ 0.05 with probability exactly 5/100, so the
  // count of 200 is Binomial(200, 0.05): the range [2, 19] holds it with probability 99.7%
  // (scipy: P(X ≤ 1) = 0.0004, P(X ≥ 20) = 0.0027). The seeds are fixed, so the outcome is too.
  const dim = 8;
  const split = syntheticSet(400, dim, 9);
  const estimator = club(dim);
  const rng = createRng(21);
  const order = Int32Array.from({ length: 400 }, (_, i) => i);
  const trials = 200;
  const rejections: Record<PermutationStatistic, number> = { emid: 0, jsd_v: 0, jsd_t: 0, emid_ub: 0 };
  for (let trial = 0; trial < trials; trial++) {
    shuffleInPlace(order, rng);
    const result = await permutationTest(subset(split, order.slice(0, 20), 'a'), subset(split, order.slice(20, 40), 'b'), estimator, { permutations: 99, seed: trial });
    for (const name of PERMUTATION_STATISTICS) if ((result.statistics[name]?.pValue ?? 1) <= 0.05) rejections[name] += 1;
  }
  for (const name of PERMUTATION_STATISTICS) assert.ok(rejections[name] >= 2 && rejections[name] <= 19, `${name}: ${rejections[name]} of ${trials} p-values ≤ 0.05`);
});

test('power: the p-value of jsd_t falls as the questions’ mean shift grows', async () => {
  // Five seeded replicates per shift (30 + 30 rows, N = 199): the mean p-value must not rise with
  // the shift, no shift must look like chance (mean p > 0.3), and the largest shift must reach
  // the smallest p-value possible, 1/200, in every replicate.
  const shifts = [0, 1, 2, 4];
  const meanP: number[] = [];
  const largest: number[] = [];
  for (const shift of shifts) {
    let total = 0;
    for (let replicate = 0; replicate < 5; replicate++) {
      const source = syntheticSet(30, 16, 100 + replicate, { name: 'id' });
      const target = { ...syntheticSet(30, 16, 200 + replicate, { name: 'ood' }), text: unitRows(30, 16, 300 + replicate, shift) };
      const result = await permutationTest(source, target, club(16), { permutations: 199, seed: replicate, statistics: ['jsd_t'] });
      const p = result.statistics.jsd_t?.pValue ?? NaN;
      total += p;
      if (shift === shifts[shifts.length - 1]) largest.push(p);
    }
    meanP.push(total / 5);
  }
  for (let k = 1; k < shifts.length; k++) assert.ok(meanP[k] <= meanP[k - 1], `mean p-values ${meanP.join(', ')}`);
  assert.ok(meanP[0] > 0.3, `no shift: mean p ${meanP[0]}`);
  assert.ok(meanP[2] < meanP[0] / 2, `mean p-values ${meanP.join(', ')}`);
  assert.deepEqual(largest, [0.005, 0.005, 0.005, 0.005, 0.005]);
});

/** A text-only split whose answers are (1 − noise)·query + noise·fresh noise: their MI with the query falls as noise grows. */
function answeringSplit(rows: number, seed: number, answerNoise: number, name: string): EmbeddingSet {
  const rng = createRng(seed);
  const dim = 2;
  const query = Float64Array.from({ length: rows * dim }, () => rng.normal());
  const answer = (noise: number): Matrix => ({ rows, cols: dim, data: query.map((value) => (1 - noise) * value + noise * rng.normal()) });
  return { name, text: { rows, cols: dim, data: query }, response: answer(answerNoise), reference: answer(0.5) };
}

test('power: the p-value of EMID falls as the model’s answers lose their relation to the query (a real estimator)', async () => {
  // Gaussian MI re-estimated on every selection (defineEstimator's contract); the source's answers
  // are as related to the query as the references (EMI ≈ 0), the target's less and less. Four
  // seeded replicates per level (100 + 100 rows, N = 99): the mean p-value must not rise with the
  // level, no shift must look like chance, and the largest must be significant in every replicate.
  const estimator = gaussianEstimator();
  const levels = [0.5, 0.65, 0.8, 1];
  const meanP: number[] = [];
  for (const level of levels) {
    let total = 0;
    for (let replicate = 0; replicate < 4; replicate++) {
      const result = await permutationTest(answeringSplit(100, 10 + replicate, 0.5, 'id'), answeringSplit(100, 20 + replicate, level, 'ood'), estimator, { permutations: 99, seed: replicate, statistics: ['emid'] });
      const p = result.statistics.emid?.pValue ?? NaN;
      total += p;
      if (level === 1) assert.ok(p <= 0.02, `replicate ${replicate}: p = ${p}`);
    }
    meanP.push(total / 4);
  }
  for (let k = 1; k < levels.length; k++) assert.ok(meanP[k] <= meanP[k - 1], `mean p-values ${meanP.join(', ')}`);
  assert.ok(meanP[0] > 0.3, `no shift: mean p ${meanP[0]}`);
});

/** A solver that counts the eigenproblems it is given. */
function countingSolver(): EigenSolver & { count: number } {
  const solver = {
    count: 0,
    eigenvalues: (matrix: Float64Array, n: number) => ((solver.count += 1), inThreadEigenSolver.eigenvalues(matrix, n)),
    eigenvaluesOfWritten: (n: number, write: (matrix: Float64Array) => void) => ((solver.count += 1), inThreadEigenSolver.eigenvaluesOfWritten(n, write)),
    close: async () => {},
  };
  return solver;
}

test('a shared cache serves pooled matrices repeated across pairs without solving them again, with the same results', async () => {
  const source = syntheticSet(12, 20, 5, { name: 'id' });
  const first = syntheticSet(12, 20, 6, { name: 'a', offset: 0.3 });
  // Same images as `first`: its jsd_v spectra are the same pooled matrix, on the same partitions.
  const second = { ...syntheticSet(12, 20, 7, { name: 'b', offset: 0.3 }), image: first.image };
  const estimator = club(20);
  const options = { permutations: 25, seed: 2, statistics: ['jsd_v'] as PermutationStatistic[] };
  const cache = new PermutationCache();
  const shared = countingSolver();
  const a = await permutationTest(source, first, estimator, { ...options, cache, solver: shared });
  const solvedForFirst = shared.count;
  const b = await permutationTest(source, second, estimator, { ...options, cache, solver: shared });
  assert.equal(shared.count, solvedForFirst, 'the second pair asked for no eigenproblem');
  assert.deepEqual(b.statistics.jsd_v, a.statistics.jsd_v);
  const alone = countingSolver();
  assert.deepEqual(await permutationTest(source, second, estimator, { ...options, solver: alone }), b);
  assert.equal(alone.count, solvedForFirst);
});

test('progress counts partitions to the total', async () => {
  const reports: { done: number; total: number }[] = [];
  await permutationTest(syntheticSet(6, 4, 1), syntheticSet(6, 4, 2), club(4), { permutations: 40, onProgress: ({ done, total }) => reports.push({ done, total }) });
  const last = reports[reports.length - 1];
  assert.equal(last.done, last.total);
  // EMID once, jsd_v and jsd_t (mixture and sides each), and the answers' mixture and two sides.
  assert.equal(last.total, 41 * 8);
  assert.ok(reports.every((report, k) => k === 0 || report.done >= reports[k - 1].done));
});

test('bad input: one-line InputErrors naming the option', async () => {
  const source = syntheticSet(6, 4, 1, { name: 'id' });
  const target = syntheticSet(6, 4, 2, { name: 'ood' });
  const estimator = club(4);
  const rejects = (options: Parameters<typeof permutationTest>[3], field: string, message: RegExp, pair: [EmbeddingSet, EmbeddingSet] = [source, target]) =>
    assert.rejects(permutationTest(pair[0], pair[1], estimator, options), (error: unknown) => error instanceof InputError && error.field === field && message.test(error.message) && !error.message.includes('\n'));
  await rejects({ permutations: 0 }, 'permutations', /permutations must be an integer ≥ 1, got 0/);
  await rejects({ permutations: 2.5 }, 'permutations', /got 2.5/);
  await rejects({ permutations: Number.NaN }, 'permutations', /got NaN/);
  await rejects({ permutations: 10, seed: -1 }, 'seed', /seed must be an integer ≥ 0/);
  await rejects({ permutations: 10, statistics: ['emi' as PermutationStatistic] }, 'statistics', /unknown statistic 'emi'/);
  await rejects({ permutations: 10 }, 'permutations', /the target split 'ood' has 1 row; a permutation test needs at least 2 rows in each split/, [source, syntheticSet(1, 4, 3, { name: 'ood' })]);
  await rejects({ permutations: 10 }, 'text', /the text embeddings are 4-d in the source split and 5-d/, [source, { ...target, text: syntheticSet(6, 5, 3).text }]);
  await rejects({ permutations: 10 }, 'image', /one split has image embeddings/, [source, syntheticSet(6, 4, 3, { image: false })]);
});

test('text-only splits: jsd_v is not tested by default (no image term), and asking for it is an InputError', async () => {
  const source = syntheticSet(8, 4, 1, { name: 'id', image: false });
  const target = syntheticSet(8, 4, 2, { name: 'ood', image: false });
  const estimator = club(4);
  const result = await permutationTest(source, target, estimator, { permutations: 20, seed: 3 });
  assert.deepEqual(Object.keys(result.statistics).sort(), ['emid', 'emid_ub', 'jsd_t']);
  await assert.rejects(permutationTest(source, target, estimator, { permutations: 20, statistics: ['jsd_v', 'emid'] }), (error: unknown) => error instanceof InputError && error.field === 'statistics' && /jsd_v needs image embeddings/.test(error.message));
});

test('paired partitions: each side holds exactly one row of every pair', () => {
  const partitions = permutationPartitions(6, 6, 30, 3, 'paired');
  assert.deepEqual(Array.from(partitions.target[0]), [6, 7, 8, 9, 10, 11]);
  let swapped = 0;
  for (let p = 1; p < partitions.count; p++) {
    const pairs = Array.from(partitions.source[p], (row) => row % 6).sort((a, b) => a - b);
    assert.deepEqual(pairs, [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(Array.from(partitions.target[p], (row) => row % 6).sort((a, b) => a - b), [0, 1, 2, 3, 4, 5]);
    swapped += partitions.source[p].filter((row) => row >= 6).length;
  }
  // 180 coin flips: about half are swaps.
  assert.ok(swapped > 60 && swapped < 120, `${swapped} swaps`);
  assert.notEqual(permutationPartitions(6, 6, 30, 3, 'paired').key, permutationPartitions(6, 6, 30, 3).key);
});

/**
 * A split and a re-draw of the same queries without a shift: the same images and reference
 * answers (shared rows, as in a benchmark's shifted copies), fresh question and answer noise.
 */
function pairedNull(rows: number, dim: number, seed: number): [EmbeddingSet, EmbeddingSet] {
  const shared = syntheticSet(rows, dim, seed);
  const redraw = syntheticSet(rows, dim, seed + 1000);
  return [
    { ...shared, name: 'id' },
    { ...redraw, image: shared.image, reference: shared.reference, name: 'ood' },
  ];
}

test('calibration with shared rows: paired permutations are valid; pooled ones make the bound’s test conservative', async () => {
  // 100 seeded paired-null pairs (20 + 20 rows, N = 99). Paired: the count of p ≤ 0.05 is
  // Binomial(100, 0.05), inside [1, 11] with probability 99% (scipy: P(X = 0) = 0.006, P(X ≥ 12)
  // = 0.004). jsd_v is the same on every paired partition (the images are shared), so its p is 1.
  // Pooled: sides holding a shared reference twice have smaller answer spectra, so the bound's
  // permuted values sit above the observed one and its p-values pile up near 1.
  const estimator = club(8);
  const rejections: Record<string, number> = { emid: 0, jsd_t: 0, emid_ub: 0 };
  let pooledBoundP = 0;
  const trials = 100;
  for (let trial = 0; trial < trials; trial++) {
    const [source, target] = pairedNull(20, 8, 50 + trial);
    const paired = await permutationTest(source, target, estimator, { permutations: 99, seed: trial, design: 'paired' });
    for (const name of ['emid', 'jsd_t', 'emid_ub'] as const) if ((paired.statistics[name]?.pValue ?? 1) <= 0.05) rejections[name] += 1;
    assert.equal(paired.statistics.jsd_v?.pValue, 1);
    assert.equal(paired.provenance.design, 'paired');
    if (trial < 20) pooledBoundP += (await permutationTest(source, target, estimator, { permutations: 99, seed: trial, statistics: ['emid_ub'] })).statistics.emid_ub?.pValue ?? NaN;
  }
  for (const [name, count] of Object.entries(rejections)) assert.ok(count >= 1 && count <= 11, `${name}: ${count} of ${trials} p-values ≤ 0.05`);
  assert.ok(pooledBoundP / 20 > 0.9, `pooled: mean p of the bound ${pooledBoundP / 20}`);
  await assert.rejects(permutationTest(source16(), syntheticSet(10, 16, 2), club(16), { permutations: 9, design: 'paired' }), /paired permutations need splits of equal size .* got 12 and 10 rows/);
});

function source16(): EmbeddingSet {
  return syntheticSet(12, 16, 1, { name: 'id' });
}

test('a statistic that is not finite has no p-value: refused, not reported as significant', async () => {
  // An estimator whose estimates are NaN on every selection: without the check no partition would
  // reach NaN and p would be 1 / (1 + N), the most significant value possible.
  const broken = defineEstimator({ description: { name: 'nan' }, estimate: async () => Number.NaN });
  const source = syntheticSet(12, 8, 1, { name: 'id' });
  const target = syntheticSet(12, 8, 2, { name: 'ood' });
  await assert.rejects(() => permutationTest(source, target, broken, { permutations: 9, statistics: ['emid'] }), /not finite|NaN/);
});

/** The statistics on one partition from the public RJSD of the rows each side holds (every repeat a row of its own, one spectrum at a time). */
async function statisticsFromRows(source: EmbeddingSet, target: EmbeddingSet, sourceRows: Int32Array, targetRows: Int32Array): Promise<{ jsdV: number; jsdT: number; bound: number }> {
  const side = (kind: 'image' | 'text' | 'response' | 'reference', rows: Int32Array) => selectRows(stackRows(source[kind] as Matrix, target[kind] as Matrix), rows);
  const terms = {
    jsdV: await rjsd(side('image', sourceRows), side('image', targetRows)),
    jsdT: await rjsd(side('text', sourceRows), side('text', targetRows)),
    jsdPy: await rjsd(side('response', sourceRows), side('reference', sourceRows)),
    jsdQy: await rjsd(side('response', targetRows), side('reference', targetRows)),
  };
  return { jsdV: terms.jsdV, jsdT: terms.jsdT, bound: boundFromTerms(terms).value };
}

test('splits sharing rows (the same images and references): batched, merged-repeat spectra give the statistics and p-values of the row-by-row RJSD, and the worker pool the same numbers as this thread', async () => {
  // A question shift of the ID split: the same images and reference answers, new questions and answers.
  // d = 48 > 2 × 24 stacked rows, so every spectrum is on the Gram side (the batched path).
  const source = syntheticSet(12, 48, 21, { name: 'id' });
  const shifted = syntheticSet(12, 48, 22, { offset: 0.8 });
  const target: EmbeddingSet = { ...shifted, name: 'ood', image: source.image, reference: source.reference };
  const estimator = club(48);
  const permutations = 40;
  const options = { permutations, seed: 9, statistics: ['jsd_v', 'jsd_t', 'emid_ub'] as PermutationStatistic[] };
  const inThread = await permutationTest(source, target, estimator, options);
  const pool = createPrincipalBlockPool(2);
  try {
    const onPool = await permutationTest(source, target, estimator, { ...options, blockSolver: pool });
    assert.deepEqual(onPool, inThread);
  } finally {
    await pool.close();
  }
  const partitions = permutationPartitions(12, 12, permutations, 9);
  const expected = { jsd_v: new Float64Array(partitions.count), jsd_t: new Float64Array(partitions.count), emid_ub: new Float64Array(partitions.count) };
  for (let p = 0; p < partitions.count; p++) {
    const values = await statisticsFromRows(source, target, partitions.source[p], partitions.target[p]);
    expected.jsd_v[p] = values.jsdV;
    expected.jsd_t[p] = values.jsdT;
    expected.emid_ub[p] = values.bound;
  }
  // Some partitions put both copies of an image or a reference on one side (the case merged here).
  assert.ok(partitions.source.slice(1).some((rows) => Array.from(rows).some((row) => row < 12 && rows.includes(row + 12))));
  for (const name of ['jsd_v', 'jsd_t', 'emid_ub'] as const) {
    const result = inThread.statistics[name];
    assert.ok(result, name);
    const values = [result.observed, ...result.permuted];
    // The same divergences to float64 rounding: spectra of blocks that differ by the merged repeats
    // (and their rounding-sized zero eigenvalues); the bound's fourth roots widen 1e-13 to ~1e-9 at worst near 0.
    const tolerance = name === 'emid_ub' ? 1e-8 : 1e-11;
    values.forEach((value, p) => assert.ok(Math.abs(value - expected[name][p]) <= tolerance * Math.max(1, Math.abs(value)), `${name}, partition ${p}: ${value} vs ${expected[name][p]}`));
    // And the same p-value: the row-by-row values reach the observed one on exactly the same partitions.
    const threshold = expected[name][0] - 1e-9 * Math.max(1, Math.abs(expected[name][0]));
    const reached = expected[name].slice(1).filter((value) => value >= threshold).length;
    assert.equal(result.exceedances, reached, name);
  }
  // jsd_v's observed sides hold the same images: a divergence of 0, reached by every permutation.
  assert.ok(Math.abs(inThread.statistics.jsd_v?.observed ?? NaN) < 1e-12);
  assert.equal(inThread.statistics.jsd_v?.pValue, 1);
});
