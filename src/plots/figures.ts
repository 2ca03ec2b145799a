/**
 * Figures as plain Plotly JSON (`{ data, layout }`): nothing here touches a DOM, so the same
 * spec renders in a notebook (application/vnd.plotly.v1+json), in the HTML report and in
 * headless Chromium for PNG/SVG export. Every axis says what it measures and in which unit, and
 * correlation figures carry their coefficient and p-value in the title, so a figure copied out
 * of its context still reads correctly.
 *
 * Layout rules every figure follows: no fixed width (the figure fills its container and
 * follows it when the window is resized), titles and legends outside the plot area with margins
 * that grow to fit them (so no text overlaps an axis title), families in the Okabe–Ito
 * colour-blind-safe palette with a distinct marker symbol each, and translucent outlined markers
 * so coinciding points stay visible.
 */
import type { Config, Data, Layout } from 'plotly.js-dist-min';
import { InputError } from '../errors';
import type { EpochRecord } from '../estimators';
import { kendallTauB, pearson, spearman } from '../stats/correlation';
import { bootstrapCorrelation } from '../stats/bootstrap';
import { isSignificant } from '../stats/significance';
import type { BoundTerms } from '../interface';
import {
  formatCoefficient,
  formatPValue,
  formatValue,
  leastSquares,
  requireCorrelatable,
  requireFinite,
  requireInterval,
  requireNonEmpty,
  requireVarying,
  shortSplitLabels,
  withAlpha,
} from './format';
import type { SweepResult } from '../sweep/sweep';
import type { MonitorResult } from '../monitor/monitorStream';
import { FamilyStyles, shiftInfoOf, splitShift, type FamilyStyle } from './shift';

/** A figure as Plotly JSON: what `Plotly.newPlot` takes, a notebook renders and the report embeds. */
export interface PlotlyFigure {
  /** The traces. */
  data: Data[];
  layout: Partial<Layout>;
  /** Display settings (no Plotly logo, responsive). */
  config?: Partial<Config>;
}

/** A figure with a stable id (file name for exported images) and a heading for reports. */
export interface NamedFigure {
  id: string;
  title: string;
  figure: PlotlyFigure;
}

// The plotly logo links to plotly.com; an offline report must not invite a network request.
// `responsive` redraws the figure when its container changes size.
const CONFIG: Partial<Config> = { displaylogo: false, responsive: true };

const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
const LINE_COLOUR = '#000000';

/** A figure's heading: what it shows, its statistics line, and a line of context. */
interface Heading {
  title: string;
  statistics?: string;
  subtitle?: string;
}

function titleLayout(heading: Heading): Partial<Layout>['title'] {
  const text = heading.statistics ? `${heading.title}<br><span style="font-size:13px">${heading.statistics}</span>` : heading.title;
  return {
    text,
    ...(heading.subtitle ? { subtitle: { text: heading.subtitle, font: { size: 12, color: '#555555' } } } : {}),
    font: { size: 16 },
    x: 0,
    xref: 'paper',
    xanchor: 'left',
    // Sits on the plot area's top edge and may push the top margin: the title never runs into
    // the plot or the figure's edge, however many lines it has. (A container-anchored title
    // with a subtitle mis-measures multi-line text and loses its first line.)
    yref: 'paper',
    y: 1,
    yanchor: 'bottom',
    pad: { b: 18 },
    automargin: true,
  };
}

/** A horizontal legend under the plot, anchored to the figure's bottom edge (below the x-axis title). */
function bottomLegend(): Partial<Layout>['legend'] {
  return { orientation: 'h', x: 0, xanchor: 'left', xref: 'paper', y: 0, yanchor: 'bottom', yref: 'container', font: { size: 12 } };
}

function baseLayout(heading: Heading, xTitle: string, yTitle: string): Partial<Layout> {
  return {
    title: titleLayout(heading),
    xaxis: { title: { text: xTitle }, zeroline: false, automargin: true },
    yaxis: { title: { text: yTitle }, zeroline: false, automargin: true },
    hovermode: 'closest',
    legend: bottomLegend(),
    autosize: true,
    margin: { t: 40, l: 64, r: 24, b: 48, pad: 2 },
    height: 560,
    font: { family: FONT, size: 13, color: '#222222' },
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

/** Markers: translucent with a dark outline, so coinciding points stay visible on any colour. */
function markerOf(style: FamilyStyle, size = 10): Record<string, unknown> {
  return { color: style.colour, symbol: style.symbol, size, opacity: 0.85, line: { color: 'rgba(0, 0, 0, 0.6)', width: 0.8 } };
}

/** The styles a standalone figure uses: explicit families as given, else the catalog's. */
function stylesFor(entries: readonly { split: string; family?: string }[], given?: FamilyStyles): { styles: FamilyStyles; families: string[] } {
  const infos = entries.map((entry) => (entry.family !== undefined ? { family: entry.family, label: entry.family, modality: 'image' as const } : shiftInfoOf(entry.split)));
  return { styles: given ?? FamilyStyles.fromShifts(infos), families: infos.map((info) => info.family) };
}

// ---------------------------------------------------------------------------------------------
// EMID against its upper bound

/** One OOD split of `emidBoundScatter`: its EMID and scale-adjusted bound (nats), with intervals when there are any. */
export interface EmidBoundPoint {
  split: string;
  emid: number;
  /** The scale-adjusted EMID upper bound. */
  bound: number;
  /** Shift family; default: the split's family in the scenario catalog, else 'other'. */
  family?: string;
  /** [lower, upper], drawn as an error bar. */
  emidInterval?: [number, number];
  boundInterval?: [number, number];
  /** EMID's permutation p-value (or its adjusted q-value, see `significance`): filled marker when significant (p < α, stats/significance.ts), open otherwise. */
  significance?: number;
}

/** The title, subtitle and family styles of `emidBoundScatter`. */
export interface EmidBoundScatterOptions {
  /** Title before the correlation (default "EMID vs. its upper bound"). */
  title?: string | undefined;
  /** A line of context under the title, e.g. the model and benchmark. */
  subtitle?: string | undefined;
  /** Colours, markers and labels per family (figures of one report share one set). */
  families?: FamilyStyles | undefined;
  /** What the points' `significance` is, for the legend line and hover: default `EMID p`. */
  significanceLabel?: string | undefined;
  /** The level a point's `significance` is compared with (default 0.05). */
  alpha?: number | undefined;
}

/**
 * One point per OOD split (x = the scale-adjusted EMID upper bound, y = EMID), coloured and
 * marked by shift family, with the least-squares line of EMID on the bound and Pearson r and p
 * in the title. Error bars when intervals are given.
 */
export function emidBoundScatter(points: readonly EmidBoundPoint[], options: EmidBoundScatterOptions = {}): PlotlyFigure {
  requireCorrelatable(points.length, 'points');
  const emids = points.map((point, i) => requireFinite(point.emid, fieldOf('points', i, 'emid')));
  const bounds = points.map((point, i) => requireFinite(point.bound, fieldOf('points', i, 'bound')));
  requireVarying(emids, 'emid');
  requireVarying(bounds, 'bound');
  const emidIntervals = points.map((point, i) => (point.emidInterval ? requireInterval(point.emidInterval, fieldOf('points', i, 'emidInterval')) : undefined));
  const boundIntervals = points.map((point, i) => (point.boundInterval ? requireInterval(point.boundInterval, fieldOf('points', i, 'boundInterval')) : undefined));
  const { styles, families } = stylesFor(points, options.families);
  const { r, pValue } = pearson(bounds, emids);
  const { slope, intercept } = leastSquares(bounds, emids);
  const tested = points.some((point) => point.significance !== undefined);
  const significances = points.map((point, i) => (point.significance === undefined ? undefined : requireFinite(point.significance, fieldOf('points', i, 'significance'))));
  const alpha = options.alpha ?? 0.05;
  const significanceLabel = options.significanceLabel ?? 'EMID p';
  const significant = (i: number) => significances[i] !== undefined && isSignificant(significances[i] as number, alpha);

  const traces: Data[] = styles.order(families).map((family) => {
    const members = points.map((_, i) => i).filter((i) => families[i] === family);
    const style = styles.style(family);
    const trace: Data = {
      type: 'scatter',
      mode: 'markers',
      name: `${styles.label(family)} (n = ${members.length})`,
      legendgroup: family,
      x: members.map((i) => bounds[i]),
      y: members.map((i) => emids[i]),
      text: members.map((i) => points[i].split),
      hovertemplate: `%{text}<br>${styles.label(family)}<br>EMID upper bound = %{x:.4f} nats<br>EMID = %{y:.4f} nats<extra></extra>`,
      marker: markerOf(style),
    };
    if (tested) {
      // Filled: significant at α; open (outlined in the family's colour): not, or not tested.
      const filled = style.symbol.replace(/-open$/, '');
      const marker: Record<string, unknown> = {
        ...markerOf(style),
        symbol: members.map((i) => (significant(i) ? filled : `${filled}-open`)),
        line: { color: members.map((i) => (significant(i) ? 'rgba(0, 0, 0, 0.6)' : style.colour)), width: members.map((i) => (significant(i) ? 0.8 : 1.6)) },
      };
      trace.marker = marker;
      trace.customdata = members.map((i) => (significances[i] === undefined ? 'not tested' : formatPValue(significances[i] as number)));
      trace.hovertemplate = `%{text}<br>${styles.label(family)}<br>EMID upper bound = %{x:.4f} nats<br>EMID = %{y:.4f} nats<br>${significanceLabel} = %{customdata}<extra></extra>`;
    }
    if (members.some((i) => emidIntervals[i])) trace.error_y = errorBars(members.map((i) => emidIntervals[i]), members.map((i) => emids[i]), style.colour);
    if (members.some((i) => boundIntervals[i])) trace.error_x = errorBars(members.map((i) => boundIntervals[i]), members.map((i) => bounds[i]), style.colour);
    return trace;
  });
  const xMin = Math.min(...bounds);
  const xMax = Math.max(...bounds);
  traces.push({
    type: 'scatter',
    mode: 'lines',
    name: `least squares: EMID = ${formatValue(intercept, 3)} + ${formatValue(slope, 3)} × bound (r = ${formatCoefficient(r)})`,
    x: [xMin, xMax],
    y: [intercept + slope * xMin, intercept + slope * xMax],
    line: { color: LINE_COLOUR, width: 1.5, dash: 'dash' },
    hoverinfo: 'skip',
  });
  const significantCount = points.filter((_, i) => significant(i)).length;
  const heading: Heading = {
    title: options.title ?? 'EMID vs. its upper bound',
    statistics:
      `Pearson r = ${formatCoefficient(r)}, p = ${formatPValue(pValue)}, n = ${points.length}` +
      (tested ? `; filled: ${significanceLabel} < ${formatPValue(alpha)} (${significantCount} of ${points.length}), open: not significant` : ''),
    subtitle: options.subtitle,
  };
  const layout = baseLayout(heading, 'EMID upper bound (scale-adjusted, nats)', 'EMID = EMI(ID) − EMI(OOD) (nats)');
  layout.height = 600;
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

/** One split of `boundSeverityCurves`: its family and severity, its EMID and bound (nats), and intervals when there are any. */
export interface SeverityPoint {
  /** One line per family; a family may hold each severity once. */
  family: string;
  /** On the family's own scale. */
  severity: number;
  emid: number;
  /** The scale-adjusted EMID upper bound. */
  bound: number;
  /** What the family's severity counts (e.g. "ImageNet-C level"); names the family's x-axis. */
  unit?: string;
  /** [lower, upper], drawn as a shaded band. */
  emidInterval?: [number, number];
  boundInterval?: [number, number];
}

/** The title, subtitle, axis layout and family styles of `boundSeverityCurves`. */
export interface SeverityCurveOptions {
  title?: string | undefined;
  subtitle?: string | undefined;
  /**
   * Says that every family's severity is on ONE common scale, and names it: the families then
   * share one x-axis (EMID above, the bound below). Without it each family gets its own row of
   * panels with its own x-axis, titled with the family and its unit, because the families'
   * severities (words replaced 4/7, typo level 1/3, blur level 1/3/5) are not comparable.
   */
  severityTitle?: string | undefined;
  families?: FamilyStyles | undefined;
}

interface CheckedSeverityPoint extends SeverityPoint {
  emidInterval?: [number, number];
  boundInterval?: [number, number];
}

function checkSeverityPoints(points: readonly SeverityPoint[]): CheckedSeverityPoint[] {
  requireNonEmpty(points.length, 'points');
  const checked = points.map((point, i) => {
    if (typeof point.family !== 'string' || point.family === '') throw new InputError('expected a family name', { field: fieldOf('points', i, 'family') });
    if (point.unit !== undefined && typeof point.unit !== 'string') throw new InputError('expected a string', { field: fieldOf('points', i, 'unit') });
    const entry: CheckedSeverityPoint = {
      family: point.family,
      severity: requireFinite(point.severity, fieldOf('points', i, 'severity')),
      emid: requireFinite(point.emid, fieldOf('points', i, 'emid')),
      bound: requireFinite(point.bound, fieldOf('points', i, 'bound')),
    };
    if (point.unit) entry.unit = point.unit;
    if (point.emidInterval) entry.emidInterval = requireInterval(point.emidInterval, fieldOf('points', i, 'emidInterval'));
    if (point.boundInterval) entry.boundInterval = requireInterval(point.boundInterval, fieldOf('points', i, 'boundInterval'));
    return entry;
  });
  const seen = new Set<string>();
  checked.forEach((point, i) => {
    const key = `${point.family}\u0000${point.severity}`;
    if (seen.has(key)) throw new InputError(`family '${point.family}' has severity ${point.severity} twice`, { field: fieldOf('points', i, 'severity') });
    seen.add(key);
  });
  return checked;
}

/** The traces of one family: per series (EMID, bound) an interval band when given, and the line. */
function severityTraces(members: readonly CheckedSeverityPoint[], label: string, style: FamilyStyle, axes: { emid: [string, string]; bound: [string, string] }, showlegend: boolean): Data[] {
  const traces: Data[] = [];
  const x = members.map((point) => point.severity);
  for (const series of ['emid', 'bound'] as const) {
    const intervalKey = series === 'emid' ? 'emidInterval' : 'boundInterval';
    const name = series === 'emid' ? 'EMID' : 'upper bound';
    const [xaxis, yaxis] = axes[series];
    // Bands are drawn only over points that have an interval, so a partial set does not
    // pretend to cover severities it has no interval for.
    const banded = members.filter((point) => point[intervalKey]);
    if (banded.length > 0) {
      const bandX = banded.map((point) => point.severity);
      traces.push({
        type: 'scatter',
        mode: 'lines',
        name: `${label}: ${name} interval`,
        legendgroup: label,
        showlegend: false,
        xaxis,
        yaxis,
        x: [...bandX, ...[...bandX].reverse()],
        y: [...banded.map((point) => point[intervalKey]![1]), ...banded.map((point) => point[intervalKey]![0]).reverse()],
        fill: 'toself',
        fillcolor: withAlpha(style.colour, series === 'emid' ? 0.22 : 0.12),
        line: { width: 0, color: style.colour },
        hoverinfo: 'skip',
      });
    }
    traces.push({
      type: 'scatter',
      mode: 'lines+markers',
      name: `${label}: ${name}`,
      legendgroup: label,
      showlegend,
      xaxis,
      yaxis,
      x,
      y: members.map((point) => point[series]),
      line: { color: style.colour, width: 2, dash: series === 'emid' ? 'solid' : 'dash' },
      marker: { ...markerOf(style, 8), opacity: 1 },
      hovertemplate: `${label}, severity %{x}<br>${name} = %{y:.4f} nats<extra></extra>`,
    });
  }
  return traces;
}

/**
 * EMID and the upper bound against shift severity, one line per family and series, with shaded
 * bands where intervals are given. EMID and the bound differ in scale by up to two orders of
 * magnitude, so they never share a y-axis. By default every family has its own row of panels
 * (EMID left, bound right) with its own severity axis named by its unit; the EMID panels share
 * one y-range, and so do the bound panels, so rows compare at a glance. Pass `severityTitle`
 * when the families' severities are on one common scale to draw them on one shared axis.
 */
export function boundSeverityCurves(points: readonly SeverityPoint[], options: SeverityCurveOptions = {}): PlotlyFigure {
  const checked = checkSeverityPoints(points);
  const styles = options.families ?? new FamilyStyles(checked.map((point) => point.family));
  const families = styles.order(checked.map((point) => point.family));
  const membersOf = (family: string) => checked.filter((point) => point.family === family).sort((a, b) => a.severity - b.severity);
  const traces: Data[] = [];

  if (options.severityTitle !== undefined) {
    for (const family of families) {
      traces.push(...severityTraces(membersOf(family), styles.label(family), styles.style(family), { emid: ['x', 'y'], bound: ['x', 'y2'] }, true));
    }
    const heading: Heading = { title: options.title ?? 'EMID (top) and its upper bound (bottom) by shift severity', subtitle: options.subtitle };
    const layout = baseLayout(heading, options.severityTitle, 'EMID (nats)');
    layout.xaxis = { ...layout.xaxis, anchor: 'y2' };
    layout.yaxis = { ...layout.yaxis, domain: [0.55, 1], zeroline: true, zerolinecolor: '#bbbbbb' };
    layout.yaxis2 = { title: { text: 'upper bound (nats)' }, domain: [0, 0.45], anchor: 'x', automargin: true };
    layout.height = 700;
    return figure(traces, layout);
  }

  // One row per family under a heading in the family's colour: the row's two panels share its
  // severity values, and the EMID (bound) panels of all rows share one y-range. Sizes are in
  // pixels of the plot area, converted to domain fractions.
  const rowHeight = 170;
  const rowHeadingHeight = 26;
  const rowGap = 64;
  const plotHeight = families.length * (rowHeadingHeight + rowHeight) + (families.length - 1) * rowGap;
  const heading: Heading = {
    title: options.title ?? 'EMID and its upper bound by shift severity',
    statistics: 'one row per shift family, each on its own severity scale',
    subtitle: options.subtitle,
  };
  const layout = baseLayout(heading, '', '');
  delete layout.xaxis;
  delete layout.yaxis;
  layout.showlegend = false;
  // The title's automargin adds about this much to the top margin; the plot area keeps plotHeight.
  const titleAllowance = 95;
  layout.margin = { t: 40, l: 64, r: 24, b: 56, pad: 2 };
  layout.height = plotHeight + 40 + 56 + titleAllowance;
  const annotations: NonNullable<Layout['annotations']> = [];
  const record = layout as Record<string, unknown>;
  families.forEach((family, row) => {
    const members = membersOf(family);
    const label = styles.label(family);
    const units = [...new Set(members.map((point) => point.unit).filter((unit): unit is string => unit !== undefined))];
    const xTitle = units.length === 1 ? units[0] : 'severity';
    const rowTop = 1 - (row * (rowHeadingHeight + rowHeight + rowGap)) / plotHeight;
    const top = rowTop - rowHeadingHeight / plotHeight;
    const bottom = top - rowHeight / plotHeight;
    const domainY: [number, number] = [Math.max(0, bottom), Math.min(1, top)];
    annotations.push({
      text: `<b>${label}</b>`,
      font: { size: 14, color: styles.style(family).colour },
      xref: 'paper',
      yref: 'paper',
      x: 0,
      xanchor: 'left',
      y: Math.min(1, rowTop),
      yanchor: 'top',
      showarrow: false,
    });
    const emidIndex = 2 * row + 1;
    const boundIndex = 2 * row + 2;
    const axisName = (kind: 'x' | 'y', index: number) => (index === 1 ? kind : `${kind}${index}`);
    const severities = members.map((point) => point.severity);
    const span = Math.max(...severities) - Math.min(...severities);
    const padding = span === 0 ? 0.5 : span * 0.08;
    for (const [index, column, yTitle] of [
      [emidIndex, [0, 0.45], 'EMID (nats)'],
      [boundIndex, [0.55, 1], 'upper bound (nats)'],
    ] as const) {
      record[`xaxis${index === 1 ? '' : index}`] = {
        domain: column,
        anchor: axisName('y', index),
        title: { text: xTitle, standoff: 6 },
        tickmode: 'array',
        tickvals: severities,
        range: [Math.min(...severities) - padding, Math.max(...severities) + padding],
        zeroline: false,
        automargin: true,
      };
      record[`yaxis${index === 1 ? '' : index}`] = {
        domain: domainY,
        anchor: axisName('x', index),
        title: { text: yTitle },
        zeroline: index === emidIndex,
        zerolinecolor: '#bbbbbb',
        automargin: true,
        ...(row > 0 ? { matches: index === emidIndex ? 'y' : 'y2' } : {}),
      };
    }
    traces.push(...severityTraces(members, label, styles.style(family), { emid: [axisName('x', emidIndex), axisName('y', emidIndex)], bound: [axisName('x', boundIndex), axisName('y', boundIndex)] }, false));
  });
  layout.annotations = annotations;
  return figure(traces, layout);
}

// ---------------------------------------------------------------------------------------------
// The bound's four terms

/** One OOD split of `boundDecomposition`: the bound's four RJSD terms in nats (a `PairComparison`'s `terms` with its target's name). */
export interface DecompositionInput {
  split: string;
  jsdV: number;
  jsdT: number;
  jsdPy: number;
  jsdQy: number;
}

/**
 * Stacked horizontal bars per OOD split of the scale-adjusted bound's terms: √jsd_v, √jsd_t,
 * jsd_py^¼, jsd_qy^¼ (negative RJSD rounding noise is clamped to 0 before the root, as in the
 * bound). Splits are rows, so the chart grows in height with their number and never overflows
 * its column, and long split names stay readable.
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
    { name: '√jsd_v (images)', colour: '#0072B2', value: (term) => Math.sqrt(Math.max(0, term.v)) },
    { name: '√jsd_t (questions)', colour: '#E69F00', value: (term) => Math.sqrt(Math.max(0, term.t)) },
    { name: 'jsd_py^¼ (ID answers vs. references)', colour: '#009E73', value: (term) => Math.max(0, term.py) ** 0.25 },
    { name: 'jsd_qy^¼ (OOD answers vs. references)', colour: '#D55E00', value: (term) => Math.max(0, term.qy) ** 0.25 },
  ];
  const traces: Data[] = parts.map((part) => ({
    type: 'bar',
    orientation: 'h',
    name: part.name,
    y: labels,
    x: terms.map(part.value),
    hovertext: names,
    hovertemplate: `%{hovertext}<br>${part.name} = %{x:.4f}<extra></extra>`,
    marker: { color: part.colour, line: { color: '#ffffff', width: 0.5 } },
  }));
  const heading: Heading = {
    title: options.title ?? 'What the EMID upper bound is made of, per OOD split',
    statistics: 'bar length = the scale-adjusted bound, √jsd_v + √jsd_t + jsd_py^¼ + jsd_qy^¼',
    subtitle: options.subtitle,
  };
  const layout = baseLayout(heading, 'contribution to the bound (RJSD in nats, to the power ½ or ¼)', prefix ? `OOD split (without the prefix ${prefix})` : 'OOD split');
  layout.barmode = 'stack';
  layout.bargap = 0.25;
  layout.yaxis = { ...layout.yaxis, type: 'category', autorange: 'reversed', tickfont: { size: 11 } };
  layout.legend = { ...bottomLegend(), traceorder: 'normal' };
  layout.height = Math.max(380, 20 * comparisons.length + 220);
  layout.hovermode = 'y';
  return figure(traces, layout);
}

// ---------------------------------------------------------------------------------------------
// EMI against a per-split quality (accuracy, judge preference, …)

/** One split of `emiVersusQuality`: its EMI (nats) and its quality on whatever scale the quality has. */
export interface QualityPoint {
  split: string;
  emi: number;
  /** e.g. the answering model's accuracy on the split. */
  quality: number;
  /** Shift family; default: the split's family in the scenario catalog, else 'other'. */
  family?: string;
}

/** What `emiVersusQuality` calls the quality, and its title, subtitle and family styles. */
export interface QualityFigureOptions {
  /** The quality in words, e.g. "accuracy" (default "quality"). */
  qualityLabel?: string | undefined;
  /** The y-axis title (default: the label). */
  qualityTitle?: string | undefined;
  title?: string | undefined;
  subtitle?: string | undefined;
  families?: FamilyStyles | undefined;
}

/**
 * EMI of each split against its quality (e.g. the answering model's accuracy), coloured and
 * marked by shift family, with Spearman ρ and Kendall τ_b (and their p-values) in the title:
 * EMI is meant to rank splits the way the quality does, so rank correlations are the test.
 */
export function emiVersusQuality(points: readonly QualityPoint[], options: QualityFigureOptions = {}): PlotlyFigure {
  requireCorrelatable(points.length, 'points');
  const emi = points.map((point, i) => requireFinite(point.emi, fieldOf('points', i, 'emi')));
  const quality = points.map((point, i) => requireFinite(point.quality, fieldOf('points', i, 'quality')));
  requireVarying(emi, 'emi');
  requireVarying(quality, 'quality');
  const label = options.qualityLabel ?? 'quality';
  const s = spearman(emi, quality);
  const k = kendallTauB(emi, quality);
  const { styles, families } = stylesFor(points, options.families);
  const traces: Data[] = styles.order(families).map((family) => {
    const members = points.map((_, i) => i).filter((i) => families[i] === family);
    return {
      type: 'scatter',
      mode: 'markers',
      name: `${styles.label(family)} (n = ${members.length})`,
      legendgroup: family,
      x: members.map((i) => emi[i]),
      y: members.map((i) => quality[i]),
      text: members.map((i) => points[i].split),
      hovertemplate: `%{text}<br>${styles.label(family)}<br>EMI = %{x:.4f} nats<br>${label} = %{y:.4f}<extra></extra>`,
      marker: markerOf(styles.style(family)),
    };
  });
  const heading: Heading = {
    title: options.title ?? `EMI vs. ${label}`,
    statistics: `Spearman ρ = ${formatCoefficient(s.rho)} (p = ${formatPValue(s.pValue)}), Kendall τ_b = ${formatCoefficient(k.tau)} (p = ${formatPValue(k.pValue)}), n = ${points.length}`,
    subtitle: options.subtitle,
  };
  const layout = baseLayout(heading, 'EMI = I(X; Ŷ) − I(X; Y) (nats)', options.qualityTitle ?? label);
  layout.height = 600;
  return figure(traces, layout);
}

/** One split of `emiVersusRp`: its EMI (nats) and the judge's relative preference. */
export interface EmiRpPoint {
  split: string;
  emi: number;
  /** Mean model score / mean reference score (`RelativePreference.rp`). */
  rp: number;
}

/** EMI against the LLM judge's relative preference, Spearman ρ and Kendall τ_b in the title. */
export function emiVersusRp(points: readonly EmiRpPoint[], options: { title?: string; subtitle?: string; families?: FamilyStyles } = {}): PlotlyFigure {
  return emiVersusQuality(
    points.map((point) => ({ split: point.split, emi: point.emi, quality: point.rp })),
    {
      qualityLabel: 'RP',
      qualityTitle: 'relative preference RP (model / reference score)',
      title: options.title ?? 'EMI vs. judge relative preference',
      subtitle: options.subtitle,
      families: options.families,
    },
  );
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
      line: { color: '#0072B2', width: 2 },
      marker: { symbol: 'circle', size: 6 },
      hovertemplate: 'epoch %{x}<br>training loss = %{y:.4f}<extra></extra>',
    },
  ];
  const held = history.map((record, i) => (record.validationLoss === undefined ? undefined : requireFinite(record.validationLoss, fieldOf('history', i, 'validationLoss'))));
  const layout = baseLayout(
    { title: options.title ?? 'CLUB training: loss per epoch', statistics: 'loss = Σ_d [(μ − y)²/σ² + log σ²], twice the Gaussian NLL without constants' },
    'epoch',
    'loss (nats)',
  );
  if (held.some((value) => value !== undefined)) {
    const rows = held.map((value, i) => ({ value, epoch: epochs[i] })).filter((row): row is { value: number; epoch: number } => row.value !== undefined);
    traces.push({
      type: 'scatter',
      mode: history.length > 60 ? 'lines' : 'lines+markers',
      name: 'held-out loss',
      x: rows.map((row) => row.epoch),
      y: rows.map((row) => row.value),
      line: { color: '#D55E00', width: 2, dash: 'dash' },
      marker: { symbol: 'square', size: 6 },
      hovertemplate: 'epoch %{x}<br>held-out loss = %{y:.4f}<extra></extra>',
    });
    const best = rows.reduce((a, b) => (b.value < a.value ? b : a));
    layout.annotations = [{ x: best.epoch, y: best.value, text: `lowest held-out loss (epoch ${best.epoch})`, showarrow: true, arrowhead: 2, ax: 0, ay: -40 }];
  }
  return figure(traces, layout);
}

// ---------------------------------------------------------------------------------------------
// Estimator validation

/** One sample of `estimatorValidation`: its known true MI and the estimator's value, in nats. */
export interface EstimatorPoint {
  trueMi: number;
  estimate: number;
  /**
   * What the estimator should give here when that is not the true MI — CLUB's population value,
   * an upper bound — drawn beside the estimate and used for the error in the title.
   */
  expected?: number;
  /** Text printed beside the point, e.g. the Gaussian pair's `ρ = 0.5`. */
  label?: string;
}

/**
 * Where each point's text label goes: above-left by default, and below-right when the point is
 * close to the previous one labelled above-left (neighbouring labels would print over each other).
 */
function labelPositions(x: readonly number[], y: readonly number[]): ('top left' | 'bottom right')[] {
  const spanX = Math.max(...x) - Math.min(...x) || 1;
  const spanY = Math.max(...y) - Math.min(...y) || 1;
  const order = x.map((_, i) => i).sort((a, b) => x[a] - x[b]);
  const positions: ('top left' | 'bottom right')[] = x.map(() => 'top left');
  let previous = -1;
  for (const i of order) {
    const near = previous >= 0 && Math.abs(x[i] - x[previous]) / spanX < 0.08 && Math.abs(y[i] - y[previous]) / spanY < 0.08;
    if (near && positions[previous] === 'top left') positions[i] = 'bottom right';
    previous = i;
  }
  return positions;
}

/**
 * Estimated MI against the known true MI (e.g. Gaussian pairs), with the y = x line. When the
 * points carry the value the estimator should reach (`expected`, e.g. CLUB's population value),
 * those are drawn too and the title's error is measured against them, since that is what the
 * estimator is checked against.
 */
export function estimatorValidation(
  points: readonly EstimatorPoint[],
  options: { title?: string; estimator?: string; expectedName?: string } = {},
): PlotlyFigure {
  requireNonEmpty(points.length, 'points');
  const truth = points.map((point, i) => requireFinite(point.trueMi, fieldOf('points', i, 'trueMi')));
  const estimates = points.map((point, i) => requireFinite(point.estimate, fieldOf('points', i, 'estimate')));
  const withExpected = points.some((point) => point.expected !== undefined);
  const expected = withExpected ? points.map((point, i) => requireFinite(point.expected ?? NaN, fieldOf('points', i, 'expected'))) : [];
  const lo = Math.min(...truth, ...estimates, ...expected);
  const hi = Math.max(...truth, ...estimates, ...expected);
  const reference = withExpected ? expected : truth;
  const meanAbsoluteError = reference.reduce((sum, value, i) => sum + Math.abs(estimates[i] - value), 0) / points.length;
  const estimator = options.estimator ?? 'CLUB';
  const expectedName = options.expectedName ?? `${estimator} population value`;
  const traces: Data[] = [
    {
      type: 'scatter',
      mode: 'lines',
      name: 'y = x (the true MI)',
      x: [lo, hi],
      y: [lo, hi],
      line: { color: '#888888', dash: 'dot', width: 1.5 },
      hoverinfo: 'skip',
    },
  ];
  if (withExpected) {
    traces.push({
      type: 'scatter',
      mode: 'lines+markers',
      name: expectedName,
      x: truth,
      y: expected,
      line: { color: '#E69F00', width: 1.5 },
      marker: markerOf({ colour: '#E69F00', symbol: 'diamond-open' }),
      hovertemplate: `true MI = %{x:.4f} nats<br>${expectedName} = %{y:.4f} nats<extra></extra>`,
    });
  }
  traces.push({
    type: 'scatter',
    mode: points.some((point) => point.label) ? 'text+markers' : 'markers',
    name: `${estimator} estimate`,
    x: truth,
    y: estimates,
    text: points.map((point) => point.label ?? ''),
    textposition: labelPositions(truth, estimates),
    marker: markerOf({ colour: '#0072B2', symbol: 'circle' }),
    hovertemplate: 'true MI = %{x:.4f} nats<br>estimate = %{y:.4f} nats<extra>%{text}</extra>',
  });
  const heading: Heading = {
    title: options.title ?? `${estimator} estimate vs. true mutual information`,
    statistics: `mean |estimate − ${withExpected ? expectedName : 'true MI'}| = ${formatValue(meanAbsoluteError, 4)} nats, n = ${points.length}`,
  };
  return figure(traces, baseLayout(heading, 'true mutual information (nats)', `${estimator} estimate (nats)`));
}

// ---------------------------------------------------------------------------------------------
// What the bound adds over drift baselines: how each tracks EMID across splits

/** One quantity of `emidTracking`: its Spearman ρ with EMID across the OOD splits, with a bootstrap interval. */
export interface TrackingCorrelation {
  /** e.g. `the bound (EMID_UB)`, `jsd_t (questions)`, `MMD² (questions)`. */
  name: string;
  /** `bound` (the bound and its terms), `MMD²`, `domain AUC` or `mean cosine distance`. */
  group: string;
  /** Spearman's ρ with EMID; NaN when the quantity is constant across the splits (jsd_py always is: it is the ID split's own). */
  rho: number;
  pValue: number;
  /** Percentile bootstrap interval (OOD splits resampled); absent with NaN ρ. */
  interval?: [number, number];
}

/** How `emidTrackingCorrelations` resamples the splits for its intervals. */
export interface TrackingOptions {
  /** Resamples of the OOD splits (default 1000). */
  resamples?: number | undefined;
  /** Interval coverage (default 0.95). */
  confidence?: number | undefined;
  /** Seed of the resampling (default 0). */
  seed?: number | undefined;
}

const TRACKING_GROUPS: readonly { group: string; colour: string; symbol: string }[] = [
  { group: 'bound', colour: '#000000', symbol: 'diamond' },
  { group: 'MMD²', colour: '#0072B2', symbol: 'circle' },
  { group: 'domain AUC', colour: '#E69F00', symbol: 'square' },
  { group: 'mean cosine distance', colour: '#009E73', symbol: 'triangle-up' },
];

/**
 * Spearman's ρ with EMID across the OOD splits of the bound, each of its RJSD terms and each
 * drift baseline per modality, with percentile bootstrap intervals resampling the splits.
 * Needs a result with drift baselines on every comparison (`sweep --baselines`) and 3+ OOD
 * splits; throws InputError otherwise.
 */
export function emidTrackingCorrelations(result: SweepResult, options: TrackingOptions = {}): TrackingCorrelation[] {
  requireCorrelatable(result.comparisons.length, 'comparisons');
  if (!result.comparisons.every((comparison) => comparison.baselines)) {
    throw new InputError('the result has no drift baselines (compute them with sweep --baselines)', { field: 'baselines' });
  }
  const emids = result.comparisons.map((comparison) => comparison.emid);
  requireVarying(emids, 'EMID');
  const series: { name: string; group: string; values: number[] }[] = [
    { name: 'the bound (EMID_UB)', group: 'bound', values: result.comparisons.map((c) => c.emidUpperBound) },
  ];
  if (result.comparisons.every((c) => c.terms)) {
    const hasImages = result.comparisons.every((c) => c.baselines!.image);
    const terms: [keyof BoundTerms, string][] = [
      ...(hasImages ? ([['jsdV', 'jsd_v (images)']] as [keyof BoundTerms, string][]) : []),
      ['jsdT', 'jsd_t (questions)'],
      ['jsdPy', 'jsd_py (ID answers)'],
      ['jsdQy', 'jsd_qy (OOD answers)'],
    ];
    for (const [term, name] of terms) series.push({ name, group: 'bound', values: result.comparisons.map((c) => c.terms![term]) });
  }
  const modalities = [
    ['image', 'images'],
    ['question', 'questions'],
    ['answer', 'answers'],
  ] as const;
  const statistics = [
    ['mmd2', 'MMD²', 'MMD²'],
    ['classifierAuc', 'domain AUC', 'domain AUC'],
    ['meanCosineDistance', 'mean cosine distance', 'mean cos. dist.'],
  ] as const;
  for (const [statistic, group, short] of statistics) {
    for (const [modality, label] of modalities) {
      if (!result.comparisons.every((c) => c.baselines![modality])) continue;
      series.push({ name: `${short} (${label})`, group, values: result.comparisons.map((c) => c.baselines![modality]![statistic]) });
    }
  }
  const bootstrap = { resamples: options.resamples ?? 1000, confidence: options.confidence ?? 0.95, seed: options.seed ?? 0, method: 'percentile' as const };
  return series.map(({ name, group, values }) => {
    if (values.every((value) => value === values[0])) return { name, group, rho: NaN, pValue: NaN };
    const { rho, pValue } = spearman(emids, values);
    const interval = bootstrapCorrelation(emids, values, 'spearman', bootstrap);
    return { name, group, rho, pValue, ...(Number.isFinite(interval.lower) && Number.isFinite(interval.upper) ? { interval: [interval.lower, interval.upper] as [number, number] } : {}) };
  });
}

/**
 * What the bound adds over standard drift statistics: one row per quantity (the bound, its
 * RJSD terms, and MMD², the domain classifier's AUC and the mean cosine distance per modality),
 * a dot at its Spearman ρ with EMID across the OOD splits and a bar for its bootstrap interval,
 * grouped by colour and marker. Quantities constant across splits (jsd_py) are named in the
 * subtitle instead of drawn. Takes the typed result (see emidTrackingCorrelations).
 */
export function emidTracking(result: SweepResult, options: TrackingOptions & { title?: string; subtitle?: string } = {}): PlotlyFigure {
  const rows = emidTrackingCorrelations(result, options);
  const drawn = rows.filter((row) => Number.isFinite(row.rho));
  const constant = rows.filter((row) => !Number.isFinite(row.rho)).map((row) => row.name);
  const traces: Data[] = TRACKING_GROUPS.flatMap(({ group, colour, symbol }) => {
    const members = drawn.filter((row) => row.group === group);
    if (members.length === 0) return [];
    const trace: Data = {
      type: 'scatter',
      mode: 'markers',
      name: group === 'bound' ? 'the bound and its terms' : group,
      y: members.map((row) => row.name),
      x: members.map((row) => row.rho),
      customdata: members.map((row) => [formatPValue(row.pValue), row.interval ? `[${formatCoefficient(row.interval[0])}, ${formatCoefficient(row.interval[1])}]` : 'n/a']),
      hovertemplate: '%{y}<br>Spearman ρ with EMID = %{x:.3f}<br>p = %{customdata[0]}<br>interval %{customdata[1]}<extra></extra>',
      marker: { color: colour, symbol, size: 11, opacity: 0.9, line: { color: 'rgba(0, 0, 0, 0.6)', width: 0.8 } },
      error_x: {
        type: 'data',
        symmetric: false,
        array: members.map((row) => (row.interval ? Math.max(0, row.interval[1] - row.rho) : 0)),
        arrayminus: members.map((row) => (row.interval ? Math.max(0, row.rho - row.interval[0]) : 0)),
        color: withAlpha(colour === '#000000' ? '#555555' : colour, 0.7),
        thickness: 1.5,
        width: 4,
        visible: true,
      },
    } as Data;
    return [trace];
  });
  const confidence = Math.round((options.confidence ?? 0.95) * 100);
  const heading: Heading = {
    title: options.title ?? 'How the bound and drift baselines track EMID across splits',
    statistics: `Spearman ρ with EMID over ${result.comparisons.length} OOD splits<br>bars: ${confidence}% percentile bootstrap intervals, ${options.resamples ?? 1000} resamples of the splits, seed ${options.seed ?? 0}`,
    subtitle: [options.subtitle ?? describeResults(result), constant.length ? `constant across splits, not drawn: ${constant.join(', ')}` : ''].filter(Boolean).join('; '),
  };
  const layout = baseLayout(heading, "Spearman's ρ with EMID (−1 … 1)", 'quantity');
  layout.xaxis = { ...layout.xaxis, range: [-1.05, 1.05], zeroline: true, zerolinecolor: '#888888', zerolinewidth: 1 };
  layout.yaxis = { ...layout.yaxis, type: 'category', autorange: 'reversed', tickfont: { size: 11 } };
  layout.height = Math.max(380, 26 * drawn.length + 220);
  layout.hovermode = 'closest';
  return figure(traces, layout);
}

// ---------------------------------------------------------------------------------------------
// Everything a result supports

/** The checks every figure set and report of a result needs: 3+ OOD splits, EMID and the bound not constant. */
export function requireCorrelatableResult(result: SweepResult): void {
  requireCorrelatable(result.comparisons.length, 'EMID');
  requireVarying(result.comparisons.map((comparison) => comparison.emid), 'EMID');
  requireVarying(result.comparisons.map((comparison) => comparison.emidUpperBound), 'EMID_UB');
}

/**
 * Single-axis shifts (only the image, or only the question, is changed) with a numeric
 * severity, from each split's shift (see splitShift).
 */
export function severityPointsOf(result: SweepResult): SeverityPoint[] {
  const points: SeverityPoint[] = [];
  for (const comparison of result.comparisons) {
    const shift = splitShift(result, comparison.target);
    if ((shift.modality !== 'image' && shift.modality !== 'text' && shift.modality !== 'answer') || shift.severity === null) continue;
    const point: SeverityPoint = { family: shift.family, severity: shift.severity, emid: comparison.emid, bound: comparison.emidUpperBound };
    if (shift.unit) point.unit = shift.unit;
    if (comparison.intervals) {
      point.emidInterval = comparison.intervals.emid;
      point.boundInterval = comparison.intervals.emidUpperBound;
    }
    points.push(point);
  }
  return points;
}

/** "llava-v1.5-13b, SYNTHETIC shifts, ID split llava_bench_coco, 34 OOD splits" from whatever the result names. */
export function describeResults(result: SweepResult): string {
  return [result.model, result.shiftType ? `${result.shiftType} shifts` : undefined, `ID split ${result.idSplit}`, `${result.comparisons.length} OOD splits`]
    .filter(Boolean)
    .join(', ');
}

/** Colours, markers and labels for every family of a result, shared by all its figures. */
export function familyStylesOf(result: SweepResult): FamilyStyles {
  return FamilyStyles.fromShifts([result.idSplit, ...result.comparisons.map((comparison) => comparison.target)].map((split) => splitShift(result, split)));
}

/** The points of the EMI-vs-quality figure: every split with both EMI and a quality value. */
export function qualityPointsOf(result: SweepResult): QualityPoint[] {
  if (!result.quality) return [];
  const values = result.quality.values;
  return Object.keys(result.emi)
    .filter((split) => split in values)
    .map((split) => ({ split, emi: result.emi[split].emi, quality: values[split], family: splitShift(result, split).family }));
}

/** α of the significance marks in figures and the report. */
export const SIGNIFICANCE_LEVEL = 0.05;

/** What a result's scatter marks as significant: EMID's q-value when every split has one (a sweep), else its p-value. */
function significanceOf(result: SweepResult): Pick<EmidBoundScatterOptions, 'significanceLabel' | 'alpha'> {
  if (!result.comparisons.some((comparison) => comparison.pValues)) return {};
  const adjusted = result.comparisons.every((comparison) => comparison.pValues?.emidQValue !== undefined);
  return { significanceLabel: adjusted ? 'EMID q (Benjamini–Hochberg)' : 'EMID p', alpha: SIGNIFICANCE_LEVEL };
}

/**
 * The figures a result supports: always EMID vs. the bound; EMI vs. the per-split quality when
 * the result holds one (accuracy, RP); severity curves when single-axis shifts come at two or
 * more severities; the bound's decomposition when the RJSD terms are known (not in the reference
 * format); how the bound, its terms and the drift baselines track EMID when the result has
 * baselines (`sweep --baselines`). A results file is read with `readResults` or `fromResultsJson` first. Throws
 * InputError with fewer than 3 OOD splits or a constant EMID or bound, rather than returning an
 * empty or partial set.
 */
export function figuresFromResults(result: SweepResult): NamedFigure[] {
  requireCorrelatableResult(result);
  const subtitle = describeResults(result);
  const families = familyStylesOf(result);
  const figures: NamedFigure[] = [
    {
      id: 'emid-vs-bound',
      title: 'EMID vs. its upper bound',
      figure: emidBoundScatter(
        result.comparisons.map((comparison) => ({
          split: comparison.target,
          emid: comparison.emid,
          bound: comparison.emidUpperBound,
          family: splitShift(result, comparison.target).family,
          ...(comparison.intervals ? { emidInterval: comparison.intervals.emid, boundInterval: comparison.intervals.emidUpperBound } : {}),
          ...(comparison.pValues ? { significance: comparison.pValues.emidQValue ?? comparison.pValues.emid } : {}),
        })),
        { subtitle, families, ...significanceOf(result) },
      ),
    },
  ];
  const quality = result.quality;
  const qualityPoints = qualityPointsOf(result);
  if (quality && qualityPoints.length >= 3 && new Set(qualityPoints.map((point) => point.quality)).size > 1 && new Set(qualityPoints.map((point) => point.emi)).size > 1) {
    figures.push({
      id: 'emi-vs-quality',
      title: `EMI vs. ${quality.label}`,
      figure: emiVersusQuality(qualityPoints, {
        qualityLabel: quality.label,
        qualityTitle: `${quality.label} (${quality.higherIsBetter ? 'higher is better' : 'lower is better'})`,
        subtitle: result.idSplit in quality.values ? `${subtitle}; ID split included` : subtitle,
        families,
      }),
    });
  }
  const severity = severityPointsOf(result);
  const severitiesPerFamily = new Map<string, Set<number>>();
  for (const point of severity) severitiesPerFamily.set(point.family, (severitiesPerFamily.get(point.family) ?? new Set()).add(point.severity));
  const curves = severity.filter((point) => (severitiesPerFamily.get(point.family)?.size ?? 0) >= 2);
  if (curves.length > 0) {
    figures.push({
      id: 'bound-vs-severity',
      title: 'EMID and the bound by shift severity (single-axis shifts, one row per family)',
      figure: boundSeverityCurves(curves, { subtitle, families }),
    });
  }
  if (result.comparisons.every((comparison) => comparison.terms)) {
    figures.push({
      id: 'bound-decomposition',
      title: 'Decomposition of the upper bound',
      figure: boundDecomposition(
        result.comparisons.map((comparison) => ({ split: comparison.target, ...comparison.terms! })),
        { subtitle },
      ),
    });
  }
  if (result.comparisons.every((comparison) => comparison.baselines)) {
    figures.push({ id: 'emid-tracking', title: 'What the bound adds over drift baselines', figure: emidTracking(result, { subtitle }) });
  }
  return figures;
}

// ---------------------------------------------------------------------------------------------
// Monitoring over time

/** The title and subtitle of `monitorTimeSeries`. */
export interface MonitorFigureOptions {
  /** Default "EMID and its upper bound over the stream". */
  title?: string | undefined;
  /** A line of context under the title, e.g. the model and the stream. */
  subtitle?: string | undefined;
}

/**
 * One point per window of a monitoring run (x = the stream row the window ends at): EMID against
 * the reference on the left axis, the scale-adjusted EMID upper bound on the right one, and the
 * windows whose alert is true marked with a red cross on the EMID line. The title says how many
 * windows alerted and under which rule; without permutations it says there are no alerts.
 */
export function monitorTimeSeries(result: MonitorResult, options: MonitorFigureOptions = {}): PlotlyFigure {
  const windows = result.windows;
  requireNonEmpty(windows.length, 'windows');
  const ends = windows.map((window) => window.end);
  const emids = windows.map((window, i) => requireFinite(window.emid, fieldOf('windows', i, 'emid')));
  const bounds = windows.map((window, i) => requireFinite(window.emidUpperBound, fieldOf('windows', i, 'emidUpperBound')));
  const labels = windows.map((window) => `window ${window.index}: rows ${window.start}–${window.end - 1}${window.adjustedPValue !== undefined ? `<br>adjusted p = ${formatPValue(window.adjustedPValue)}` : ''}`);
  const alerts = windows.map((window, i) => i).filter((i) => windows[i].alert === true);
  const traces: Data[] = [
    {
      type: 'scatter',
      mode: 'lines+markers',
      name: 'EMID = EMI(reference) − EMI(window)',
      x: ends,
      y: emids,
      text: labels,
      hovertemplate: '%{text}<br>EMID = %{y:.4f} nats<extra></extra>',
      line: { color: '#0072B2', width: 2 },
      marker: { color: '#0072B2', size: 7 },
    },
    {
      type: 'scatter',
      mode: 'lines+markers',
      name: 'EMID upper bound (scale-adjusted, right axis)',
      x: ends,
      y: bounds,
      yaxis: 'y2',
      text: labels,
      hovertemplate: '%{text}<br>EMID upper bound = %{y:.4f}<extra></extra>',
      line: { color: '#E69F00', width: 1.5, dash: 'dot' },
      marker: { color: '#E69F00', size: 6, symbol: 'diamond' },
    },
  ];
  const tested = result.settings.permutations !== null;
  if (tested) {
    traces.push({
      type: 'scatter',
      mode: 'markers',
      name: `alert (adjusted p < α = ${result.settings.alpha})`,
      x: alerts.map((i) => ends[i]),
      y: alerts.map((i) => emids[i]),
      text: alerts.map((i) => labels[i]),
      hovertemplate: '%{text}<br>alert<extra></extra>',
      marker: { color: '#D55E00', size: 14, symbol: 'x', line: { color: '#000000', width: 1 } },
    });
  }
  const rule = result.settings.adjust === 'bonferroni' ? 'Bonferroni' : 'Benjamini–Hochberg (Simes)';
  const heading: Heading = {
    title: options.title ?? 'EMID and its upper bound over the stream',
    statistics: tested
      ? `${alerts.length} of ${windows.length} windows alert (${rule} over ${result.settings.statistics.join(', ')}; ${result.settings.permutations} permutations, α = ${result.settings.alpha})`
      : `${windows.length} windows; no alerts without permutations`,
    subtitle: options.subtitle ?? `windows of ${result.settings.window} rows every ${result.settings.step} rows against a reference of ${result.reference.rows} rows`,
  };
  const layout = baseLayout(heading, 'stream row at the end of the window', 'EMID (nats)');
  layout.yaxis = { ...layout.yaxis, zeroline: true, zerolinecolor: '#888888' };
  layout.yaxis2 = { title: { text: 'EMID upper bound (scale-adjusted)' }, overlaying: 'y', side: 'right', zeroline: false, automargin: true, showgrid: false };
  layout.hovermode = 'x unified';
  return figure(traces, layout);
}
