/**
 * One rule for "significant" (p < α, strictly), and every place that decides it uses it: the
 * monitor's alert, the scatter's filled markers (and so the report's marks), the CLI's p-value line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isSignificant, SIGNIFICANCE_RULE } from '../../src/stats/significance';
import { ClubEstimator } from '../../src/estimators/club/clubEstimator';
import { initClubParameters } from '../../src/estimators/club/clubModel';
import { monitorStream } from '../../src/monitor/monitorStream';
import { emidBoundScatter } from '../../src/plots/figures';
import { describePermutations } from '../../src/cli/commands/shared';
import { syntheticSet } from '../support/synthetic';

test('the rule: strictly below α', () => {
  assert.equal(SIGNIFICANCE_RULE, 'p < α');
  assert.equal(isSignificant(0.049, 0.05), true);
  assert.equal(isSignificant(0.05, 0.05), false);
  assert.equal(isSignificant(0.051, 0.05), false);
  assert.equal(isSignificant(1 / 20, 0.05), false, '(1 + 0)/(1 + 19), the smallest p of 19 permutations, is α itself');
});

test('the monitor alerts, and the scatter fills, by the same rule at p = α exactly', async () => {
  // A window shifted by 4 along one axis: no permutation of 19 reaches its text-query RJSD, so its
  // p-value is the smallest possible, 1/20 = 0.05 (one statistic: no adjustment).
  const reference = syntheticSet(20, 6, 31);
  const stream = syntheticSet(20, 6, 32, { offset: 4 });
  const estimator = new ClubEstimator(initClubParameters({ xDim: 6, yDim: 6, hiddenDim: 8 }, 1));
  const atAlpha = await monitorStream(reference, stream, estimator, { window: 20, permutations: 19, statistics: ['jsd_t'], alpha: 0.05 });
  assert.equal(atAlpha.windows[0].adjustedPValue, 0.05);
  assert.equal(atAlpha.windows[0].alert, false);
  const above = await monitorStream(reference, stream, estimator, { window: 20, permutations: 19, statistics: ['jsd_t'], alpha: 0.0501 });
  assert.equal(above.windows[0].alert, true);
  const scatter = emidBoundScatter([
    { split: 'at', emid: 0.1, bound: 1, family: 'blur', significance: 0.05 },
    { split: 'below', emid: 0.2, bound: 2, family: 'blur', significance: 0.0499 },
    { split: 'far', emid: 0.3, bound: 3, family: 'blur', significance: 0.5 },
  ]);
  const trace = (scatter.data as { marker?: { symbol?: string[] } }[]).find((candidate) => Array.isArray(candidate.marker?.symbol))!;
  assert.deepEqual(trace.marker!.symbol!.map((symbol) => symbol.endsWith('-open')), [true, false, true]);
  assert.match(describePermutations({ permutations: 99, seed: 0, design: 'pooled' }), /significant at α = 0\.05: p < 0\.05$/);
});
