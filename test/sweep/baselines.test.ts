import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClubEstimator } from '../../src/estimators/club/clubEstimator';
import { initClubParameters } from '../../src/estimators/club/clubModel';
import { comparePair, sweepSplits } from '../../src/sweep/sweep';
import { fromResultsJson, toPairJson, toResultsJson } from '../../src/sweep/resultsJson';
import { driftBaselines } from '../../src/drift/driftBaselines';
import { InputError } from '../../src/errors';
import { syntheticSet } from '../support/synthetic';
import type { EmbeddingSet } from '../../src/interface';

const estimator = new ClubEstimator(initClubParameters({ xDim: 16, yDim: 16, hiddenDim: 8 }, 1));
const source = syntheticSet(14, 16, 1, { name: 'id' });
const targets = [1, 2, 3].map((k) => syntheticSet(14, 16, 1 + k, { name: `ood${k}`, offset: 0.8 * k }));
const lazy = (set: EmbeddingSet) => ({ name: set.name!, load: () => set });
const options = { permutations: 99, seed: 4, folds: 3 };

const MAP_KEYS = ['V', 'T', 'YHAT'].flatMap((m) => [`MMD2_${m}`, `MMD2_${m}_PVAL`, `MMD2_SIGMA_${m}`, `DOMAIN_AUC_${m}`, `MEAN_COS_DIST_${m}`]);

test('a sweep with baselines carries driftBaselines of every comparison, its settings in the provenance, and round-trips', async () => {
  const plain = await sweepSplits(lazy(source), targets.map(lazy), estimator);
  const result = await sweepSplits(lazy(source), targets.map(lazy), estimator, { baselines: options });
  for (const [index, target] of targets.entries()) {
    const { settings, ...values } = driftBaselines(source, target, options);
    assert.deepEqual(result.comparisons[index].baselines, values);
    assert.deepEqual(result.provenance.drift_baselines, settings);
    // The bound and EMI do not change with baselines.
    assert.equal(result.comparisons[index].emid, plain.comparisons[index].emid);
    assert.equal(result.comparisons[index].emidUpperBound, plain.comparisons[index].emidUpperBound);
  }
  assert.equal(result.provenance.drift_baselines?.permutations, 99);
  assert.equal(result.provenance.drift_baselines?.folds, 3);

  const json = toResultsJson(result);
  for (const key of MAP_KEYS) assert.deepEqual(Object.keys(json[key] as object), ['ood1', 'ood2', 'ood3'], key);
  assert.equal((json.DOMAIN_AUC_T as Record<string, number>).ood2, result.comparisons[1].baselines!.question.classifierAuc);
  assert.equal((json.MMD2_YHAT_PVAL as Record<string, number>).ood3, result.comparisons[2].baselines!.answer.mmd2PValue);
  // Without the option nothing of it appears: the output is what it was.
  const plainJson = toResultsJson(plain);
  for (const key of MAP_KEYS) assert.equal(key in plainJson, false, key);
  assert.equal('drift_baselines' in plainJson.provenance!, false);
  const stripped = JSON.parse(JSON.stringify(json));
  for (const key of MAP_KEYS) delete stripped[key];
  delete stripped.provenance.drift_baselines;
  // Same numbers apart from the baselines (only the provenance's invocation-independent parts compared).
  assert.deepEqual({ ...stripped, provenance: undefined }, { ...JSON.parse(JSON.stringify(plainJson)), provenance: undefined });

  const read = fromResultsJson(JSON.parse(JSON.stringify(json)));
  assert.deepEqual(read.comparisons.map((c) => c.baselines), result.comparisons.map((c) => c.baselines));
  assert.deepEqual(read.provenance?.drift_baselines, result.provenance.drift_baselines);
  assert.deepEqual(toResultsJson(read), JSON.parse(JSON.stringify(json)), 'written back unchanged');
  assert.equal(fromResultsJson(JSON.parse(JSON.stringify(plainJson))).comparisons[0].baselines, undefined);

  const incomplete = JSON.parse(JSON.stringify(json));
  delete incomplete.DOMAIN_AUC_T;
  assert.throws(() => fromResultsJson(incomplete), (e: unknown) => e instanceof InputError && e.field === 'DOMAIN_AUC_T');
  const noAnswer = JSON.parse(JSON.stringify(json));
  for (const key of MAP_KEYS.filter((k) => k.includes('YHAT'))) delete noAnswer[key];
  assert.throws(() => fromResultsJson(noAnswer), (e: unknown) => e instanceof InputError && e.field === 'MMD2_YHAT');
  const fewer = JSON.parse(JSON.stringify(json));
  delete fewer.MMD2_T.ood2;
  assert.throws(() => fromResultsJson(fewer), (e: unknown) => e instanceof InputError && e.field === 'MMD2_T');
});

test('text-only splits have no image maps; comparePair and toPairJson carry the baselines', async () => {
  const textSource = syntheticSet(12, 16, 1, { name: 'id', image: false });
  const textTargets = [1, 2, 3].map((k) => syntheticSet(12, 16, 1 + k, { name: `ood${k}`, image: false, offset: k }));
  const result = await sweepSplits(lazy(textSource), textTargets.map(lazy), estimator, { baselines: options });
  const json = toResultsJson(result);
  assert.equal('MMD2_V' in json, false);
  assert.ok('MMD2_T' in json && 'MEAN_COS_DIST_YHAT' in json);
  assert.deepEqual(fromResultsJson(JSON.parse(JSON.stringify(json))).comparisons[0].baselines, result.comparisons[0].baselines);

  const comparison = await comparePair(source, targets[2], estimator, { baselines: options });
  const { settings, ...values } = driftBaselines(source, targets[2], options);
  assert.deepEqual(comparison.baselines, values);
  assert.deepEqual(comparison.provenance.drift_baselines, settings);
  const pair = toPairJson(comparison);
  assert.equal(pair.mmd2_v, values.image!.mmd2);
  assert.equal(pair.mmd2_t_pvalue, values.question.mmd2PValue);
  assert.equal(pair.mmd2_sigma_yhat, values.answer.bandwidth);
  assert.equal(pair.domain_auc_yhat, values.answer.classifierAuc);
  assert.equal(pair.mean_cos_dist_v, values.image!.meanCosineDistance);
  const without = toPairJson(await comparePair(source, targets[2], estimator));
  assert.equal(Object.keys(without).some((key) => key.startsWith('mmd2') || key.startsWith('domain_auc')), false);
  await assert.rejects(comparePair(source, targets[2], estimator, { baselines: { permutations: 0 } }), (e: unknown) => e instanceof InputError && e.field === 'permutations');
});

test('a target whose questions are byte for byte another target\'s reuses their baselines, with the same numbers', async () => {
  const { DriftBaselineCache } = await import('../../src/drift/driftBaselines');
  // Two targets share the question matrix (as the benchmark grid's image shifts do) but not images or answers.
  const first = syntheticSet(14, 16, 5, { name: 'a', offset: 1 });
  const second = { ...syntheticSet(14, 16, 6, { name: 'b', offset: 2 }), text: first.text };
  const third = syntheticSet(14, 16, 7, { name: 'c', offset: 0.5 });
  const result = await sweepSplits(lazy(source), [first, second, third].map(lazy), estimator, { baselines: options });
  for (const [index, target] of [first, second, third].entries()) {
    const { settings: _settings, ...values } = driftBaselines(source, target, options);
    assert.deepEqual(result.comparisons[index].baselines, values, target.name);
  }
  assert.deepEqual(result.comparisons[1].baselines!.question, result.comparisons[0].baselines!.question);
  const cache = new DriftBaselineCache();
  driftBaselines(source, first, options, { cache, targetKeys: { image: 'i1', question: 'q', answer: 'a1' } });
  driftBaselines(source, second, options, { cache, targetKeys: { image: 'i2', question: 'q', answer: 'a2' } });
  assert.equal(cache.reused, 1);
});
