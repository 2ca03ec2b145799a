import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildReport } from '../../src/report/html';
import { emidBoundScatter, figuresFromResults, type PlotlyFigure } from '../../src/plots/figures';
import { fromResultsJson } from '../../src/sweep/resultsJson';
import { benjaminiHochberg } from '../../src/stats/multipleTesting';
import { benchmarkResults } from './benchmarkFixture';

type Trace = Record<string, any>;
const markerTraces = (figure: PlotlyFigure) => (figure.data as Trace[]).filter((trace) => trace.mode === 'markers');
const titleOf = (figure: PlotlyFigure) => (figure.layout.title as { text: string }).text;

/** The fixture with p-value maps: the ten splits with the largest EMID get small p-values, the rest 0.5 (a fixed rule, so the marks are known). */
function withPValues(json: Record<string, any>, qValues = true): Record<string, any> {
  const splits = Object.keys(json.EMID);
  const ranked = [...splits].sort((a, b) => json.EMID[b] - json.EMID[a]);
  const p = Object.fromEntries(splits.map((split) => [split, ranked.indexOf(split) < 10 ? 0.0005 * (1 + ranked.indexOf(split)) : 0.5]));
  const q = benjaminiHochberg(splits.map((split) => p[split]));
  return {
    ...json,
    EMID_PVAL: p,
    EMID_UB_PVAL: Object.fromEntries(splits.map((split) => [split, 0.5])),
    JSD_V_PVAL: Object.fromEntries(splits.map((split) => [split, 0.2])),
    JSD_T_PVAL: Object.fromEntries(splits.map((split) => [split, 0.3])),
    ...(qValues ? { EMID_QVAL: Object.fromEntries(splits.map((split, i) => [split, q[i]])) } : {}),
    provenance: { ...json.provenance, permutation_test: { permutations: 99, seed: 4, statistics: ['emid', 'jsd_v', 'jsd_t', 'emid_ub'], alternatives: {}, method: 'm', bound: 'scale-adjusted' } },
  };
}

test('emidBoundScatter marks significant splits filled and the others open, and says so in its title', () => {
  const points = [
    { split: 'a', emid: 0.01, bound: 1.0, family: 'blur', significance: 0.4 },
    { split: 'b', emid: 0.05, bound: 1.4, family: 'blur', significance: 0.01 },
    { split: 'c', emid: 0.03, bound: 1.2, family: 'blur', significance: 0.05 },
    { split: 'd', emid: 0.02, bound: 1.1, family: 'blur' },
  ];
  const figure = emidBoundScatter(points);
  const [trace] = markerTraces(figure);
  const base = String(trace.marker.symbol[0]).replace(/-open$/, '');
  // p < α is significant and p = α is not (the one rule, stats/significance.ts); an untested point is open.
  assert.deepEqual(trace.marker.symbol, [`${base}-open`, base, `${base}-open`, `${base}-open`]);
  assert.deepEqual(trace.customdata, ['0.4', '0.01', '0.05', 'not tested']);
  assert.match(trace.hovertemplate, /EMID p = %\{customdata\}/);
  assert.match(titleOf(figure), /filled: EMID p < 0\.05 \(1 of 4\), open: not significant/);
  // Without significance the markers are as before: one symbol for the family, no p in the hover or title.
  const plain = markerTraces(emidBoundScatter(points.map(({ significance: _s, ...point }) => point)))[0];
  assert.equal(typeof plain.marker.symbol, 'string');
  assert.equal(plain.customdata, undefined);
  assert.doesNotMatch(titleOf(emidBoundScatter(points.map(({ significance: _s, ...point }) => point))), /filled/);
  const lenient = emidBoundScatter(points, { alpha: 0.06, significanceLabel: 'EMID q' });
  assert.deepEqual(markerTraces(lenient)[0].marker.symbol, [`${base}-open`, base, base, `${base}-open`]);
  assert.match(titleOf(lenient), /filled: EMID q < 0\.06 \(2 of 4\)/);
});

test('a result with p-values: the scatter marks EMID’s q-values at α = 0.05, the report shows p, q and the significant splits', () => {
  const json = withPValues(benchmarkResults());
  const result = fromResultsJson(json);
  const significant = result.comparisons.filter((c) => (c.pValues?.emidQValue as number) < 0.05).map((c) => c.target);
  assert.ok(significant.length > 0 && significant.length < result.comparisons.length, 'the fixture has both kinds');
  const scatter = figuresFromResults(result).find((named) => named.id === 'emid-vs-bound')!.figure;
  const filled = markerTraces(scatter).flatMap((trace) => (trace.text as string[]).filter((_, k) => !String(trace.marker.symbol[k]).endsWith('-open')));
  assert.deepEqual(filled.sort(), [...significant].sort());
  assert.match(titleOf(scatter), new RegExp(`filled: EMID q \\(Benjamini–Hochberg\\) < 0\\.05 \\(${significant.length} of ${result.comparisons.length}\\)`));
  const html = buildReport(result, { generatedAt: 'fixed' });
  for (const column of ['EMID p-value', 'EMID q-value', 'significant (α = 0.05)', 'bound p-value', 'jsd_v p-value', 'jsd_t p-value']) assert.ok(html.includes(`>${column}<`), column);
  assert.equal((html.match(/✔ yes/g) ?? []).length, significant.length);
  assert.match(html, new RegExp(`from 99 permutations of split membership \\(seed 4\\).*Significant: EMID's q-value &lt; α = 0.05; ${significant.length} of ${result.comparisons.length} OOD splits`, 's'));
  // p-values alone (no q-values): marked by p, and the report says so.
  const { EMID_QVAL: _q, ...pOnly } = json;
  const pResult = fromResultsJson(pOnly);
  const byP = pResult.comparisons.filter((c) => (c.pValues?.emid as number) < 0.05).length;
  const pHtml = buildReport(pResult, { generatedAt: 'fixed' });
  assert.equal(pHtml.includes('>EMID q-value<'), false);
  assert.match(pHtml, new RegExp(`Significant: EMID's p-value &lt; α = 0.05; ${byP} of `));
  assert.match(titleOf(figuresFromResults(pResult)[0].figure), /filled: EMID p < 0\.05/);
});

test('without p-values the report and the figures carry no trace of them', () => {
  const result = fromResultsJson(benchmarkResults());
  const html = buildReport(result, { generatedAt: 'fixed' });
  assert.doesNotMatch(html, /EMID p-value|EMID q-value|bound p-value|significant \(α|permutations of split membership|✔ yes/);
  for (const trace of markerTraces(figuresFromResults(result)[0].figure)) {
    assert.equal(typeof trace.marker.symbol, 'string');
    assert.equal(trace.customdata, undefined);
  }
});
