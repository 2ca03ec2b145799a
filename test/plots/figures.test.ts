import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isInputError } from '../../src/errors';
import {
  boundDecomposition,
  boundSeverityCurves,
  emiVersusQuality,
  emiVersusRp,
  emidBoundScatter,
  estimatorValidation,
  figuresFromResults,
  trainingCurve,
  type PlotlyFigure,
} from '../../src/plots/figures';
import { fromResultsJson, parseResultsJson, toResultsJson } from '../../src/sweep/resultsJson';
import { resultsFormat } from '../../src/report/summary';
import { shiftSource, splitShift } from '../../src/plots/shift';
import type { SweepResult } from '../../src/sweep/sweep';
import { kendallTauB, pearson, spearman } from '../../src/stats/correlation';
import { formatPValue } from '../../src/plots/format';
import { benchmarkResults } from '../report/benchmarkFixture';

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

test('emidBoundScatter: one point per split, coloured and marked by catalog family, with the least-squares line', () => {
  const figure = emidBoundScatter(POINTS);
  const markers = traces(figure).filter((trace) => trace.mode === 'markers');
  assert.ok(traces(figure).every((trace) => trace.type === 'scatter'));
  assert.equal(markers.reduce((sum, trace) => sum + trace.x.length, 0), POINTS.length);
  // Real families in words (image shifts, then text, then joint, 'other' last), never the catalog's tokens.
  assert.deepEqual(
    markers.map((trace) => trace.name),
    ['frost (n = 2)', 'synonym replacement (n = 1)', 'keyboard typos (n = 1)', 'frost + synonym replacement (n = 1)', 'in-the-wild images + translated questions (n = 1)', 'other (n = 1)'],
  );
  const other = markers.find((trace) => trace.name.startsWith('other'))!;
  assert.deepEqual(other.text, ['my_own_split']);
  assert.equal(other.marker.color, '#8C8C8C', "'other' is grey beside known families");
  const styles = markers.map((trace) => `${trace.marker.color} ${trace.marker.symbol}`);
  assert.equal(new Set(styles).size, markers.length, 'every family has its own colour and symbol');
  assert.equal(new Set(markers.map((trace) => trace.marker.symbol)).size, markers.length, 'and its own marker symbol');
  assert.ok(markers.every((trace) => trace.marker.opacity < 1 && trace.marker.line.width > 0), 'translucent outlined markers');
  assert.equal(figure.layout.width, undefined, 'no fixed width: the figure fills its container');
  assert.equal(figure.layout.autosize, true);
  assert.equal(figure.config?.responsive, true);

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
    POINTS.slice(0, 3).map((point, i) => ({ ...point, family: 'my_family', emidInterval: [point.emid - 0.01, point.emid + 0.02 * (i + 1)] as [number, number] })),
  );
  const [markers] = traces(figure);
  assert.equal(markers.name, 'my family (n = 3)', 'a token in words');
  assert.equal(markers.error_y.type, 'data');
  assert.deepEqual(markers.error_y.arrayminus.map((v: number) => +v.toFixed(6)), [0.01, 0.01, 0.01]);
  assert.deepEqual(markers.error_y.array.map((v: number) => +v.toFixed(6)), [0.02, 0.04, 0.06]);
  assert.equal(markers.error_x, undefined);
});

test('emidBoundScatter encodes significance: open markers for splits whose EMID is not significant; figuresFromResults reads it from q (else p)', () => {
  const figure = emidBoundScatter(POINTS.slice(0, 3).map((point, i) => ({ ...point, family: 'my_family', significant: i !== 1 })));
  const [markers] = traces(figure);
  const symbol = markers.marker.symbol as string[];
  assert.equal(symbol.length, 3);
  assert.equal(symbol[1], `${symbol[0]}-open`);
  assert.equal(symbol[2], symbol[0]);
  assert.match(markers.customdata[1], /not significant/);
  assert.match(markers.hovertemplate, /%\{customdata\}/);
  // Without significance the markers are as before: one symbol for the trace, no extra hover line.
  const [plain] = traces(emidBoundScatter(POINTS.slice(0, 3).map((point) => ({ ...point, family: 'my_family' }))));
  assert.equal(typeof plain.marker.symbol, 'string');
  assert.doesNotMatch(plain.hovertemplate, /customdata/);

  const names = POINTS.map((point) => point.split);
  const map = (values: number[]) => Object.fromEntries(names.map((name, i) => [name, values[i]]));
  const emidP = [0.5, 0.0099, 0.04, 0.0099, 0.0099, 0.0099, 0.3];
  const json = {
    id_split: 'llava_bench_coco',
    EMI: { llava_bench_coco: 0.1, ...map(POINTS.map((point) => 0.1 - point.emid)) },
    EMID: map(POINTS.map((point) => point.emid)),
    EMID_UB: map(POINTS.map((point) => point.bound)),
    EMID_PVAL: map(emidP),
    EMID_UB_PVAL: map(names.map(() => 1)),
    JSD_V_PVAL: map(names.map(() => 1)),
    JSD_T_PVAL: map(names.map(() => 1)),
  };
  const scatterSymbols = (results: Record<string, unknown>) => {
    const scatter = figuresFromResults(fromResultsJson(results)).find((named) => named.id === 'emid-vs-bound')!.figure;
    const bySplit = new Map<string, string>();
    for (const trace of traces(scatter).filter((t) => t.mode === 'markers')) (trace.text as string[]).forEach((split, k) => bySplit.set(split, (trace.marker.symbol as string[])[k]));
    return names.map((name) => bySplit.get(name)!.endsWith('-open'));
  };
  assert.deepEqual(scatterSymbols(json), emidP.map((p) => p >= 0.05));
  // With BH q-values the q map decides: the split with p = 0.04 has q = 0.056 and is drawn open.
  const q = [0.5, 0.0139, 0.056, 0.0139, 0.0139, 0.0139, 0.35];
  assert.deepEqual(scatterSymbols({ ...json, EMID_QVAL: map(q) }), q.map((value) => value >= 0.05));
});

test('emidBoundScatter refuses what cannot make a correlation plot', () => {
  assertInputError(() => emidBoundScatter(POINTS.slice(0, 2)), /2 points: a correlation needs at least 3/);
  assertInputError(() => emidBoundScatter([...POINTS.slice(0, 3), { split: 'x', emid: NaN, bound: 1 }]), /points\[3\]\.emid: expected a finite number, got NaN/);
  assertInputError(() => emidBoundScatter(POINTS.map((point) => ({ ...point, bound: 1 }))), /bound: every value is 1/);
  assertInputError(() => emidBoundScatter(POINTS.map((point) => ({ ...point, emidInterval: [1, 0] as [number, number] }))), /lower 1 exceeds upper 0/);
});

const SEVERITY_POINTS = [
  { family: 'frost', severity: 5, emid: 0.03, bound: 1.3, unit: 'ImageNet-C level', emidInterval: [0.02, 0.04] as [number, number] },
  { family: 'frost', severity: 1, emid: 0.01, bound: 1.0, unit: 'ImageNet-C level', emidInterval: [0.0, 0.02] as [number, number] },
  { family: 'frost', severity: 3, emid: 0.02, bound: 1.2, unit: 'ImageNet-C level', emidInterval: [0.01, 0.03] as [number, number] },
  { family: 'sr', severity: 4, emid: 0.02, bound: 1.1, unit: 'tenths of the words replaced' },
  { family: 'sr', severity: 7, emid: 0.05, bound: 1.4, unit: 'tenths of the words replaced' },
];

test('boundSeverityCurves: one row of panels per family, each with its own severity axis named by its unit', () => {
  const figure = boundSeverityCurves(SEVERITY_POINTS);
  const layout = figure.layout as Record<string, any>;
  const lines = traces(figure).filter((trace) => trace.mode === 'lines+markers');
  assert.deepEqual(lines.map((trace) => trace.name), ['frost: EMID', 'frost: upper bound', 'synonym replacement: EMID', 'synonym replacement: upper bound']);
  assert.deepEqual(lines[0].x, [1, 3, 5]);
  assert.deepEqual(lines[0].y, [0.01, 0.02, 0.03]);
  assert.deepEqual(lines[1].y, [1.0, 1.2, 1.3]);
  assert.deepEqual(lines.map((trace) => `${trace.xaxis}/${trace.yaxis}`), ['x/y', 'x2/y2', 'x3/y3', 'x4/y4'], 'no two families share an axis');
  assert.equal(lines[1].line.dash, 'dash');
  // Each family's x-axes name its unit and tick exactly its severities (4 and 7, not 5 and 6).
  assert.equal(layout.xaxis.title.text, 'ImageNet-C level');
  assert.equal(layout.xaxis3.title.text, 'tenths of the words replaced');
  assert.deepEqual(layout.xaxis3.tickvals, [4, 7]);
  assert.deepEqual(layout.xaxis.tickvals, [1, 3, 5]);
  // The rows are headed by the family in words, and stack without overlapping.
  assert.deepEqual((layout.annotations as any[]).map((annotation) => annotation.text), ['<b>frost</b>', '<b>synonym replacement</b>']);
  assert.ok(layout.yaxis3.domain[1] < layout.yaxis.domain[0], 'the second row lies below the first');
  assert.deepEqual(layout.yaxis.domain, layout.yaxis2.domain, 'EMID and bound panels side by side');
  assert.equal(layout.yaxis3.matches, 'y', 'EMID panels share one y-range');
  assert.equal(layout.yaxis4.matches, 'y2', 'and so do the bound panels');
  assert.match(layout.yaxis.title.text, /EMID \(nats\)/);
  assert.match(layout.yaxis2.title.text, /upper bound \(nats\)/);
  const bands = traces(figure).filter((trace) => trace.fill === 'toself');
  assert.equal(bands.length, 1, 'only frost EMID has intervals');
  assert.deepEqual(bands[0].x, [1, 3, 5, 5, 3, 1]);
  assert.deepEqual(bands[0].y, [0.02, 0.03, 0.04, 0.02, 0.01, 0.0]);
  assert.equal(figure.layout.width, undefined);
});

test('boundSeverityCurves with severityTitle: the caller says the scale is shared, so one x-axis', () => {
  const figure = boundSeverityCurves(SEVERITY_POINTS, { severityTitle: 'total shift severity s_v + s_t' });
  const lines = traces(figure).filter((trace) => trace.mode === 'lines+markers');
  assert.deepEqual(lines.map((trace) => `${trace.xaxis}/${trace.yaxis}`), ['x/y', 'x/y2', 'x/y', 'x/y2']);
  assert.equal(axisTitle(figure, 'xaxis'), 'total shift severity s_v + s_t');
  assert.match(axisTitle(figure, 'yaxis'), /nats/);
  assert.match(axisTitle(figure, 'yaxis2'), /nats/);
  assert.notEqual(lines[0].line.color, lines[2].line.color, 'families differ in colour');
  assert.notEqual(lines[0].marker.symbol, lines[2].marker.symbol, 'and in marker');
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
  assert.ok(bars.every((trace) => trace.type === 'bar' && trace.orientation === 'h'), 'horizontal bars: splits are rows');
  assert.deepEqual(bars[0].y, ['frost_1', 'sr_4'], 'the common prefix is dropped from the labels');
  assert.deepEqual(bars[0].hovertext, ['llava_bench_coco_frost_1', 'llava_bench_coco_sr_4'], 'and kept in the hover text');
  assert.match(axisTitle(figure, 'yaxis'), /llava_bench_coco_/);
  const close = (a: number[], b: number[]) => a.every((value, i) => Math.abs(value - b[i]) < 1e-12);
  assert.ok(close(bars[0].x, [0.2, 0]), 'negative rounding noise is clamped to 0');
  assert.ok(close(bars[1].x, [0, 0.3]));
  assert.ok(close(bars[2].x, [0.2, 0.2]));
  assert.ok(close(bars[3].x, [0.3, 0.5]));
  assert.match(axisTitle(figure, 'xaxis'), /nats/);
  assert.equal(figure.layout.width, undefined, 'no fixed width');
  const many = boundDecomposition(Array.from({ length: 42 }, (_, i) => ({ ...rows[0], split: `split_${i}` })));
  assert.ok((many.layout.height as number) > (figure.layout.height as number), 'more splits make the chart taller, never wider');
  assert.equal(many.layout.width, undefined);
  assertInputError(() => boundDecomposition([{ ...rows[0], jsdQy: NaN }]), /comparisons\[0\]\.jsdQy/);
});

test('emiVersusRp: Spearman and Kendall in the title', () => {
  const points = [0.1, 0.2, 0.15, 0.4, 0.35].map((emi, i) => ({ split: `s${i}`, emi, rp: 0.5 + emi + (i % 2) * 0.01 }));
  const figure = emiVersusRp(points);
  assert.match(titleOf(figure), /Spearman ρ = 1\.000 \(p = /);
  assert.match(titleOf(figure), /Kendall τ_b = 1\.000 \(p = /);
  assert.equal(traces(figure)[0].x.length, 5);
  assert.match(axisTitle(figure, 'xaxis'), /nats/);
  assert.match(axisTitle(figure, 'yaxis'), /RP/);
  assert.notEqual(traces(figure)[0].marker.color, '#8C8C8C', "a figure of 'other' splits only is not drawn in grey");
  assertInputError(() => emiVersusRp(points.slice(0, 2)), /at least 3/);
});

test('emiVersusQuality: EMI against any per-split quality, rank correlations recomputed into the title', () => {
  const points = [
    { split: 'shift_none', emi: -0.09, quality: 0.8, family: 'none' },
    { split: 'a1', emi: -0.2, quality: 0.6, family: 'blur' },
    { split: 'a3', emi: -0.4, quality: 0.5, family: 'blur' },
    { split: 'b1', emi: -0.3, quality: 0.4, family: 'typos' },
    { split: 'b3', emi: -0.7, quality: 0.1, family: 'typos' },
  ];
  const figure = emiVersusQuality(points, { qualityLabel: 'accuracy', qualityTitle: 'accuracy (higher is better)' });
  const emi = points.map((point) => point.emi);
  const quality = points.map((point) => point.quality);
  assert.ok(titleOf(figure).startsWith('EMI vs. accuracy'));
  assert.ok(titleOf(figure).includes(`Spearman ρ = ${spearman(emi, quality).rho.toFixed(3)} (p = ${formatPValue(spearman(emi, quality).pValue)})`));
  assert.ok(titleOf(figure).includes(`Kendall τ_b = ${kendallTauB(emi, quality).tau.toFixed(3)} (p = ${formatPValue(kendallTauB(emi, quality).pValue)}), n = 5`));
  assert.equal(axisTitle(figure, 'yaxis'), 'accuracy (higher is better)');
  const markers = traces(figure);
  assert.deepEqual(markers.map((trace) => trace.name), ['blur (n = 2)', 'typos (n = 2)', 'no shift (n = 1)'], 'the ID split is its own family, listed after the shifts');
  assert.equal(markers[2].marker.symbol, 'star');
  assertInputError(() => emiVersusQuality(points.map((point) => ({ ...point, quality: 0.5 }))), /quality: every value is 0\.5/);
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
  assert.match(titleOf(figure), /mean \|estimate − true MI\| = 0\.0750 nats/);
  assert.match(axisTitle(figure, 'xaxis'), /nats/);
  assert.match(axisTitle(figure, 'yaxis'), /nats/);
});

test('estimatorValidation: the value the estimator should reach is drawn, and the error is measured against it', () => {
  const figure = estimatorValidation(
    [
      { trueMi: 0.5, estimate: 0.62, expected: 0.6, label: 'ρ=0.5' },
      { trueMi: 1, estimate: 1.3, expected: 1.4 },
    ],
    { expectedName: 'CLUB population value' },
  );
  const [identity, expected, points] = traces(figure);
  assert.deepEqual(identity.x, [0.5, 1.4]);
  assert.equal(expected.name, 'CLUB population value');
  assert.deepEqual(expected.x, [0.5, 1]);
  assert.deepEqual(expected.y, [0.6, 1.4]);
  assert.deepEqual(points.y, [0.62, 1.3]);
  assert.match(titleOf(figure), /mean \|estimate − CLUB population value\| = 0\.06\d* nats/);
  assert.throws(() => estimatorValidation([{ trueMi: 1, estimate: 1, expected: 1 }, { trueMi: 2, estimate: 2 }]), /points\[1\]\.expected/);
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
  const figures = figuresFromResults(fromResultsJson(synthetic()));
  assert.deepEqual(figures.map((entry) => entry.id), ['emid-vs-bound', 'bound-vs-severity']);
  const scatter = figures[0].figure;
  assert.equal(traces(scatter).filter((trace) => trace.mode === 'markers').reduce((sum, trace) => sum + trace.x.length, 0), 5);
  // Only frost has two or more severities among single-axis shifts.
  const curves = traces(figures[1].figure).filter((trace) => trace.mode === 'lines+markers');
  assert.deepEqual(curves.map((trace) => trace.name), ['frost: EMID', 'frost: upper bound']);
  const read = fromResultsJson(synthetic());
  assert.equal(resultsFormat(read), 'reference');
  assert.equal(read.idSplit, 'llava_bench_coco', 'the one EMI split without an EMID');
  assert.equal(read.mixture, 'sample-weighted', "the reference implementation's mixture");
  assert.equal(read.comparisons[0].terms, undefined, 'the reference format has no RJSD terms');
  assert.equal(read.emi.llava_bench_coco.miModel, undefined, 'nor MI estimates');
});

test('figuresFromResults: sweep output adds the decomposition; a SweepResult and its JSON give the same figures', () => {
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
  const sweepResult: SweepResult = {
    idSplit: 'id',
    mixture: 'sample-weighted' as const,
    emi: { id: comparisons[0].sourceEmi, ...Object.fromEntries(comparisons.map((c) => [c.target, c.targetEmi])) },
    comparisons,
    shifts: {},
    eigenproblems: { entropies: 0, mixtures: 0, reused: 0 },
  };
  const fromObject = figuresFromResults(sweepResult);
  assert.deepEqual(fromObject.map((entry) => entry.id), ['emid-vs-bound', 'bound-decomposition']);
  const fromJson = figuresFromResults(fromResultsJson(JSON.parse(JSON.stringify(toResultsJson(sweepResult)))));
  assert.deepEqual(fromJson, fromObject);
  assert.equal(resultsFormat(sweepResult), 'sweep');
});

test('fromResultsJson validates: neither format, NaN, mismatched maps, no ID split; the figures need 3 splits', () => {
  assertInputError(() => fromResultsJson([1, 2]), /not a results object: got an array/);
  assertInputError(() => fromResultsJson({ foo: 1 }), /missing the 'EMID' map .*reference format/);
  assertInputError(() => fromResultsJson({ EMID: { a: 1, b: 2, c: 3 } }), /missing the 'EMID_UB' map/);
  const good = synthetic();
  assertInputError(() => fromResultsJson({ ...good, EMID: { ...good.EMID, llava_bench_coco_frost_3: null } }), /EMID\['llava_bench_coco_frost_3'\]: expected a finite number, got null/);
  assertInputError(() => fromResultsJson({ ...good, EMID_UB: { ...good.EMID_UB, llava_bench_coco_frost_3: 'x' } }), /EMID_UB\['llava_bench_coco_frost_3'\]/);
  const { llava_bench_coco_sr_4: _dropped, ...fewer } = good.EMID_UB;
  assertInputError(() => fromResultsJson({ ...good, EMID_UB: fewer }), /mismatched splits: EMID has 5 splits and EMID_UB 4; EMID_UB lacks 'llava_bench_coco_sr_4'/);
  assertInputError(() => fromResultsJson({ ...good, JSD_V: good.EMID }), /RJSD term maps come as a set: JSD_T, JSD_PY, JSD_QY missing/);
  assertInputError(() => fromResultsJson({ ...good, EMID: { ...good.EMID, extra_split: 0.1 } }), /EMID_UB lacks 'extra_split'/);
  // The ID split: named, or the one split of EMI without an EMID.
  assertInputError(() => fromResultsJson({ ...good, EMI: { ...good.EMI, another_split: 0.2 } }), /EMI: cannot tell the ID split: EMI has 2 splits without an EMID \('llava_bench_coco', 'another_split'\); name it with 'id_split'/);
  assert.equal(fromResultsJson({ ...good, EMI: { ...good.EMI, another_split: 0.2 }, id_split: 'another_split' }).idSplit, 'another_split');
  assertInputError(() => fromResultsJson({ ...good, id_split: 'nowhere' }), /id_split: names 'nowhere', but the EMI map has no 'nowhere'/);
  const { llava_bench_coco_sr_4: _noEmi, ...lessEmi } = good.EMI as Record<string, number>;
  assertInputError(() => fromResultsJson({ ...good, EMI: lessEmi }), /EMI: EMID has 'llava_bench_coco_sr_4', but EMI has no value for it/);
  assertInputError(() => fromResultsJson({ ...good, mixture: 'weighted' }), /mixture: expected one of sample-weighted, equal, got "weighted"/);
  assertInputError(() => fromResultsJson({ ...good, MI_MODEL: good.EMI }), /MI estimate maps come as a pair/);
  // A split's intervals come together, and a results file of 2 OOD splits reads but draws nothing.
  assertInputError(() => fromResultsJson({ ...good, EMID_CI: { llava_bench_coco_sr_4: [0, 0.1] } }), /intervals come as a set: EMI_CI\['llava_bench_coco'\], EMI_CI\['llava_bench_coco_sr_4'\], EMID_UB_CI\['llava_bench_coco_sr_4'\] missing/);
  const two = fromResultsJson(reference({ a: 0.1, b: 0.2 }, { a: 1, b: 2 }));
  assert.equal(two.comparisons.length, 2);
  assertInputError(() => figuresFromResults(two), /2 points: a correlation needs at least 3/);
});

test('parseResultsJson turns Python NaN tokens into a check that names the split and the file', () => {
  const text = '{"EMI": {"id": 0.5, "a": 0.4, "b": 0.3, "c": 0.2}, "EMID": {"a": NaN, "b": 0.1, "c": 0.2}, "EMID_UB": {"a": 1, "b": 2, "c": 3}, "note": "NaN stays in strings"}';
  assertInputError(() => parseResultsJson(text, 'r.json'), /^r\.json: EMID\['a'\]: expected a finite number, got null \(NaN in the file\?\)/);
  assert.equal(parseResultsJson(text.replace('NaN', '0.05')).metadata?.note, 'NaN stays in strings', 'unknown keys are kept, strings untouched');
  assertInputError(() => parseResultsJson('{"EMID": ', 'r.json'), /^r\.json: not valid JSON/);
});

test('toResultsJson and fromResultsJson round-trip: the file read back is written out again key for key', () => {
  for (const json of [benchmarkResults(), benchmarkResults({ shift: false, provenance: false })]) {
    const written = JSON.parse(JSON.stringify(toResultsJson(fromResultsJson(json))));
    // The fixture has no rank correlations nor eigenproblem counts: reading computes the former from the maps.
    const { SpearmanRho, SpearmanPval, KendallTau, KendallPval, ...rest } = written;
    assert.deepEqual(rest, json);
    const emid = Object.values(json.EMID as Record<string, number>);
    const bound = Object.values(json.EMID_UB as Record<string, number>);
    assert.equal(SpearmanRho, spearman(emid, bound).rho);
    assert.equal(KendallPval, kendallTauB(emid, bound).pValue);
    assert.ok(SpearmanPval > 0 && KendallTau > 0);
  }
  // And a result read back from its JSON is the result (less what JSON cannot hold).
  const result = fromResultsJson(benchmarkResults());
  assert.deepEqual(fromResultsJson(JSON.parse(JSON.stringify(toResultsJson(result)))), result);
});

// ---------------------------------------------------------------------------------------------
// The main job's results: SHIFT, quality, and what happens without them

test('figuresFromResults on the main job: families from SHIFT, EMI vs. accuracy, severity rows per family', () => {
  const results = benchmarkResults();
  const figures = figuresFromResults(fromResultsJson(results));
  assert.deepEqual(figures.map((entry) => entry.id), ['emid-vs-bound', 'emi-vs-quality', 'bound-vs-severity', 'bound-decomposition']);

  const scatter = traces(figures[0].figure).filter((trace) => trace.mode === 'markers');
  const shift = results.SHIFT as Record<string, { family: string; label: string }>;
  const families = new Set(Object.keys(results.EMID as object).map((split) => shift[split].family));
  assert.equal(scatter.length, families.size, 'one trace per real family');
  assert.equal(families.size, 11, '7 single-axis families and 4 joint ones');
  assert.ok(scatter.every((trace) => !trace.name.startsWith('other')), 'no split is "other"');
  for (const trace of scatter) {
    assert.doesNotMatch(trace.name, /_|KeyboardAug|\bsr\b/, `label in words: ${trace.name}`);
    for (const split of trace.text) assert.ok(trace.name.startsWith(`${shift[split].label} (n = `), `${split} is drawn as ${shift[split].label}`);
  }
  assert.equal(new Set(scatter.map((trace) => `${trace.marker.color} ${trace.marker.symbol}`)).size, scatter.length, 'distinct colour/marker per family');

  // One family, one look, in every figure of the results.
  const quality = traces(figures[1].figure);
  for (const trace of quality) {
    const same = scatter.find((other) => other.legendgroup === trace.legendgroup);
    if (same) assert.deepEqual([trace.marker.color, trace.marker.symbol], [same.marker.color, same.marker.symbol], trace.name);
  }
  const names = Object.keys(results.EMI as object);
  const emi = names.map((split) => (results.EMI as Record<string, number>)[split]);
  const accuracy = names.map((split) => (results.ACCURACY as Record<string, number>)[split]);
  assert.equal(quality.reduce((sum, trace) => sum + trace.x.length, 0), 43, 'every split with EMI and accuracy, the ID split included');
  assert.ok(titleOf(figures[1].figure).includes(`Spearman ρ = ${spearman(emi, accuracy).rho.toFixed(3)}`));
  assert.ok(titleOf(figures[1].figure).includes(`Kendall τ_b = ${kendallTauB(emi, accuracy).tau.toFixed(3)}`));
  assert.match(axisTitle(figures[1].figure, 'yaxis'), /^accuracy/);

  const severity = figures[2].figure.layout as Record<string, any>;
  const rows = (severity.annotations as any[]).map((annotation) => annotation.text.replace(/<\/?b>/g, ''));
  assert.deepEqual(rows, ['defocus blur', 'frost', 'Gaussian noise', 'contrast', 'synonym replacement', 'keyboard typos', 'word-order noise']);
  const units = rows.map((_, row) => severity[`xaxis${row === 0 ? '' : 2 * row + 1}`].title.text);
  assert.deepEqual(units, ['ImageNet-C level', 'ImageNet-C level', 'ImageNet-C level', 'ImageNet-C level', 'tenths of the words replaced', 'typo level', 'swap level']);
  const lines = traces(figures[2].figure).filter((trace) => trace.mode === 'lines+markers');
  assert.equal(lines.reduce((sum, trace) => sum + trace.x.length, 0), 2 * 18, 'EMID and bound for each of the 18 single-axis splits');
  const blur = lines.find((trace) => trace.name === 'defocus blur: EMID')!;
  assert.equal(blur.line.color, scatter.find((trace) => trace.name.startsWith('defocus blur ('))!.marker.color);
});

test('fromResultsJson: SHIFT, quality and provenance are read and checked; absent, the names and ACCURACY still work', () => {
  const full = fromResultsJson(benchmarkResults());
  assert.equal(shiftSource(full), 'recorded');
  assert.deepEqual(splitShift(full, 'shift_defocus_blur_3'), { family: 'defocus_blur', label: 'defocus blur', modality: 'image', severity: 3, unit: 'ImageNet-C level' });
  assert.equal(splitShift(full, 'shift_none').family, 'none', 'the ID split is described too');
  assert.equal(full.quality?.key, 'ACCURACY');
  assert.equal(full.quality?.emiCorrelation?.n, 43);
  assert.equal(full.quality?.values.shift_frost_1, (benchmarkResults().ACCURACY as Record<string, number>).shift_frost_1);
  assert.equal(full.provenance?.emishift_version, '0.1.0');
  assert.equal(full.comparisons.find((comparison) => comparison.target === 'shift_frost_1')?.targetSplit?.rows, 90, 'the split record from the provenance');
  assert.equal(full.metadata?.club_engine, 'onnxruntime-node', 'other keys are kept');

  // Without SHIFT and quality: the benchmark's names are not in the catalog, so 'other', but ACCURACY is found.
  const bare = fromResultsJson(benchmarkResults({ shift: false, quality: false, provenance: false }));
  assert.equal(shiftSource(bare), 'names');
  assert.ok(bare.comparisons.every((comparison) => splitShift(bare, comparison.target).family === 'other'));
  assert.equal(bare.quality?.key, 'ACCURACY');
  assert.equal(bare.quality?.label, 'accuracy');
  assert.equal(bare.provenance, undefined);
  assert.deepEqual(figuresFromResults(fromResultsJson(benchmarkResults({ shift: false }))).map((entry) => entry.id), ['emid-vs-bound', 'emi-vs-quality', 'bound-decomposition'], 'no severity figure without severities');

  // The paper's names fall back to the catalog's families.
  const paper = fromResultsJson(synthetic());
  assert.deepEqual(splitShift(paper, 'llava_bench_coco_sr_4'), { family: 'synonym_replacement', label: 'synonym replacement', modality: 'text', severity: 4, unit: 'tenths of the words replaced' });
  assert.equal(splitShift(paper, 'llava_bench_coco_frost_5_sr_7').label, 'frost + synonym replacement');

  // A SHIFT map that covers some splits: the rest fall back.
  const partial = fromResultsJson({ ...synthetic(), SHIFT: { llava_bench_coco_frost_1: { family: 'my_frost', modality: 'image', severity: 1, unit: 'level' } } });
  assert.equal(splitShift(partial, 'llava_bench_coco_frost_1').label, 'my frost', 'a missing label is the family in words');
  assert.equal(splitShift(partial, 'llava_bench_coco_frost_3').family, 'frost');

  // RP is used when there is no ACCURACY, and a declared quality wins.
  const rp = fromResultsJson({ ...synthetic(), RP: { llava_bench_coco: 1, llava_bench_coco_frost_1: 0.9, llava_bench_coco_frost_3: 0.8 } });
  assert.equal(rp.quality?.key, 'RP');
  const declared = fromResultsJson({ ...synthetic(), ERR: { llava_bench_coco: 0.1, llava_bench_coco_sr_4: 0.3 }, quality: { key: 'ERR', label: 'error rate', higher_is_better: false } });
  assert.deepEqual([declared.quality?.label, declared.quality?.higherIsBetter], ['error rate', false]);
});

test('fromResultsJson refuses malformed SHIFT, quality and provenance with the field named', () => {
  const good = benchmarkResults();
  const shift = good.SHIFT as Record<string, Record<string, unknown>>;
  const withShift = (split: string, entry: unknown) => ({ ...good, SHIFT: { ...shift, [split]: entry } });
  assertInputError(() => fromResultsJson(withShift('shift_frost_1', { ...shift.shift_frost_1, modality: 'visual' })), /SHIFT\['shift_frost_1'\]\.modality: expected one of image, text, joint, none, got "visual"/);
  assertInputError(() => fromResultsJson(withShift('shift_frost_1', { ...shift.shift_frost_1, family: '' })), /SHIFT\['shift_frost_1'\]\.family: expected a family name/);
  assertInputError(() => fromResultsJson(withShift('shift_frost_1', { ...shift.shift_frost_1, severity: 'high' })), /SHIFT\['shift_frost_1'\]\.severity: expected a finite number, got "high"/);
  assertInputError(() => fromResultsJson(withShift('shift_frost_1', 'frost')), /SHIFT\['shift_frost_1'\]: expected \{ family, label, modality, severity, unit \}/);
  assertInputError(() => fromResultsJson({ ...good, SHIFT: [] }), /SHIFT: expected a map/);
  assertInputError(() => fromResultsJson({ ...good, quality: { key: 'RP', label: 'RP' } }), /quality\.key: names 'RP', but the results have no 'RP' map/);
  assertInputError(() => fromResultsJson({ ...good, quality: { key: 'ACCURACY', higher_is_better: 'yes' } }), /quality\.higher_is_better: expected true or false/);
  assertInputError(() => fromResultsJson({ ...good, EMI_vs_ACCURACY: { n: 43, spearman_rho: null } }), /EMI_vs_ACCURACY\.spearman_rho: expected a finite number/);
  assertInputError(() => fromResultsJson({ ...good, ACCURACY: { ...(good.ACCURACY as object), shift_frost_1: 'x' } }), /ACCURACY\['shift_frost_1'\]: expected a finite number/);
  assertInputError(() => fromResultsJson({ ...good, provenance: 'made by hand' }), /provenance: expected an object, got string/);
});
