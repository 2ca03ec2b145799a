/**
 * Figures as plain Plotly JSON (`{ data, layout }`): nothing here touches a DOM, so the same
 * spec renders in a notebook (application/vnd.plotly.v1+json), in the HTML report and in
 * headless Chromium for PNG/SVG export. Every axis says what it measures and in which unit, and
 * correlation figures carry their coefficient and p-value in the title, so a figure copied out
 * of its context still reads correctly.
 */
import type { Config, Data, Layout } from 'plotly.js-dist-min';
import { InputError } from '../errors';
import { isScenarioName, scenario } from '../data/scenarios';
import type { EpochRecord } from '../mi/trainClub';
import { kendallTauB, pearson, spearman } from '../stats/correlation';
import {
  FamilyColours,
  familyLabel,
  formatCoefficient,
  formatPValue,
  formatValue,
  leastSquares,
  orderFamilies,
  requireCorrelatable,
  requireFinite,
  requireInterval,
  requireNonEmpty,
  requireVarying,
  shiftFamilyOf,
  shortSplitLabels,
  withAlpha,
} from './format';
import { normalizeResults, type NormalizedResults, type SplitResult } from './results';

export interface PlotlyFigure {
  data: Data[];
  layout: Partial<Layout>;
  config?: Partial<Config>;
}

/** A figure with a stable id (file name for exported images) and a heading for reports. */
export interface NamedFigure {
  id: string;
  title: string;
  figure: PlotlyFigure;
}

// The plotly logo links to plotly.com; an offline report must not invite a network request.
const CONFIG: Partial<Config> = { displaylogo: false, responsive: true };

function baseLayout(title: string, xTitle: string, yTitle: string): Partial<Layout> {
  return {
    title: { text: title, x: 0.02, xanchor: 'left' },
    xaxis: { title: { text: xTitle }, zeroline: false, automargin: true },
    yaxis: { title: { text: yTitle }, zeroline: false, automargin: true },
    hovermode: 'closest',
    legend: { orientation: 'v' },
    margin: { t: 80, l: 70, r: 30, b: 70 },
    width: 900,
    height: 560,
    paper_bgcolor: '#ffffff',
    plot_bgcolor: '#f7f7f9',
  };
}

function figure(data: Data[], layout: Partial<Layout>): PlotlyFigure {
  return { data, layout, config: { ...CONFIG } };
}

function fieldOf(what: string, index: number, key: string): string {
  return `${what}[${index}].${key}`;
}

// ---------------------------------------------------------------------------------------------
// EMID against its upper bound

export interface EmidBoundPoint {
  split: string;
  emid: number;
  bound: number;
  /** Shift family; default: the split's modality in the scenario catalog, else 'other'. */
  family?: string;
  emidInterval?: [number, number];
  boundInterval?: [number, number];
}

export interface EmidBoundScatterOptions {
  /** Title before the correlation (default "EMID vs. its upper bound"). */
  title?: string;
  /** A second title line, e.g. the model and benchmark. */
  subtitle?: string;
}

/**
 * One point per OOD split (x = the scale-adjusted EMID upper bound, y = EMID), coloured by shift
 * family, with the least-squares line of EMID on the bound and Pearson r and p in the title and
 * the line's legend entry. Error bars when intervals are given.
 */
export function emidBoundScatter(points: readonly EmidBoundPoint[], options: EmidBoundScatterOptions = {}): PlotlyFigure {
  requireCorrelatable(points.length, 'points');
  const emids = points.map((point, i) => requireFinite(point.emid, fieldOf('points', i, 'emid')));
  const bounds = points.map((point, i) => requireFinite(point.bound, fieldOf('points', i, 'bound')));
  requireVarying(emids, 'emid');
  requireVarying(bounds, 'bound');
  const emidIntervals = points.map((point, i) => (point.emidInterval ? requireInterval(point.emidInterval, fieldOf('points', i, 'emidInterval')) : undefined));
  const boundIntervals = points.map((point, i) => (point.boundInterval ? requireInterval(point.boundInterval, fieldOf('points', i, 'boundInterval')) : undefined));
  const families = points.map((point) => point.family ?? shiftFamilyOf(point.split));
  const { r, pValue } = pearson(bounds, emids);
  const { slope, intercept } = leastSquares(bounds, emids);

  const colours = new FamilyColours();
  const traces: Data[] = orderFamilies(families).map((family) => {
    const members = points.map((_, i) => i).filter((i) => families[i] === family);
    const trace: Data = {
      type: 'scatter',
      mode: 'markers',
      name: `${familyLabel(family)} (n = ${members.length})`,
      legendgroup: family,
      x: members.map((i) => bounds[i]),
      y: members.map((i) => emids[i]),
      text: members.map((i) => points[i].split),
      hovertemplate: '%{text}<br>EMID upper bound = %{x:.4f} nats<br>EMID = %{y:.4f} nats<extra></extra>',
      marker: { color: colours.colour(family), size: 9, line: { color: '#ffffff', width: 1 } },
    };
    if (members.some((i) => emidIntervals[i])) {
      trace.error_y = errorBars(members.map((i) => emidIntervals[i]), members.map((i) => emids[i]), colours.colour(family));
    }
    if (members.some((i) => boundIntervals[i])) {
      trace.error_x = errorBars(members.map((i) => boundIntervals[i]), members.map((i) => bounds[i]), colours.colour(family));
    }
    return trace;
  });
  const xMin = Math.min(...bounds);
  const xMax = Math.max(...bounds);
  const correlation = `Pearson r = ${formatCoefficient(r)}, p = ${formatPValue(pValue)}, n = ${points.length}`;
  traces.push({
    type: 'scatter',
    mode: 'lines',
    name: `least squares: EMID = ${formatValue(intercept, 3)} + ${formatValue(slope, 3)} × bound (r = ${formatCoefficient(r)}, p = ${formatPValue(pValue)})`,
    x: [xMin, xMax],
    y: [intercept + slope * xMin, intercept + slope * xMax],
    line: { color: '#333333', width: 2, dash: 'dash' },
    hoverinfo: 'skip',
  });
  const title = `${options.title ?? 'EMID vs. its upper bound'} — ${correlation}${options.subtitle ? `<br><sub>${options.subtitle}</sub>` : ''}`;
  const layout = baseLayout(title, 'EMID upper bound (scale-adjusted, nats)', 'EMID = EMI(ID) − EMI(OOD) (nats)');
  layout.legend = { orientation: 'h', y: -0.18, yanchor: 'top', x: 0, xanchor: 'left' };
  layout.margin = { t: 80, l: 70, r: 30, b: 140 };
  layout.height = 620;
  return figure(traces, layout);
}

/** Asymmetric error bars from intervals; points without one get a zero-length bar. */
function errorBars(intervals: readonly ([number, number] | undefined)[], values: readonly number[], colour: string) {
  return {
    type: 'data' as const,
    symmetric: false,
    array: intervals.map((interval, i) => (interval ? Math.max(0, interval[1] - values[i]) : 0)),
    arrayminus: intervals.map((interval, i) => (interval ? Math.max(0, values[i] - interval[0]) : 0)),
    color: withAlpha(colour, 0.6),
    thickness: 1,
    width: 3,
    visible: true,
  };
}

// ---------------------------------------------------------------------------------------------
// EMID and the bound against shift severity

export interface SeverityPoint {
  family: string;
  severity: number;
  emid: number;
  bound: number;
  emidInterval?: [number, number];
  boundInterval?: [number, number];
}

/**
 * x = severity, per family one line for EMID and one for the bound (same colour, the bound
 * dashed), with shaded bands where intervals are given. EMID and the bound differ in scale by
 * two orders of magnitude on the benchmark (≈0.01 vs ≈1 nats), so they get a panel each,
 * sharing the severity axis: on one axis the EMID lines would lie flat on zero.
 */
export function boundSeverityCurves(points: readonly SeverityPoint[], options: { title?: string; subtitle?: string; severityTitle?: string } = {}): PlotlyFigure {
  requireNonEmpty(points.length, 'points');
  const checked = points.map((point, i) => {
    if (typeof point.family !== 'string' || point.family === '') throw new InputError('expected a family name', { field: fieldOf('points', i, 'family') });
    return {
      family: point.family,
      severity: requireFinite(point.severity, fieldOf('points', i, 'severity')),
      emid: requireFinite(point.emid, fieldOf('points', i, 'emid')),
      bound: requireFinite(point.bound, fieldOf('points', i, 'bound')),
      emidInterval: point.emidInterval ? requireInterval(point.emidInterval, fieldOf('points', i, 'emidInterval')) : undefined,
      boundInterval: point.boundInterval ? requireInterval(point.boundInterval, fieldOf('points', i, 'boundInterval')) : undefined,
    };
  });
  const seen = new Set<string>();
  checked.forEach((point, i) => {
    const key = `${point.family}\u0000${point.severity}`;
    if (seen.has(key)) throw new InputError(`family '${point.family}' has severity ${point.severity} twice`, { field: fieldOf('points', i, 'severity') });
    seen.add(key);
  });
  const colours = new FamilyColours();
  const traces: Data[] = [];
  for (const family of orderFamilies(checked.map((point) => point.family))) {
    const members = checked.filter((point) => point.family === family).sort((a, b) => a.severity - b.severity);
    const colour = colours.colour(family);
    const x = members.map((point) => point.severity);
    for (const series of ['emid', 'bound'] as const) {
      const intervalKey = series === 'emid' ? 'emidInterval' : 'boundInterval';
      const label = series === 'emid' ? 'EMID' : 'upper bound';
      // Bands are drawn only over points that have an interval, so a partial set does not
      // pretend to cover severities it has no interval for.
      const banded = members.filter((point) => point[intervalKey]);
      if (banded.length > 0) {
        const bandX = banded.map((point) => point.severity);
        traces.push({
          type: 'scatter',
          mode: 'lines',
          name: `${family}: ${label} interval`,
          legendgroup: family,
          showlegend: false,
          xaxis: 'x',
          yaxis: series === 'emid' ? 'y' : 'y2',
          x: [...bandX, ...[...bandX].reverse()],
          y: [...banded.map((point) => point[intervalKey]![1]), ...banded.map((point) => point[intervalKey]![0]).reverse()],
          fill: 'toself',
          fillcolor: withAlpha(colour, series === 'emid' ? 0.22 : 0.12),
          line: { width: 0, color: colour },
          hoverinfo: 'skip',
        });
      }
      traces.push({
        type: 'scatter',
        mode: 'lines+markers',
        name: `${family}: ${label}`,
        legendgroup: family,
        xaxis: 'x',
        yaxis: series === 'emid' ? 'y' : 'y2',
        x,
        y: members.map((point) => point[series]),
        line: { color: colour, width: 2, dash: series === 'emid' ? 'solid' : 'dash' },
        marker: { color: colour, size: 7, symbol: series === 'emid' ? 'circle' : 'diamond' },
        hovertemplate: `${family}, severity %{x}<br>${label} = %{y:.4f} nats<extra></extra>`,
      });
    }
  }
  const title = `${options.title ?? 'EMID (top) and its upper bound (bottom) by shift severity'}${options.subtitle ? `<br><sub>${options.subtitle}</sub>` : ''}`;
  const layout = baseLayout(title, options.severityTitle ?? 'shift severity (family-specific scale)', 'EMID (nats)');
  layout.xaxis = { ...layout.xaxis, anchor: 'y2' };
  layout.yaxis = { ...layout.yaxis, domain: [0.54, 1], zeroline: true, zerolinecolor: '#bbbbbb' };
  layout.yaxis2 = { title: { text: 'upper bound (nats)' }, domain: [0, 0.46], anchor: 'x', automargin: true };
  layout.height = 680;
  return figure(traces, layout);
}

// ---------------------------------------------------------------------------------------------
// The bound's four terms

export interface DecompositionInput {
  split: string;
  jsdV: number;
  jsdT: number;
  jsdPy: number;
  jsdQy: number;
}

/**
 * Stacked bars per OOD split of the scale-adjusted bound's terms: √jsd_v, √jsd_t, jsd_py^¼,
 * jsd_qy^¼ (negative RJSD rounding noise is clamped to 0 before the root, as in the bound).
 */
export function boundDecomposition(comparisons: readonly DecompositionInput[], options: { title?: string; subtitle?: string } = {}): PlotlyFigure {
  requireNonEmpty(comparisons.length, 'comparisons');
  const terms = comparisons.map((entry, i) => ({
    v: requireFinite(entry.jsdV, fieldOf('comparisons', i, 'jsdV')),
    t: requireFinite(entry.jsdT, fieldOf('comparisons', i, 'jsdT')),
    py: requireFinite(entry.jsdPy, fieldOf('comparisons', i, 'jsdPy')),
    qy: requireFinite(entry.jsdQy, fieldOf('comparisons', i, 'jsdQy')),
  }));
  const { labels, prefix } = shortSplitLabels(comparisons.map((entry) => entry.split));
  const names = comparisons.map((entry) => entry.split);
  const parts: { name: string; colour: string; value: (term: (typeof terms)[number]) => number }[] = [
    { name: '√jsd_v (images)', colour: '#1f77b4', value: (term) => Math.sqrt(Math.max(0, term.v)) },
    { name: '√jsd_t (questions)', colour: '#ff7f0e', value: (term) => Math.sqrt(Math.max(0, term.t)) },
    { name: 'jsd_py^¼ (ID answers vs references)', colour: '#2ca02c', value: (term) => Math.max(0, term.py) ** 0.25 },
    { name: 'jsd_qy^¼ (OOD answers vs references)', colour: '#d62728', value: (term) => Math.max(0, term.qy) ** 0.25 },
  ];
  const traces: Data[] = parts.map((part) => ({
    type: 'bar',
    name: part.name,
    x: labels,
    y: terms.map(part.value),
    hovertext: names,
    hovertemplate: `%{hovertext}<br>${part.name} = %{y:.4f}<extra></extra>`,
    marker: { color: part.colour },
  }));
  const title = `${options.title ?? 'What the EMID upper bound is made of, per OOD split'}${options.subtitle ? `<br><sub>${options.subtitle}</sub>` : ''}`;
  const layout = baseLayout(
    title,
    prefix ? `OOD split (names without the common prefix ${prefix})` : 'OOD split',
    'contribution to the bound (RJSD in nats, to the power ½ or ¼)',
  );
  layout.barmode = 'stack';
  layout.xaxis = { ...layout.xaxis, tickangle: -50, type: 'category' };
  // Plotly lists stacked bars top-down by default; a horizontal legend reads better bottom-up.
  layout.legend = { orientation: 'h', y: 1.0, yanchor: 'bottom', x: 0, xanchor: 'left', traceorder: 'normal' };
  layout.margin = { t: 110, l: 70, r: 30, b: 160 };
  layout.width = Math.max(900, 26 * comparisons.length + 200);
  layout.height = 640;
  return figure(traces, layout);
}

// ---------------------------------------------------------------------------------------------
// EMI against judge preference

export interface EmiRpPoint {
  split: string;
  emi: number;
  rp: number;
}

/** EMI against the LLM judge's relative preference, Spearman ρ and Kendall τ_b in the title. */
export function emiVersusRp(points: readonly EmiRpPoint[], options: { title?: string; subtitle?: string } = {}): PlotlyFigure {
  requireCorrelatable(points.length, 'points');
  const emi = points.map((point, i) => requireFinite(point.emi, fieldOf('points', i, 'emi')));
  const rp = points.map((point, i) => requireFinite(point.rp, fieldOf('points', i, 'rp')));
  requireVarying(emi, 'emi');
  requireVarying(rp, 'rp');
  const s = spearman(emi, rp);
  const k = kendallTauB(emi, rp);
  const families = points.map((point) => shiftFamilyOf(point.split));
  const colours = new FamilyColours();
  const traces: Data[] = orderFamilies(families).map((family) => {
    const members = points.map((_, i) => i).filter((i) => families[i] === family);
    return {
      type: 'scatter',
      mode: 'markers',
      name: `${familyLabel(family)} (n = ${members.length})`,
      x: members.map((i) => emi[i]),
      y: members.map((i) => rp[i]),
      text: members.map((i) => points[i].split),
      hovertemplate: '%{text}<br>EMI = %{x:.4f} nats<br>RP = %{y:.3f}<extra></extra>',
      marker: { color: colours.colour(family), size: 9, line: { color: '#ffffff', width: 1 } },
    };
  });
  const correlation = `Spearman ρ = ${formatCoefficient(s.rho)} (p = ${formatPValue(s.pValue)}), Kendall τ_b = ${formatCoefficient(k.tau)} (p = ${formatPValue(k.pValue)}), n = ${points.length}`;
  const title = `${options.title ?? 'EMI vs. judge relative preference'} — ${correlation}${options.subtitle ? `<br><sub>${options.subtitle}</sub>` : ''}`;
  return figure(traces, baseLayout(title, 'EMI = I(X; Ŷ) − I(X; Y) (nats)', 'relative preference RP (judge score ratio, model / reference; unitless)'));
}

// ---------------------------------------------------------------------------------------------
// CLUB training

/** Training loss per epoch, and held-out loss when the run kept a validation split. */
export function trainingCurve(history: readonly EpochRecord[], options: { title?: string } = {}): PlotlyFigure {
  requireNonEmpty(history.length, 'history');
  const epochs = history.map((record, i) => requireFinite(record.epoch, fieldOf('history', i, 'epoch')));
  const train = history.map((record, i) => requireFinite(record.trainLoss, fieldOf('history', i, 'trainLoss')));
  const traces: Data[] = [
    {
      type: 'scatter',
      mode: history.length > 60 ? 'lines' : 'lines+markers',
      name: 'training loss',
      x: epochs,
      y: train,
      line: { color: '#1f77b4', width: 2 },
      hovertemplate: 'epoch %{x}<br>training loss = %{y:.4f}<extra></extra>',
    },
  ];
  const held = history.map((record, i) => (record.validationLoss === undefined ? undefined : requireFinite(record.validationLoss, fieldOf('history', i, 'validationLoss'))));
  const layout = baseLayout(
    options.title ?? 'CLUB training: loss per epoch',
    'epoch',
    'loss (nats: Σ_d [(μ − y)²/σ² + log σ²], 2 × Gaussian NLL without constants)',
  );
  if (held.some((value) => value !== undefined)) {
    const rows = held.map((value, i) => ({ value, epoch: epochs[i] })).filter((row): row is { value: number; epoch: number } => row.value !== undefined);
    traces.push({
      type: 'scatter',
      mode: history.length > 60 ? 'lines' : 'lines+markers',
      name: 'held-out loss',
      x: rows.map((row) => row.epoch),
      y: rows.map((row) => row.value),
      line: { color: '#d62728', width: 2 },
      hovertemplate: 'epoch %{x}<br>held-out loss = %{y:.4f}<extra></extra>',
    });
    const best = rows.reduce((a, b) => (b.value < a.value ? b : a));
    layout.annotations = [{ x: best.epoch, y: best.value, text: `lowest held-out loss (epoch ${best.epoch})`, showarrow: true, arrowhead: 2, ax: 0, ay: -40 }];
  }
  return figure(traces, layout);
}

// ---------------------------------------------------------------------------------------------
// Estimator validation

export interface EstimatorPoint {
  trueMi: number;
  estimate: number;
  label?: string;
}

/** Estimated MI against the known true MI (e.g. Gaussian pairs), with the y = x line. */
export function estimatorValidation(points: readonly EstimatorPoint[], options: { title?: string; estimator?: string } = {}): PlotlyFigure {
  requireNonEmpty(points.length, 'points');
  const truth = points.map((point, i) => requireFinite(point.trueMi, fieldOf('points', i, 'trueMi')));
  const estimates = points.map((point, i) => requireFinite(point.estimate, fieldOf('points', i, 'estimate')));
  const lo = Math.min(...truth, ...estimates);
  const hi = Math.max(...truth, ...estimates);
  const meanAbsoluteError = truth.reduce((sum, value, i) => sum + Math.abs(estimates[i] - value), 0) / points.length;
  const estimator = options.estimator ?? 'CLUB';
  const traces: Data[] = [
    {
      type: 'scatter',
      mode: 'lines',
      name: 'y = x (exact estimate)',
      x: [lo, hi],
      y: [lo, hi],
      line: { color: '#888888', dash: 'dot', width: 1.5 },
      hoverinfo: 'skip',
    },
    {
      type: 'scatter',
      mode: points.some((point) => point.label) ? 'text+markers' : 'markers',
      name: `${estimator} estimate`,
      x: truth,
      y: estimates,
      text: points.map((point) => point.label ?? ''),
      textposition: 'top center',
      marker: { color: '#1f77b4', size: 9 },
      hovertemplate: 'true MI = %{x:.4f} nats<br>estimate = %{y:.4f} nats<extra>%{text}</extra>',
    },
  ];
  const title = `${options.title ?? `${estimator} estimate vs. true mutual information`} — mean |error| = ${formatValue(meanAbsoluteError, 4)} nats, n = ${points.length}`;
  return figure(traces, baseLayout(title, 'true mutual information (nats)', `${estimator} estimate (nats)`));
}

// ---------------------------------------------------------------------------------------------
// Everything a results file supports

/** Single-axis synthetic shifts (only the image, or only the question, is corrupted). */
export function severityPointsOf(splits: readonly SplitResult[]): SeverityPoint[] {
  const points: SeverityPoint[] = [];
  for (const entry of splits) {
    const known = catalogEntry(entry.split);
    if (!known || known.benchmark !== 'synthetic') continue;
    let family: string | undefined;
    let severity: number | undefined;
    if (known.modality === 'visual' && typeof known.visualSeverity === 'number') {
      family = known.visualFamily;
      severity = known.visualSeverity;
    } else if (known.modality === 'text' && typeof known.textSeverity === 'number') {
      family = known.textFamily;
      severity = known.textSeverity;
    }
    if (family === undefined || severity === undefined) continue;
    const point: SeverityPoint = { family, severity, emid: entry.emid, bound: entry.bound };
    if (entry.emidInterval) point.emidInterval = entry.emidInterval;
    if (entry.boundInterval) point.boundInterval = entry.boundInterval;
    points.push(point);
  }
  return points;
}

function catalogEntry(split: string) {
  return isScenarioName(split) ? scenario(split) : undefined;
}

/** "llava-v1.5-13b, SYNTHETIC shifts, ID = llava_bench_coco" from whatever the results name. */
export function describeResults(results: NormalizedResults): string {
  return [results.model, results.shiftType ? `${results.shiftType} shifts` : undefined, results.idSplit ? `ID split ${results.idSplit}` : undefined, `${results.splits.length} OOD splits`]
    .filter(Boolean)
    .join(', ');
}

/**
 * The figures a results object supports: always EMID vs. the bound; the bound's decomposition
 * when the RJSD terms are present (sweep output); severity curves when the splits include
 * single-axis synthetic shifts at two or more severities. Throws InputError (see
 * normalizeResults) rather than returning an empty or partial set.
 */
export function figuresFromResults(results: unknown): NamedFigure[] {
  return figuresFromNormalized(normalizeResults(results));
}

/** figuresFromResults for results already checked by normalizeResults. */
export function figuresFromNormalized(normalized: NormalizedResults): NamedFigure[] {
  const subtitle = describeResults(normalized);
  const figures: NamedFigure[] = [
    {
      id: 'emid-vs-bound',
      title: 'EMID vs. its upper bound',
      figure: emidBoundScatter(
        normalized.splits.map((entry) => ({
          split: entry.split,
          emid: entry.emid,
          bound: entry.bound,
          family: entry.family,
          ...(entry.emidInterval ? { emidInterval: entry.emidInterval } : {}),
          ...(entry.boundInterval ? { boundInterval: entry.boundInterval } : {}),
        })),
        { subtitle },
      ),
    },
  ];
  const withTerms = normalized.splits.filter((entry) => entry.terms);
  if (withTerms.length === normalized.splits.length) {
    figures.push({
      id: 'bound-decomposition',
      title: 'Decomposition of the upper bound',
      figure: boundDecomposition(
        withTerms.map((entry) => ({ split: entry.split, ...entry.terms! })),
        { subtitle },
      ),
    });
  }
  const severity = severityPointsOf(normalized.splits);
  const perFamily = new Map<string, number>();
  for (const point of severity) perFamily.set(point.family, (perFamily.get(point.family) ?? 0) + 1);
  const curves = severity.filter((point) => (perFamily.get(point.family) ?? 0) >= 2);
  if (curves.length > 0) {
    figures.push({
      id: 'bound-vs-severity',
      title: 'EMID and the bound by shift severity (single-axis synthetic shifts)',
      figure: boundSeverityCurves(curves, {
        subtitle,
        severityTitle: 'shift severity (per family: defocus blur and frost level 1–5, synonyms replaced 4 or 7, keyboard-typo level 1 or 3)',
      }),
    });
  }
  return figures;
}
