import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isInputError } from '../../src/errors';
import {
  boundDecomposition,
  boundSeverityCurves,
  emiVersusRp,
  emidBoundScatter,
  estimatorValidation,
  figuresFromResults,
  trainingCurve,
  type PlotlyFigure,
} from '../../src/plots/figures';
import { normalizeResults, parseResultsText } from '../../src/plots/results';
import { pearson } from '../../src/stats/correlation';

type Trace = Record<string, any>;
const traces = (figure: PlotlyFigure) => figure.data as Trace[];
const titleOf = (figure: PlotlyFigure) => (figure.layout.title as { text: string }).text;
const axisTitle = (figure: PlotlyFigure, axis: 'xaxis' | 'yaxis' | 'yaxis2') => ((figure.layout as any)[axis].title as { text: string }).text;

function assertInputError(run: () => unknown, pattern: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(isInputError(error), `expected an InputError, got ${String(error)}`);
    assert.match((error as Error).message, pattern);
    assert.ok(!(error as Error).message.includes('\n'), 'one-line message');
    return true;
  });
}

// Catalog names: two visual, two text, two joint shifts, and one name the catalog does not know.
const POINTS = [
  { split: 'llava_bench_coco_frost_1', emid: 0.01, bound: 1.0 },
  { split: 'llava_bench_coco_frost_5', emid: 0.03, bound: 1.3 },
  { split: 'llava_bench_coco_sr_4', emid: 0.02, bound: 1.1 },
  { split: 'llava_bench_coco_KeyboardAug_3', emid: 0.05, bound: 1.5 },
  { split: 'llava_bench_coco_frost_3_sr_7', emid: 0.06, bound: 1.7 },
  { split: 'llava_bench_in_the_wild_hard_Greek', emid: 0.09, bound: 1.8 },
  { split: 'my_own_split', emid: 0.04, bound: 1.2 },
];

test('emidBoundScatter: one point per split, coloured by catalog family, with the least-squares line', () => {
  const figure = emidBoundScatter(POINTS);
  const markers = traces(figure).filter((trace) => trace.mode === 'markers');
  assert.ok(traces(figure).every((trace) => trace.type === 'scatter'));
  assert.equal(markers.reduce((sum, trace) => sum + trace.x.length, 0), POINTS.length);
  assert.deepEqual(
    markers.map((trace) => trace.name),
    ['visual shift (n = 2)', 'text shift (n = 2)', 'joint shift (n = 2)', 'other (n = 1)'],
  );
  const other = markers.find((trace) => trace.name.startsWith('other'))!;
  assert.deepEqual(other.text, ['my_own_split']);
  assert.notEqual(markers[0].marker.color, markers[1].marker.color);

  // Least squares of EMID on the bound, by hand: slope = Sxy / Sxx, intercept = ȳ − slope x̄.
  const x = POINTS.map((point) => point.bound);
  const y = POINTS.map((point) => point.emid);
  const mx = x.reduce((a, b) => a + b) / x.length;
  const my = y.reduce((a, b) => a + b) / y.length;
  const slope = x.reduce((sum, xi, i) => sum + (xi - mx) * (y[i] - my), 0) / x.reduce((sum, xi) => sum + (xi - mx) ** 2, 0);
  const intercept = my - slope * mx;
  const line = traces(figure).find((trace) => trace.mode === 'lines')!;
  assert.deepEqual(line.x, [1.0, 1.8]);
  assert.ok(Math.abs(line.y[0] - (intercept + slope * 1.0)) < 1e-12);
  assert.ok(Math.abs(line.y[1] - (intercept + slope * 1.8)) < 1e-12);

  const { r, pValue } = pearson(x, y);
  const title = titleOf(figure);
  assert.match(title, new RegExp(`Pearson r = ${r.toFixed(3)}`));
  assert.match(title, /p = \d/);
  assert.match(title, /n = 7/);
  assert.match(line.name, new RegExp(`r = ${r.toFixed(3)}`));
  assert.ok(pValue > 0 && pValue < 0.05);
  assert.match(axisTitle(figure, 'xaxis'), /nats/);
  assert.match(axisTitle(figure, 'yaxis'), /nats/);
});

test('emidBoundScatter: explicit families win, intervals become asymmetric error bars', () => {
  const figure = emidBoundScatter(
    POINTS.slice(0, 3).map((point, i) => ({ ...point, family: 'mine', emidInterval: [point.emid - 0.01, point.emid + 0.02 * (i + 1)] as [number, number] })),
  );
  const [markers] = traces(figure);
  assert.equal(markers.name, 'mine (n = 3)');
  assert.equal(markers.error_y.type, 'data');
  assert.deepEqual(markers.error_y.arrayminus.map((v: number) => +v.toFixed(6)), [0.01, 0.01, 0.01]);
  assert.deepEqual(markers.error_y.array.map((v: number) => +v.toFixed(6)), [0.02, 0.04, 0.06]);
  assert.equal(markers.error_x, undefined);
});

test('emidBoundScatter refuses what cannot make a correlation plot', () => {
  assertInputError(() => emidBoundScatter(POINTS.slice(0, 2)), /2 points: a correlation needs at least 3/);
  assertInputError(() => emidBoundScatter([...POINTS.slice(0, 3), { split: 'x', emid: NaN, bound: 1 }]), /points\[3\]\.emid: expected a finite number, got NaN/);
  assertInputError(() => emidBoundScatter(POINTS.map((point) => ({ ...point, bound: 1 }))), /bound: every value is 1/);
  assertInputError(() => emidBoundScatter(POINTS.map((point) => ({ ...point, emidInterval: [1, 0] as [number, number] }))), /lower 1 exceeds upper 0/);
});

test('boundSeverityCurves: per family an EMID line and a bound line, sorted by severity, bands from intervals', () => {
  const figure = boundSeverityCurves([
    { family: 'frost', severity: 5, emid: 0.03, bound: 1.3, emidInterval: [0.02, 0.04] },
    { family: 'frost', severity: 1, emid: 0.01, bound: 1.0, emidInterval: [0.0, 0.02] },
    { family: 'frost', severity: 3, emid: 0.02, bound: 1.2, emidInterval: [0.01, 0.03] },
    { family: 'sr', severity: 4, emid: 0.02, bound: 1.1 },
    { family: 'sr', severity: 7, emid: 0.05, bound: 1.4 },
  ]);
  const lines = traces(figure).filter((trace) => trace.mode === 'lines+markers');
  assert.deepEqual(lines.map((trace) => trace.name), ['frost: EMID', 'frost: upper bound', 'sr: EMID', 'sr: upper bound']);
  assert.deepEqual(lines[0].x, [1, 3, 5]);
  assert.deepEqual(lines[0].y, [0.01, 0.02, 0.03]);
  assert.deepEqual(lines[1].y, [1.0, 1.2, 1.3]);
  assert.equal(lines[0].yaxis, 'y');
  assert.equal(lines[1].yaxis, 'y2');
  assert.equal(lines[1].line.dash, 'dash');
  const bands = traces(figure).filter((trace) => trace.fill === 'toself');
  assert.equal(bands.length, 1, 'only frost EMID has intervals');
  assert.deepEqual(bands[0].x, [1, 3, 5, 5, 3, 1]);
  assert.deepEqual(bands[0].y, [0.02, 0.03, 0.04, 0.02, 0.01, 0.0]);
  assert.match(axisTitle(figure, 'xaxis'), /severity/);
  assert.match(axisTitle(figure, 'yaxis'), /nats/);
  assert.match(axisTitle(figure, 'yaxis2'), /nats/);
  assertInputError(() => boundSeverityCurves([]), /no points to plot/);
  assertInputError(
    () => boundSeverityCurves([
      { family: 'a', severity: 1, emid: 0, bound: 1 },
      { family: 'a', severity: 1, emid: 0, bound: 1 },
    ]),
    /family 'a' has severity 1 twice/,
  );
});

test('boundDecomposition: stacked bars of √jsd_v, √jsd_t, jsd_py^¼, jsd_qy^¼ that add up to the bound', () => {
  const rows = [
    { split: 'llava_bench_coco_frost_1', jsdV: 0.04, jsdT: 0, jsdPy: 0.0016, jsdQy: 0.0081 },
    { split: 'llava_bench_coco_sr_4', jsdV: -1e-12, jsdT: 0.09, jsdPy: 0.0016, jsdQy: 0.0625 },
  ];
  const figure = boundDecomposition(rows);
  assert.equal(figure.layout.barmode, 'stack');
  const bars = traces(figure);
  assert.equal(bars.length, 4);
  assert.ok(bars.every((trace) => trace.type === 'bar'));
  assert.deepEqual(bars[0].x, ['frost_1', 'sr_4'], 'the common prefix is dropped from the labels');
  assert.match(axisTitle(figure, 'xaxis'), /llava_bench_coco_/);
  const close = (a: number[], b: number[]) => a.every((value, i) => Math.abs(value - b[i]) < 1e-12);
  assert.ok(close(bars[0].y, [0.2, 0]), 'negative rounding noise is clamped to 0');
  assert.ok(close(bars[1].y, [0, 0.3]));
  assert.ok(close(bars[2].y, [0.2, 0.2]));
  assert.ok(close(bars[3].y, [0.3, 0.5]));
  assert.match(axisTitle(figure, 'yaxis'), /nats/);
  assertInputError(() => boundDecomposition([{ ...rows[0], jsdQy: NaN }]), /comparisons\[0\]\.jsdQy/);
});

test('emiVersusRp: Spearman and Kendall in the title', () => {
  const points = [0.1, 0.2, 0.15, 0.4, 0.35].map((emi, i) => ({ split: `s${i}`, emi, rp: 0.5 + emi + (i % 2) * 0.01 }));
  const figure = emiVersusRp(points);
  assert.match(titleOf(figure), /Spearman ρ = 1\.000 \(p = /);
  assert.match(titleOf(figure), /Kendall τ_b = 1\.000 \(p = /);
  assert.equal(traces(figure)[0].x.length, 5);
  assert.match(axisTitle(figure, 'xaxis'), /nats/);
  assertInputError(() => emiVersusRp(points.slice(0, 2)), /at least 3/);
});

test('trainingCurve: training loss, and held-out loss with its best epoch when present', () => {
  const plain = trainingCurve([
    { epoch: 1, trainLoss: 3, seconds: 0.1 },
    { epoch: 2, trainLoss: 2, seconds: 0.1 },
  ]);
  assert.equal(traces(plain).length, 1);
  assert.match(axisTitle(plain, 'yaxis'), /nats/);
  const held = trainingCurve([
    { epoch: 1, trainLoss: 3, validationLoss: 3.5, seconds: 0.1 },
    { epoch: 2, trainLoss: 2, validationLoss: 2.5, seconds: 0.1 },
    { epoch: 3, trainLoss: 1, validationLoss: 2.8, seconds: 0.1 },
  ]);
  assert.deepEqual(traces(held).map((trace) => trace.name), ['training loss', 'held-out loss']);
  assert.deepEqual(traces(held)[1].y, [3.5, 2.5, 2.8]);
  assert.match(String((held.layout.annotations as any[])[0].text), /epoch 2/);
  assertInputError(() => trainingCurve([]), /no points/);
});

test('estimatorValidation: estimates against true MI with the y = x line', () => {
  const figure = estimatorValidation([
    { trueMi: 0.5, estimate: 0.45, label: 'ρ=0.5' },
    { trueMi: 1, estimate: 1.1 },
  ]);
  const [identity, points] = traces(figure);
  assert.deepEqual(identity.x, identity.y);
  assert.deepEqual(identity.x, [0.45, 1.1]);
  assert.deepEqual(points.x, [0.5, 1]);
  assert.match(titleOf(figure), /mean \|error\| = 0\.0750 nats/);
  assert.match(axisTitle(figure, 'xaxis'), /nats/);
  assert.match(axisTitle(figure, 'yaxis'), /nats/);
});

const reference = (emid: Record<string, number>, bound: Record<string, number>) => ({
  EMI: { llava_bench_coco: 0.01, ...Object.fromEntries(Object.keys(emid).map((name) => [name, 0.01 - emid[name]])) },
  EMID: emid,
  EMID_UB: bound,
  PearsonR: 0.5,
  PearsonPval: 0.1,
});
const SYNTH = {
  llava_bench_coco_frost_1: [0.01, 1.0],
  llava_bench_coco_frost_3: [0.02, 1.1],
  llava_bench_coco_frost_5: [0.025, 1.3],
  llava_bench_coco_sr_4: [0.03, 1.2],
  llava_bench_coco_frost_5_sr_7: [0.05, 1.6],
} as const;
const synthetic = () =>
  reference(
    Object.fromEntries(Object.entries(SYNTH).map(([name, [emid]]) => [name, emid])),
    Object.fromEntries(Object.entries(SYNTH).map(([name, [, bound]]) => [name, bound])),
  );

test('figuresFromResults: the reference format gives the scatter and severity curves', () => {
  const figures = figuresFromResults(synthetic());
  assert.deepEqual(figures.map((entry) => entry.id), ['emid-vs-bound', 'bound-vs-severity']);
  const scatter = figures[0].figure;
  assert.equal(traces(scatter).filter((trace) => trace.mode === 'markers').reduce((sum, trace) => sum + trace.x.length, 0), 5);
  // Only frost has two or more severities among single-axis shifts.
  const curves = traces(figures[1].figure).filter((trace) => trace.mode === 'lines+markers');
  assert.deepEqual(curves.map((trace) => trace.name), ['frost: EMID', 'frost: upper bound']);
  const normalized = normalizeResults(synthetic());
  assert.equal(normalized.format, 'reference');
  assert.equal(normalized.idSplit, 'llava_bench_coco');
});

test('figuresFromResults: sweep output adds the decomposition; a SweepResult object works too', () => {
  const names = ['a', 'b', 'c', 'd'];
  const comparisons = names.map((name, i) => ({
    source: 'id',
    target: name,
    sourceEmi: { emi: 0.5, miModel: 1, miReference: 0.5 },
    targetEmi: { emi: 0.5 - 0.1 * i, miModel: 1, miReference: 0.5 + 0.1 * i },
    emid: 0.1 * i + (i === 2 ? 0.05 : 0),
    terms: { jsdV: 0.01 * i, jsdT: 0.02, jsdPy: 0.001, jsdQy: 0.002 * (i + 1) },
    emidUpperBound: 1 + 0.1 * i,
  }));
  const sweepResult = {
    idSplit: 'id',
    mixture: 'sample-weighted' as const,
    emi: { id: comparisons[0].sourceEmi, ...Object.fromEntries(comparisons.map((c) => [c.target, c.targetEmi])) },
    comparisons,
    eigenproblems: { entropies: 0, mixtures: 0, reused: 0 },
  };
  const fromObject = figuresFromResults(sweepResult);
  assert.deepEqual(fromObject.map((entry) => entry.id), ['emid-vs-bound', 'bound-decomposition']);
  const { toResultsJson } = require('../../src/sweep/resultsJson');
  const fromJson = figuresFromResults(JSON.parse(JSON.stringify(toResultsJson(sweepResult))));
  assert.deepEqual(fromJson, fromObject);
  assert.equal(normalizeResults(sweepResult).format, 'sweep');
});

test('figuresFromResults validates: neither format, NaN, mismatched maps, too few splits', () => {
  assertInputError(() => figuresFromResults([1, 2]), /not a results object: got an array/);
  assertInputError(() => figuresFromResults({ foo: 1 }), /missing the 'EMID' map .*reference format/);
  assertInputError(() => figuresFromResults({ EMID: { a: 1, b: 2, c: 3 } }), /missing the 'EMID_UB' map/);
  const good = synthetic();
  assertInputError(() => figuresFromResults({ ...good, EMID: { ...good.EMID, llava_bench_coco_frost_3: null } }), /EMID\['llava_bench_coco_frost_3'\]: expected a finite number, got null/);
  assertInputError(() => figuresFromResults({ ...good, EMID_UB: { ...good.EMID_UB, llava_bench_coco_frost_3: 'x' } }), /EMID_UB\['llava_bench_coco_frost_3'\]/);
  const { llava_bench_coco_sr_4: _dropped, ...fewer } = good.EMID_UB;
  assertInputError(() => figuresFromResults({ ...good, EMID_UB: fewer }), /mismatched splits: EMID has 5 splits and EMID_UB 4; EMID_UB lacks 'llava_bench_coco_sr_4'/);
  const two = reference({ a: 0.1, b: 0.2 }, { a: 1, b: 2 });
  assertInputError(() => figuresFromResults(two), /2 points: a correlation needs at least 3/);
  assertInputError(() => figuresFromResults({ ...good, JSD_V: good.EMID }), /RJSD term maps come as a set: JSD_T, JSD_PY, JSD_QY missing/);
  assertInputError(() => figuresFromResults({ ...good, EMID: { ...good.EMID, extra_split: 0.1 } }), /EMID_UB lacks 'extra_split'/);
});

test('parseResultsText turns Python NaN tokens into a check that names the split', () => {
  const text = '{"EMI": {}, "EMID": {"a": NaN, "b": 0.1, "c": 0.2}, "EMID_UB": {"a": 1, "b": 2, "c": 3}, "note": "NaN stays in strings"}';
  const parsed = parseResultsText(text) as Record<string, any>;
  assert.equal(parsed.note, 'NaN stays in strings');
  assertInputError(() => normalizeResults(parsed), /EMID\['a'\]: expected a finite number, got null \(NaN in the file\?\)/);
  assertInputError(() => parseResultsText('{"EMID": ', 'r.json'), /^r\.json: not valid JSON/);
});
