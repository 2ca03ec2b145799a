/** The monitoring figure: EMID and the bound per window, the alert windows marked, the rule in the title. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { monitorTimeSeries } from '../../src/plots/figures';
import { monitorStream, type MonitorResult } from '../../src/monitor/monitorStream';
import { ClubEstimator } from '../../src/estimators/club/clubEstimator';
import { initClubParameters } from '../../src/estimators/club/clubModel';
import { InputError } from '../../src/errors';
import { syntheticSet } from '../support/synthetic';

type Trace = { name?: string; x?: number[]; y?: number[]; yaxis?: string; mode?: string };

test('monitorTimeSeries: EMID on the left axis, the bound on the right, crosses on exactly the alert windows', async () => {
  const dim = 6;
  const estimator = new ClubEstimator(initClubParameters({ xDim: dim, yDim: dim, hiddenDim: 8 }, 1));
  const result = await monitorStream(syntheticSet(20, dim, 1), syntheticSet(60, dim, 2), estimator, { window: 10, step: 5, permutations: 99 });
  // Mark two windows as alerting, whatever the data said, to check the figure follows the result.
  const marked: MonitorResult = { ...result, windows: result.windows.map((window) => ({ ...window, alert: window.index === 2 || window.index === 7 })) };
  const figure = monitorTimeSeries(marked);
  const [emid, bound, alerts] = figure.data as Trace[];
  assert.deepEqual(emid.x, result.windows.map((window) => window.end));
  assert.deepEqual(emid.y, result.windows.map((window) => window.emid));
  assert.deepEqual(bound.y, result.windows.map((window) => window.emidUpperBound));
  assert.equal(bound.yaxis, 'y2');
  assert.deepEqual(alerts.x, [marked.windows[2].end, marked.windows[7].end]);
  assert.deepEqual(alerts.y, [marked.windows[2].emid, marked.windows[7].emid]);
  assert.match(alerts.name ?? '', /α = 0.05/);
  const title = (figure.layout.title as { text: string }).text;
  assert.match(title, /2 of 11 windows alert \(Bonferroni over emid, jsd_v, jsd_t, emid_ub; 99 permutations, α = 0.05\)/);
  assert.equal((figure.layout.yaxis2 as { overlaying?: string }).overlaying, 'y');
  assert.match(String((figure.layout.xaxis as { title: { text: string } }).title.text), /stream row/);
});

test('monitorTimeSeries without permutations has no alert trace and says so; no windows is an error', async () => {
  const dim = 6;
  const estimator = new ClubEstimator(initClubParameters({ xDim: dim, yDim: dim, hiddenDim: 8 }, 1));
  const result = await monitorStream(syntheticSet(20, dim, 3), syntheticSet(30, dim, 4), estimator, { window: 10 });
  const figure = monitorTimeSeries(result);
  assert.equal(figure.data.length, 2);
  assert.match((figure.layout.title as { text: string }).text, /3 windows; no alerts without permutations/);
  assert.throws(() => monitorTimeSeries({ ...result, windows: [] }), InputError);
});
