/**
 * Detection metrics and the subset-pair test. Statistical claims are checked over seeds with
 * binomial tolerances stated where they are used; the data are draws of one generator
 * (answers = query + noise) read by a CLUB whose μ(x) ≈ x, so no training is involved.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { averagePrecision, detectionMetrics, PR_AUC_DEFINITION, randomScoreTest, shuffledLabels } from '../../src/stats/detection';
import { mannWhitneyU, rocAuc } from '../../src/stats/rankTests';
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

test('under no shift the per-query scores are exchangeable: their U test is calibrated and the AUC centred on 0.5', async () => {
  // As above: 300 independent unshifted pairs, the rejection rate within ±3.2 binomial SE of 0.05.
  // Scored with each split's own contrast means instead (the split-EMI terms), the same test
  // rejects far too often (about 0.25 here): the degenerate score the pooled contrast avoids.
  const runs = 300;
  let rejections = 0;
  let ownContrastRejections = 0;
  let aucSum = 0;
  for (let seed = 0; seed < runs; seed++) {
    const p = answeredSplit(40, 6, 5000 + 2 * seed);
    const q = answeredSplit(40, 6, 5001 + 2 * seed);
    const result = await detectShift(p, q, club, { subsets: 4, subsetSize: 10, seed, bootstrap: { resamples: 5 } });
    if (result.pointwise!.test.pValue < 0.05) rejections += 1;
    const [ownP, ownQ] = [await pointwiseEmi(p, club), await pointwiseEmi(q, club)];
    if (mannWhitneyU(ownQ.rows.map((row) => -row.emi), ownP.rows.map((row) => -row.emi), 'greater').pValue < 0.05) ownContrastRejections += 1;
    aucSum += result.pointwise!.rocAuc.estimate;
  }
  assert.ok(rejections / runs >= 0.01 && rejections / runs <= 0.09, `per-query rejection rate ${rejections / runs}`);
  // 0.15 is 8 SE above 0.05: an own-contrast rate below it would mean the caveat no longer holds.
  assert.ok(ownContrastRejections / runs > 0.15, `own-contrast rejection rate ${ownContrastRejections / runs}`);
  // The AUC of 40 + 40 exchangeable scores has SD √((n₁ + n₂ + 1) / (12 n₁ n₂)) ≈ 0.065; its
  // mean over 300 runs has SE ≈ 0.0037, so ±0.015 is 4 SE.
  assert.ok(Math.abs(aucSum / runs - 0.5) < 0.015, `mean AUC ${aucSum / runs}`);
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
    rowTermsMany: (x, ys) => club.rowTermsMany(x, ys),
    prepare: () => club.prepare(),
    diagnose: (x) => club.diagnose(x),
    condition: async (x) => {
      calls.push(`condition:${x.rows}`);
      const kept = await club.condition(x);
      // The kept pass's other members (whatever the contract adds) pass through unchanged.
      return { ...kept, estimate: (y, rows) => (calls.push('reduce'), kept.estimate(y, rows)), rowTerms: (y, rows) => (calls.push('terms'), kept.rowTerms(y, rows)) };
    },
  };
  const p = answeredSplit(40, 6, 5);
  const q = answeredSplit(30, 6, 6);
  const result = await detectShift(p, q, counting, { subsets: 5, subsetSize: 6, bootstrap: { resamples: 10 } });
  assert.deepEqual(calls.filter((call) => call.startsWith('condition')), ['condition:70']);
  // 2 row-term reductions (both answer sets over the pooled rows); the test and its relabelled rerun: (1 + 2K) EMIs each, 2 reductions per EMI.
  assert.equal(calls.filter((call) => call === 'terms').length, 2);
  assert.equal(calls.filter((call) => call === 'reduce').length, 2 * 2 * (1 + 2 * 5));
  // Every EMID is against EMI(P) on all of P's rows.
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

test('detectShiftBySubsets: any estimator, the provenance detectShift records, and spaces checked the same way', async () => {
  const { detectShiftBySubsets } = await import('../../src/emi/shiftDetection');
  const { gaussianEstimator } = await import('../../src/estimators/gaussian/gaussianEstimator');
  const { SpaceMismatchError } = await import('../../src/errors');
  const fittedSpace = { embedder: 'builtin', text: { model: 'text-a', pooling: 'mean' }, image: null, dimension: 6, normalization: 'l2' } as const;
  const otherSpace = { ...fittedSpace, text: { model: 'text-b', pooling: 'mean' } };
  const gaussian = gaussianEstimator();
  // A non-pointwise estimator that records the space it was fitted in.
  const placed = { ...gaussian, description: { ...gaussian.description, space: fittedSpace } };
  // Subsets of 15 rows: the Gaussian estimate needs more rows than its 12 joint dimensions.
  const id = { ...answeredSplit(60, 6, 31, 'id'), space: fittedSpace };
  const ood = { ...answeredSplit(60, 6, 32, 'ood'), space: otherSpace };
  const options = { subsets: 3, subsetSize: 15, seed: 2, bootstrap: { resamples: 50 } };
  await assert.rejects(detectShiftBySubsets(id, ood, placed, options), (error: unknown) => error instanceof SpaceMismatchError && /ood: text encoder text-b against text-a/.test(error.message));
  const allowed = await detectShiftBySubsets(id, ood, placed, { ...options, allowSpaceMismatch: true });
  assert.equal(allowed.pointwise, undefined);
  assert.deepEqual(allowed.provenance.space_mismatches, ['ood: text encoder text-b against text-a (the estimator was fitted in another embedding space)']);
  assert.deepEqual(allowed.subsetPair, await subsetPairTest(id, ood, placed, { ...options, allowSpaceMismatch: true }));
  // The same provenance keys and values as detectShift's, for the same splits and settings.
  const both = await detectShift(id, { ...ood, space: fittedSpace }, identityClub(6), options);
  const bySubsets = await detectShiftBySubsets(id, { ...ood, space: fittedSpace }, identityClub(6), options);
  assert.deepEqual(bySubsets.provenance, both.provenance);
  assert.deepEqual(bySubsets.subsetPair, both.subsetPair);
  assert.deepEqual(Object.keys(toDetectionJson(bySubsets)), ['subsets', 'subset_pair_test', 'provenance']);
});

test('pointwiseEmi checks the split against the estimator space: refused, or allowed and recorded', async () => {
  const { SpaceMismatchError } = await import('../../src/errors');
  const { toPointwiseJson } = await import('../../src/emi/pointwiseEmi');
  const fittedSpace = { embedder: 'builtin', text: { model: 'text-a', pooling: 'mean' }, image: null, dimension: 6, normalization: 'l2' } as const;
  const base = identityClub(6);
  const { ClubEstimator } = await import('../../src/estimators/club/clubEstimator');
  const placed = new ClubEstimator(base.parameters, 'portable', { space: fittedSpace });
  const set = { ...answeredSplit(30, 6, 41, 'stray'), space: { ...fittedSpace, dimension: 8 } };
  await assert.rejects(pointwiseEmi(set, placed), (error: unknown) => error instanceof SpaceMismatchError && /stray: 8-d rows, 6-d space/.test(error.message));
  const allowed = await pointwiseEmi(set, placed, { allowSpaceMismatch: true });
  assert.deepEqual(allowed.spaceMismatches, ['stray: 8-d rows, 6-d space (the estimator was fitted in another embedding space)']);
  assert.deepEqual((toPointwiseJson(allowed).provenance as { space_mismatches?: string[] }).space_mismatches, allowed.spaceMismatches);
  // Matching spaces: nothing recorded, and the JSON has no such key.
  const matching = await pointwiseEmi({ ...set, space: fittedSpace }, placed);
  assert.equal(matching.spaceMismatches, undefined);
  assert.equal('space_mismatches' in (toPointwiseJson(matching).provenance as object), false);
  assert.equal(matching.emi, allowed.emi);
});
