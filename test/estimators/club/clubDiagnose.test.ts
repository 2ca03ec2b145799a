/**
 * CLUB's check of itself: the share of saturated log-variance outputs on the queries, recorded in
 * every comparison's and sweep's provenance, passed to `warn`, and shown in the report.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClubEstimator } from '../../../src/estimators/club/clubEstimator';
import { initClubParameters } from '../../../src/estimators/club/clubModel';
import { logvarSaturation } from '../../../src/estimators/club/clubEstimate';
import { clubForward } from '../../../src/estimators/club/clubEngine';
import { clubEstimatesMany, clubLogvarSaturation } from '../../../src/estimators/club/onnxGraphs';
import { createRng } from '../../../src/random';
import type { ClubParameters } from '../../../src/estimators/club/clubParameters';
import { queryEmbedding } from '../../../src/data/queryEmbedding';
import { comparePair, sweepSplits } from '../../../src/sweep/sweep';
import { buildReport } from '../../../src/report/html';
import { fromResultsJson, toResultsJson } from '../../../src/sweep/resultsJson';
import type { EmbeddingSet } from '../../../src/interface';
import { syntheticSet } from '../../support/synthetic';

const plain = initClubParameters({ xDim: 16, yDim: 16, hiddenDim: 8 }, 1);
/** The same network with its log-variance head pushed to +1 on every input (bias 10 ≫ the weights' contribution). */
const saturated: ClubParameters = { ...plain, logvarB2: new Float32Array(16).fill(10) };
/** Half of the log-variance units pushed to saturation, half left alone. */
const halfSaturated: ClubParameters = { ...plain, logvarB2: Float32Array.from({ length: 16 }, (_, k) => (k < 8 ? -10 : 0)) };
const source = syntheticSet(14, 16, 1, { name: 'id' });
const targets = [1, 2, 3].map((k) => syntheticSet(14, 16, 1 + k, { name: `ood${k}`, offset: 0.5 * k }));
const lazy = (set: EmbeddingSet) => ({ name: set.name!, load: () => set });

test('logvarSaturation counts outputs beyond 0.99 in magnitude, and finds the largest', () => {
  const forward = { rows: 2, yDim: 3, mu: new Float32Array(6), logvar: Float32Array.from([0.995, -0.999, 0.5, -0.2, 0.985, -1]) };
  const { share, largest } = logvarSaturation(forward);
  assert.equal(share, 3 / 6);
  assert.equal(largest, 1);
  assert.deepEqual(logvarSaturation({ rows: 0, yDim: 3, mu: new Float32Array(0), logvar: new Float32Array(0) }), { share: 0, largest: 0 });
});

for (const engine of ['portable', 'auto'] as const) {
  test(`ClubEstimator.diagnose (${engine}): the saturated share on the queries, and a warning from 10%`, async () => {
    const x = queryEmbedding(source);
    const quiet = await new ClubEstimator(plain, engine).diagnose(x);
    assert.equal(quiet.values.logvar_saturation, 0);
    assert.ok(quiet.values.logvar_largest_magnitude > 0 && quiet.values.logvar_largest_magnitude < 0.99);
    assert.deepEqual(quiet.warnings, []);
    const full = await new ClubEstimator(saturated, engine).diagnose(x);
    assert.equal(full.values.logvar_saturation, 1);
    assert.equal(full.warnings.length, 1);
    assert.match(full.warnings[0], /^CLUB's variance network is saturated: 100% of its log-variance outputs on these queries have \|tanh\| > 0\.99/);
    const half = await new ClubEstimator(halfSaturated, engine).diagnose(x);
    assert.equal(half.values.logvar_saturation, 0.5);
    assert.match(half.warnings[0], / 50% of its log-variance outputs/);
  });
}

test('the native diagnosis (read off the run of EMI\'s estimates) is the forward pass\'s count to the last unit', async () => {
  // Log-variance pre-activations spread over about ±4, so that outputs fall on both sides of the
  // 0.99 level in every row, many of them within a few float32 steps of it.
  const rng = createRng(7);
  const graded: ClubParameters = {
    ...plain,
    logvarW2: Float32Array.from(plain.logvarW2, (w) => 6 * w),
    logvarB2: Float32Array.from({ length: 16 }, () => 8 * (rng.next() - 0.5)),
  };
  const x = queryEmbedding(source);
  for (const parameters of [plain, graded, halfSaturated]) {
    const expected = logvarSaturation(await clubForward(parameters, x, 'native'));
    assert.deepEqual(await clubLogvarSaturation(parameters, x), expected);
  }
  const spread = logvarSaturation(await clubForward(graded, x, 'native'));
  assert.ok(spread.share > 0.05 && spread.share < 0.95, `graded network saturates ${spread.share} of its outputs`);
  // Diagnosed right after an estimate on the same queries (as EMI and a sweep do), the numbers
  // come from that run: the same as a diagnosis on its own, and the estimates are unchanged.
  const ys = [source.response, source.reference];
  const estimator = new ClubEstimator(graded, 'native');
  const estimates = estimator.estimateMany(x, ys);
  const diagnosis = estimator.diagnose(x);
  assert.deepEqual(await estimates, await clubEstimatesMany(graded, x, ys));
  assert.deepEqual(await diagnosis, await new ClubEstimator(graded, 'native').diagnose(x));
  assert.deepEqual((await diagnosis).values, { logvar_saturation: spread.share, logvar_largest_magnitude: spread.largest });
});

test('comparePair and sweepSplits record the diagnosis on the ID split, warn with its name, and leave the numbers alone', async () => {
  const lines: string[] = [];
  const estimator = new ClubEstimator(saturated);
  const pair = await comparePair(source, targets[0], estimator, { warn: (line) => lines.push(line) });
  assert.deepEqual(pair.provenance.estimator_diagnosis?.split, 'id');
  assert.equal(pair.provenance.estimator_diagnosis?.values.logvar_saturation, 1);
  assert.ok(lines.some((line) => /^id: CLUB's variance network is saturated/.test(line)), lines.join('\n'));
  assert.ok(pair.provenance.warnings.some((line) => line.startsWith("id: CLUB's variance network")));
  // The diagnosis changes no number: the same comparison as with a quiet network's provenance, estimates recomputed.
  assert.equal(pair.emid, (await comparePair(source, targets[0], estimator, { warn: () => {} })).emid);

  const sweepLines: string[] = [];
  const sweep = await sweepSplits(lazy(source), targets.map(lazy), estimator, { warn: (line) => sweepLines.push(line) });
  assert.equal(sweep.provenance.estimator_diagnosis?.values.logvar_saturation, 1);
  assert.equal(sweepLines.filter((line) => line.includes('variance network is saturated')).length, 1, 'one warning per run, not per split');
  const quiet = await sweepSplits(lazy(source), targets.map(lazy), new ClubEstimator(plain), { warn: () => {} });
  assert.deepEqual(quiet.provenance.estimator_diagnosis, { split: 'id', values: { logvar_saturation: 0, logvar_largest_magnitude: quiet.provenance.estimator_diagnosis!.values.logvar_largest_magnitude }, warnings: [] });

  // Through the results file and into the report.
  const read = fromResultsJson(JSON.parse(JSON.stringify(toResultsJson(sweep))));
  assert.deepEqual(read.provenance?.estimator_diagnosis, sweep.provenance.estimator_diagnosis);
  assert.match(buildReport(read), /The estimator warned about itself\.<\/strong> id: CLUB&#39;s variance network is saturated|The estimator warned about itself\.<\/strong> id: CLUB's variance network is saturated/);
  assert.doesNotMatch(buildReport(quiet), /The estimator warned about itself/);
});
