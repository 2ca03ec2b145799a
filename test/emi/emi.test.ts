/**
 * EMI, intervals and sweeps go through the estimator contract only: an estimator built by
 * `defineEstimator` from `estimate` alone works everywhere, and an estimator that implements the
 * contract's members itself (`estimateMany`, `condition`, `prepare`) is called through them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emi, emid, fitOnReferencePairs } from '../../src/emi/emi';
import { defineEstimator } from '../../src/estimators/defineEstimator';
import { emiInterval, resampleSet } from '../../src/sweep/intervals';
import { comparePair, sweepSplits } from '../../src/sweep/sweep';
import { emidUpperBound } from '../../src/bound/emidUpperBound';
import { queryEmbedding } from '../../src/data/queryEmbedding';
import type { ConditionedEstimator, EmbeddingSet, Matrix, MutualInformationEstimator, TrainableEstimator, TrainingPairs } from '../../src/interface';
import { syntheticSet } from '../support/synthetic';

/** The mean over rows of x_i · y_i (not an MI estimate, but a plain, checkable function of paired rows). */
function rowDot(x: Matrix, y: Matrix, rows?: Int32Array): number {
  const count = rows ? rows.length : x.rows;
  let total = 0;
  for (let k = 0; k < count; k++) {
    const row = rows ? rows[k] : k;
    for (let d = 0; d < x.cols; d++) total += x.data[row * x.cols + d] * y.data[row * y.cols + d];
  }
  return total / count;
}

const onlyEstimate = defineEstimator({ description: { name: 'row-dot' }, estimate: async (x, y) => rowDot(x, y) });
const source = syntheticSet(20, 6, 1, { name: 'id' });
const targets = [1, 2, 3].map((k) => syntheticSet(20, 6, 1 + k, { name: `ood${k}`, offset: 0.4 * k }));
const lazy = (set: EmbeddingSet) => ({ name: set.name!, load: () => set });

test('an estimator defined by estimate alone works in emi, emid, comparePair and sweepSplits', async () => {
  const z = queryEmbedding(source);
  const expected = rowDot(z, source.response) - rowDot(z, source.reference);
  assert.deepEqual(await emi(source, onlyEstimate), { emi: expected, miModel: rowDot(z, source.response), miReference: rowDot(z, source.reference) });
  const difference = await emid(source, targets[0], onlyEstimate);
  assert.equal(difference.emid, expected - (await emi(targets[0], onlyEstimate)).emi);

  const warnings: string[] = [];
  const pair = await comparePair(source, targets[0], onlyEstimate, { warn: (line) => warnings.push(line) });
  assert.equal(pair.emid, difference.emid);
  assert.equal(pair.emidUpperBound, (await emidUpperBound(source, targets[0])).value);
  assert.deepEqual(pair.provenance.estimator, { name: 'row-dot' });
  assert.deepEqual(pair.provenance.invocation, { api: 'comparePair' });
  assert.match(warnings[0], /the estimator \(row-dot\) records no embedding space/);

  const sweep = await sweepSplits(lazy(source), targets.map(lazy), onlyEstimate, { warn: () => {} });
  assert.deepEqual(
    sweep.comparisons.map((comparison) => comparison.emid),
    await Promise.all(targets.map(async (target) => (await emid(source, target, onlyEstimate)).emid)),
  );
  assert.equal(sweep.correlation?.n, 3);

  const interval = await emiInterval(source, onlyEstimate, { resamples: 30, seed: 1 });
  assert.equal(interval.estimate, expected);
  assert.ok(interval.lower < interval.upper);
});

test('comparePair equals the sweep of its one split, provenance and warnings included', async () => {
  const sweepWarnings: string[] = [];
  const pairWarnings: string[] = [];
  const sweep = await sweepSplits(lazy(source), [lazy(targets[1])], onlyEstimate, { entropyScale: 1.5, warn: (line) => sweepWarnings.push(line) });
  const pair = await comparePair(source, targets[1], onlyEstimate, { entropyScale: 1.5, warn: (line) => pairWarnings.push(line) });
  const { provenance, ...comparison } = pair;
  assert.deepEqual(comparison, sweep.comparisons[0]);
  assert.deepEqual({ ...provenance, invocation: undefined }, { ...sweep.provenance, invocation: undefined });
  assert.deepEqual(pairWarnings, sweepWarnings);
});

/** An estimator implementing the whole contract itself; `calls` records which members were used. */
function countingEstimator(calls: string[], overrides: Partial<MutualInformationEstimator> = {}): MutualInformationEstimator {
  return {
    description: { name: 'counting' },
    estimate: async (x, y) => (calls.push('estimate'), rowDot(x, y)),
    estimateMany: async (x, ys) => (calls.push(`many:${ys.length}`), ys.map((y) => rowDot(x, y))),
    condition: async (x): Promise<ConditionedEstimator> => (calls.push('condition'), { rows: x.rows, estimate: async (y, rows) => (calls.push('reduce'), rowDot(x, y, rows)), estimateSelections: async (y, selections) => (calls.push('reduce many'), Float64Array.from(selections, (rows) => rowDot(x, y, rows))) }),
    prepare: () => calls.push('prepare'),
    diagnose: async () => (calls.push('diagnose'), { values: { checked: 1 }, warnings: ['looks odd'] }),
    ...overrides,
  };
}

test('emi asks the estimator once per split, through estimateMany with both answer sets', async () => {
  const calls: string[] = [];
  const result = await emi(source, countingEstimator(calls));
  assert.deepEqual(calls, ['many:2']);
  assert.deepEqual(result, await emi(source, onlyEstimate));
  // defineEstimator's estimateMany is estimate on each y.
  assert.deepEqual(await onlyEstimate.estimateMany(queryEmbedding(source), [source.response, source.reference]), [rowDot(queryEmbedding(source), source.response), rowDot(queryEmbedding(source), source.reference)]);
});

test('intervals condition the estimator once per split and re-reduce every resample', async () => {
  const calls: string[] = [];
  const conditioning = countingEstimator(calls, { estimate: async () => assert.fail('resamples must not call estimate') });
  const fast = await emiInterval(source, conditioning, { resamples: 25, seed: 4 });
  const slow = await emiInterval(source, onlyEstimate, { resamples: 25, seed: 4 });
  assert.equal(calls.filter((call) => call === 'condition').length, 1);
  assert.equal(calls.filter((call) => call === 'reduce').length, 2 * 26);
  assert.deepEqual(fast, slow);
  // defineEstimator's kept x re-estimates on the selected rows of both matrices.
  const kept = await onlyEstimate.condition(queryEmbedding(source));
  assert.equal(kept.rows, 20);
  assert.equal(await kept.estimate(source.response, Int32Array.from([3, 3, 1, 0])), rowDot(queryEmbedding(source), source.response, Int32Array.from([3, 3, 1, 0])));
  assert.equal(await kept.estimate(source.response), rowDot(queryEmbedding(source), source.response));
  // The slow path really recomputes: a resample's EMI is the EMI of the resampled set.
  const rows = Int32Array.from([3, 3, 1, 0]);
  assert.equal((await emi(resampleSet(source, rows), onlyEstimate)).emi, rowDot(queryEmbedding(source), source.response, rows) - rowDot(queryEmbedding(source), source.reference, rows));
});

test('an estimator that learns (fit) is fitted on the pooled reference pairs, sets in name order', async () => {
  let seen: TrainingPairs | undefined;
  const fitted: TrainableEstimator = { ...defineEstimator({ description: { name: 'fitted' }, estimate: async () => 1 }), fit: async () => assert.fail('not refitted') };
  const learner: TrainableEstimator = { ...defineEstimator({ description: { name: 'learner' }, estimate: async () => 0 }), fit: async (pairs) => ((seen = pairs), fitted) };
  assert.equal(await fitOnReferencePairs(learner, [targets[1], source]), fitted);
  assert.equal(seen?.x.rows, 40);
  // name order: 'id' before 'ood2', whatever the order given; x is z, y the reference answers.
  assert.deepEqual(Array.from(seen!.x.data.subarray(0, 6)), Array.from(queryEmbedding(source).data.subarray(0, 6)));
  assert.deepEqual(Array.from(seen!.y.data.subarray(20 * 6, 21 * 6)), Array.from(targets[1].reference.data.subarray(0, 6)));
  assert.equal(seen?.space, undefined);
});

test('sweeps and comparisons tell a preparing estimator to start before anything else', async () => {
  const events: string[] = [];
  const preparing = countingEstimator(events);
  await comparePair(source, targets[0], preparing, { warn: () => {} });
  assert.equal(events[0], 'prepare');
  events.length = 0;
  await sweepSplits(lazy(source), targets.map(lazy), preparing, { warn: () => {} });
  assert.deepEqual([events[0], events.filter((event) => event === 'prepare').length], ['prepare', 1]);
  assert.ok(events.includes('many:2'), 'the EMIs came through estimateMany');
});
