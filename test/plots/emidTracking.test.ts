import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../src/errors';
import { emidTracking, emidTrackingCorrelations, figuresFromResults } from '../../src/plots/figures';
import { fromResultsJson } from '../../src/sweep/resultsJson';
import { buildReport } from '../../src/report/html';
import { findChromium } from '../../src/report/chromium';
import { spearman } from '../../src/stats/correlation';
import { benchmarkResults } from '../report/benchmarkFixture';
import { layoutProblems, measurePage } from '../report/layoutCheck';

/** The benchmark-shaped results with baseline maps: MMD² of the questions follows EMID, the rest is noise-like. */
function resultsWithBaselines(): Record<string, unknown> {
  const json = benchmarkResults();
  const emid = json.EMID as Record<string, number>;
  const splits = Object.keys(emid);
  const wobble = (i: number, salt: number) => Math.sin(7.3 * i + salt) * 0.5 + 0.5;
  const map = (value: (split: string, i: number) => number) => Object.fromEntries(splits.map((split, i) => [split, value(split, i)]));
  for (const [m, salt] of [['V', 1], ['T', 2], ['YHAT', 3]] as const) {
    json[`MMD2_${m}`] = map((split, i) => (m === 'T' ? emid[split] * 2 + 0.001 * i : wobble(i, salt)));
    json[`MMD2_${m}_PVAL`] = map((_, i) => 0.001 + 0.01 * wobble(i, salt + 10));
    json[`MMD2_SIGMA_${m}`] = map(() => 1.2);
    json[`DOMAIN_AUC_${m}`] = map((_, i) => 0.5 + 0.5 * wobble(i, salt + 20));
    json[`MEAN_COS_DIST_${m}`] = map((_, i) => 0.1 * wobble(i, salt + 30));
  }
  return json;
}

test('emidTrackingCorrelations: Spearman ρ with EMID for the bound, its terms and every baseline', () => {
  const result = fromResultsJson(resultsWithBaselines());
  const rows = emidTrackingCorrelations(result, { resamples: 200, seed: 1 });
  const emids = result.comparisons.map((c) => c.emid);
  const byName = new Map(rows.map((row) => [row.name, row]));
  assert.equal(rows.length, 5 + 9, 'the bound, four terms, three baselines × three modalities');
  const bound = byName.get('the bound (EMID_UB)')!;
  assert.equal(bound.rho, spearman(emids, result.comparisons.map((c) => c.emidUpperBound)).rho);
  const mmdT = byName.get('MMD² (questions)')!;
  assert.equal(mmdT.rho, spearman(emids, result.comparisons.map((c) => c.baselines!.question.mmd2)).rho);
  assert.ok(mmdT.rho > 0.99, 'built to follow EMID');
  const auc = byName.get('domain AUC (answers)')!;
  assert.equal(auc.rho, spearman(emids, result.comparisons.map((c) => c.baselines!.answer.classifierAuc)).rho);
  for (const row of rows.filter((r) => r.interval)) assert.ok(row.interval![0] <= row.interval![1] && row.interval![0] >= -1 && row.interval![1] <= 1, row.name);
  // jsd_py is the ID split's own divergence: constant, so no ρ, and the figure says so.
  assert.ok(Number.isNaN(byName.get('jsd_py (ID answers)')!.rho));
  const figure = emidTracking(result, { resamples: 200 });
  const subtitle = (figure.layout.title as { subtitle?: { text: string } }).subtitle?.text ?? '';
  assert.match(subtitle, /constant across splits, not drawn: jsd_py/);
  const drawn = figure.data.reduce((count, trace) => count + ((trace as { x: number[] }).x.length), 0);
  assert.equal(drawn, rows.length - 1);
  // Seeded intervals.
  assert.deepEqual(emidTrackingCorrelations(result, { resamples: 200, seed: 1 }), rows);
});

test('figuresFromResults adds the tracking figure only when the result has baselines', () => {
  const plain = figuresFromResults(fromResultsJson(benchmarkResults())).map((f) => f.id);
  assert.equal(plain.includes('emid-tracking'), false);
  const withBaselines = figuresFromResults(fromResultsJson(resultsWithBaselines())).map((f) => f.id);
  assert.deepEqual(withBaselines, [...plain, 'emid-tracking']);
  assert.throws(() => emidTrackingCorrelations(fromResultsJson(benchmarkResults())), (e: unknown) => e instanceof InputError && e.field === 'baselines');
});

const noChromium = findChromium() ? undefined : 'headless Chromium is not installed (apt-get install chromium); rendering checks skipped';

test('the report with baselines in Chromium at 1000 and 1920 px: the tracking figure fits and every ρ is drawn', { skip: noChromium }, () => {
  const html = buildReport(fromResultsJson(resultsWithBaselines()), { generatedAt: 'fixed' });
  for (const page of measurePage(html, [1000, 1920])) {
    const ids = page.figures.map((figure) => figure.id);
    assert.ok(ids.includes('figure-emid-tracking'), ids.join(', '));
    assert.deepEqual(layoutProblems(page, { 'figure-emid-tracking': 13 }), []);
  }
});
