/**
 * Detection metrics and the subset-pair test. Statistical claims are checked over seeds with
 * binomial tolerances stated where they are used; the data are draws of one generator
 * (answers = query + noise) read by a CLUB whose μ(x) ≈ x, so no training is involved.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { averagePrecision, detectionMetrics, PR_AUC_DEFINITION, randomScoreTest, shuffledLabels } from '../../src/stats/detection';
import { rocAuc } from '../../src/stats/rankTests';
import { detectShift, resolveSubsets, subsetPairTest, toDetectionJson } from '../../src/emi/shiftDetection';
import { pointwiseEmi } from '../../src/emi/pointwiseEmi';
import { answerSwapSet } from '../../src/shifts/answers';
import type { PointwiseEstimator } from '../../src/interface';
import { answeredSplit, identityClub } from '../support/identityClub';

const club = identityClub(6);

test('average precision: the step sum of scikit-learn (its documented example), ties entering together', () => {
  // sklearn's docstring: y_true [0, 0, 1, 1], scores [0.1, 0.4, 0.35, 0.8] → 0.8333…
  assert.ok(Math.abs(averagePrecision([0.35, 0.8], [0.1, 0.4]) - 5 / 6) < 1e-12);
  assert.equal(averagePrecision([3, 4], [1, 2]), 1);
  // All tied: one threshold, precision = the positives' share.
  assert.equal(averagePrecision([1, 1], [1, 1, 1, 1, 1, 1]), 0.25);
  // Worst order: positives below every negative.
  assert.ok(Math.abs(averagePrecision([0], [1, 2]) - 1 / 3) < 1e-12);
  assert.throws(() => averagePrecision([], [1]), /at least one score/);
  assert.throws(() => averagePrecision([NaN], [1]), /not a finite number/);
  assert.match(PR_AUC_DEFINITION, /average precision/);
});

test('detection metrics: the estimates are rocAuc and AP of the data, intervals seeded and around them', async () => {
  const positives = [0.9, 0.8, 0.75, 0.3, 0.65, 0.7, 0.55, 0.85];
  const negatives = [0.1, 0.4, 0.35, 0.5, 0.2, 0.6, 0.45, 0.05, 0.3];
  const metrics = await detectionMetrics(positives, negatives, { resamples: 300, seed: 3 });
  assert.equal(metrics.rocAuc.estimate, rocAuc(positives, negatives));
  assert.equal(metrics.prAuc.estimate, averagePrecision(positives, negatives));
  assert.ok(metrics.rocAuc.interval[0] < metrics.rocAuc.estimate && metrics.rocAuc.estimate < metrics.rocAuc.interval[1] + 1e-12);
  assert.equal(metrics.prAuc.chance, 8 / 17);
  assert.deepEqual(await detectionMetrics(positives, negatives, { resamples: 300, seed: 3 }), metrics);
  assert.notEqual((await detectionMetrics(positives, negatives, { resamples: 300, seed: 4 })).rocAuc.standardError, metrics.rocAuc.standardError);
  // Ends are clipped to [0, 1] (the basic interval reflects, and this AUC is near 1).
  assert.ok(metrics.rocAuc.interval[1] <= 1 && metrics.prAuc.interval[1] <= 1);
  assert.deepEqual(metrics.bootstrap, { resamples: 300, confidence: 0.95, seed: 3, method: 'basic', stratified: true });
});

test('subsets must be disjoint: K × m larger than a split is refused, naming the option', () => {
  assert.deepEqual(resolveSubsets(90, 120, {}), { subsets: 10, subsetSize: 9 });
  assert.deepEqual(resolveSubsets(90, 90, { subsetSize: 10 }), { subsets: 9, subsetSize: 10 });
  assert.throws(() => resolveSubsets(90, 90, { subsets: 100, subsetSize: 10 }), (error: Error & { field?: string }) => error.field === 'subsets' && /must be disjoint/.test(error.message));
  assert.throws(() => resolveSubsets(90, 90, { subsetSize: 1 }), /≥ 2 of rows per subset/);
  assert.throws(() => resolveSubsets(5, 90, { subsetSize: 6 }), /do not fit in a split of 5 rows/);
});

test('under no shift the subset-pair p-value is calibrated, and so are both sanity checks', async () => {
  // 300 independent (P, Q) pairs from one distribution. Under H0 each rejection at 0.05 is a
  // Bernoulli(≈0.05) draw (the asymptotic U test is slightly conservative at 10 vs 10): the
  // rate's standard error is √(0.05 · 0.95 / 300) ≈ 0.0126, so [0.01, 0.09] is ±3.2 SE
  // (a false failure about once in 700 runs of this test, for each of the three rates).
  const runs = 300;
  const rejections = { test: 0, shuffled: 0, random: 0 };
  for (let seed = 0; seed < runs; seed++) {
    const p = answeredSplit(50, 6, 2 * seed + 1);
    const q = answeredSplit(50, 6, 2 * seed + 2);
    const result = await subsetPairTest(p, q, club, { subsets: 10, subsetSize: 5, seed, bootstrap: { resamples: 20 } });
    if (result.test.pValue < 0.05) rejections.test += 1;
    if (result.sanity.shuffledLabels.pValue < 0.05) rejections.shuffled += 1;
    if (result.sanity.randomScore.pValue < 0.05) rejections.random += 1;
  }
  for (const [name, count] of Object.entries(rejections)) {
    const rate = count / runs;
    assert.ok(rate >= 0.01 && rate <= 0.09, `${name}: rejection rate ${rate} at α = 0.05`);
  }
});

test('on the model-answer-swap family the AUCs rise with the rate and the test rejects; on reference swaps EMI rises instead', async () => {
  // Means over 4 seeds per rate. Per-query AUC at rate r is about 0.5 + r (A − 0.5) for the AUC A of
  // swapped against clean rows, so steps of 0.2 in r move the mean by far more than its
  // spread across seeds (about 0.03 with 100 + 100 queries).
  const rates = [0, 0.2, 0.4, 0.6, 0.8];
  const meanAuc: number[] = [];
  const lastP: number[] = [];
  for (const rate of rates) {
    let total = 0;
    let pSum = 0;
    for (let seed = 0; seed < 4; seed++) {
      const p = answeredSplit(100, 6, 1000 + 2 * seed);
      const q = answerSwapSet(answeredSplit(100, 6, 1001 + 2 * seed), { name: 'model_answer_swap', rate, seed });
      const result = await detectShift(p, q, club, { subsets: 10, subsetSize: 10, seed, bootstrap: { resamples: 100 } });
      total += result.pointwise!.rocAuc.estimate;
      pSum += result.subsetPair.test.pValue;
    }
    meanAuc.push(total / 4);
    lastP.push(pSum / 4);
  }
  for (let k = 1; k < rates.length; k++) assert.ok(meanAuc[k] > meanAuc[k - 1] + 0.05, `AUC by rate: ${meanAuc.join(', ')}`);
  assert.ok(Math.abs(meanAuc[0] - 0.5) < 0.08, `no swap: AUC ${meanAuc[0]}`);
  assert.ok(meanAuc[4] > 0.8, `rate 0.8: AUC ${meanAuc[4]}`);
  assert.ok(lastP[4] < 0.01, `rate 0.8: mean p ${lastP[4]}`);

  // Reference answers swapped: Î(z; z_y) falls, EMI rises, so the EMID score is LOWER on Q
  // (AUC below 0.5) and only the 'less' alternative finds it.
  const p = answeredSplit(100, 6, 77);
  const q = answerSwapSet(answeredSplit(100, 6, 78), { name: 'reference_answer_swap', rate: 0.8, seed: 1 });
  const greater = await detectShift(p, q, club, { subsets: 10, subsetSize: 10, bootstrap: { resamples: 100 } });
  const less = await detectShift(p, q, club, { subsets: 10, subsetSize: 10, alternative: 'less', bootstrap: { resamples: 100 } });
  assert.ok(greater.pointwise!.rocAuc.estimate < 0.2, `reference swap AUC ${greater.pointwise!.rocAuc.estimate}`);
  assert.ok(greater.subsetPair.test.pValue > 0.5);
  assert.ok(less.subsetPair.test.pValue < 0.01);
  assert.match(less.subsetPair.hypothesis, /smaller/);
});

test('one pass over the pooled queries: every subset and every query term is a reduction', async () => {
  const calls: string[] = [];
  const counting: PointwiseEstimator = {
    ...club,
    description: club.description,
    estimate: (x, y) => club.estimate(x, y),
    estimateMany: (x, ys) => club.estimateMany(x, ys),
    prepare: () => club.prepare(),
    diagnose: (x) => club.diagnose(x),
    condition: async (x) => {
      calls.push(`condition:${x.rows}`);
      const kept = await club.condition(x);
      return {
        rows: kept.rows,
        estimate: (y, rows) => (calls.push('reduce'), kept.estimate(y, rows)),
        estimateSelections: (y, selections) => (calls.push('selections'), kept.estimateSelections(y, selections)),
        rowTerms: (y, rows) => (calls.push('terms'), kept.rowTerms(y, rows)),
      };
    },
  };
  const p = answeredSplit(40, 6, 5);
  const q = answeredSplit(30, 6, 6);
  const result = await detectShift(p, q, counting, { subsets: 5, subsetSize: 6, bootstrap: { resamples: 10 } });
  assert.deepEqual(calls.filter((call) => call.startsWith('condition')), ['condition:70']);
  // 4 row-term reductions (both answer sets, both splits); the test and its relabelled rerun: (1 + 2K) EMIs each, 2 reductions per EMI.
  assert.equal(calls.filter((call) => call === 'terms').length, 4);
  assert.equal(calls.filter((call) => call === 'reduce').length, 2 * 2 * (1 + 2 * 5));
  // The null EMIDs are EMI(P) − EMI(P_k), P_k disjoint blocks of P: their mean over blocks that
  // cover P is not EMI(P) − EMI(P) in general (the contrast means are the block's), but the
  // per-query scores of P average to 0 exactly.
  const pointwiseP = await pointwiseEmi(p, club);
  assert.ok(Math.abs(result.subsetPair.emiId - pointwiseP.emi) < 1e-9);
  const json = toDetectionJson(result) as { subset_pair_test: { alternative: string; a: string; b: string }; provenance: { seed: number; alternative: string } };
  assert.equal(json.subset_pair_test.alternative, 'greater');
  assert.match(json.subset_pair_test.a, /subsets of Q/);
  assert.equal(json.provenance.alternative, 'greater');
});

test('sanity-check helpers: relabelling keeps the sizes; a random score is seeded', () => {
  const { first, second } = shuffledLabels(4, 6, 1);
  assert.equal(first.length, 4);
  assert.deepEqual([...first, ...second].sort((a, b) => a - b), Array.from({ length: 10 }, (_, i) => i));
  assert.deepEqual(randomScoreTest([8, 8], 'greater', 2), randomScoreTest([8, 8], 'greater', 2));
});
