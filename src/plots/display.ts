/**
 * Showing figures and tables in a tslab (TypeScript Jupyter) notebook.
 *
 * A figure goes out as ONE display_data message whose bundle holds three representations, and
 * the front end picks the richest it can render:
 * - `application/vnd.plotly.v1+json` — the figure JSON; JupyterLab (with the plotly renderer)
 *   and VS Code draw it interactively without any script in the output;
 * - `text/html` — a div plus a script calling `Plotly.newPlot`, for front ends without that
 *   renderer (classic Notebook, nbconvert HTML). plotly.js from the `plotly.js-dist-min`
 *   package is inlined into the first such bundle of a notebook process only (≈4.8 MB), and
 *   later bundles use the `window.Plotly` it defined — never a CDN, so it works offline;
 * - `text/plain` — a summary (title, axes, traces) for consoles and text-only viewers.
 *
 * tslab's public `display` object only sends one MIME type per message (`display.raw(type,
 * data)`); the call underneath it, `lastWriteDisplayData({ data, metadata, transient }, update)`
 * exported by tslab's `dist/jupyter.js` and set for the cell being executed, sends a complete
 * display_data message with any number of MIME types. `show` finds that module in the process's
 * module cache (a library cannot `require('tslab')`: only notebook cells get that name mapped)
 * and, outside tslab, prints the text summary instead.
 */
import { randomBytes } from 'node:crypto';
import { InputError } from '../errors';
import type { NamedFigure, PlotlyFigure } from './figures';
import { plotlyScriptElement, scriptJson } from './plotlyJs';
import { htmlTable, tableFrom, textTable, type TableFormatOptions, type TableInput } from './table';

/** The MIME type of Plotly figure JSON in a Jupyter display bundle. */
export const PLOTLY_MIME = 'application/vnd.plotly.v1+json';

export interface FigureBundle {
  [PLOTLY_MIME]: PlotlyFigure;
  'text/html': string;
  'text/plain': string;
}

export interface TableBundle {
  'text/html': string;
  'text/plain': string;
}

/** Per notebook process: whether plotly.js has gone out in a bundle, and ids for figure divs. */
export interface DisplayState {
  plotlyEmbedded: boolean;
  /** Distinguishes this process's divs from those of earlier kernels in the same saved page. */
  idPrefix: string;
  count: number;
}

/** A fresh display state: plotly.js not yet sent, figure ids under a new (random) prefix. */
export function createDisplayState(options: { idPrefix?: string } = {}): DisplayState {
  return { plotlyEmbedded: false, idPrefix: options.idPrefix ?? `emishift-${randomBytes(4).toString('hex')}`, count: 0 };
}

const processState = createDisplayState();

/** The state `show` uses: one per process, as a notebook page has one kernel process. */
export function defaultDisplayState(): DisplayState {
  return processState;
}

function stripMarkup(text: string): string {
  return text.replace(/<br\s*\/?>/gi, ' — ').replace(/<[^>]+>/g, '').replace(/\s+/g, ' ').trim();
}

function axisTitle(axis: unknown): string | undefined {
  const title = (axis as { title?: { text?: unknown } | string } | undefined)?.title;
  if (typeof title === 'string') return title;
  return typeof title?.text === 'string' ? title.text : undefined;
}

function pointCount(trace: Record<string, unknown>): number {
  const values = trace.y ?? trace.x ?? trace.values;
  return Array.isArray(values) ? values.length : 0;
}

/** A text description of a figure: what a reader without a renderer still gets. */
export function figureSummary(figure: PlotlyFigure): string {
  const title = axisTitle(figure.layout) ?? 'untitled figure';
  const subtitle = (figure.layout.title as { subtitle?: { text?: unknown } } | undefined)?.subtitle?.text;
  const x = axisTitle(figure.layout.xaxis);
  const y = axisTitle(figure.layout.yaxis);
  const lines = [`Plotly figure: ${stripMarkup(title)}`];
  if (typeof subtitle === 'string' && subtitle !== '') lines.push(`  ${stripMarkup(subtitle)}`);
  if (x || y) lines.push(`  x: ${x ? stripMarkup(x) : '—'}; y: ${y ? stripMarkup(y) : '—'}`);
  const traces = figure.data.filter((trace) => (trace as { showlegend?: boolean }).showlegend !== false);
  for (const trace of traces) {
    const record = trace as Record<string, unknown>;
    lines.push(`  - ${String(record.name ?? record.type ?? 'trace')} (${String(record.type ?? 'scatter')}, ${pointCount(record)} points)`);
  }
  return lines.join('\n');
}

function asFigure(input: PlotlyFigure | NamedFigure): PlotlyFigure {
  const candidate = (input as NamedFigure).figure ?? input;
  if (typeof candidate !== 'object' || candidate === null || !Array.isArray((candidate as PlotlyFigure).data) || typeof (candidate as PlotlyFigure).layout !== 'object') {
    throw new InputError('expected a Plotly figure { data: [...], layout: {...} }', { field: 'figure' });
  }
  return candidate as PlotlyFigure;
}

/** A figure's HTML: a sized div and the script drawing it (waiting briefly for plotly.js). */
export function figureHtml(figure: PlotlyFigure, id: string, options: { embedPlotly: boolean }): string {
  const width = typeof figure.layout.width === 'number' ? `${figure.layout.width}px` : '100%';
  const height = typeof figure.layout.height === 'number' ? `${figure.layout.height}px` : '480px';
  const library = options.embedPlotly ? `${plotlyScriptElement()}\n` : '';
  // The first figure's output loads plotly.js; a later output whose page lacks it (a reloaded
  // page, or the first output cleared) says so instead of failing silently.
  return `<div id="${id}" class="emishift-figure" style="width:${width};max-width:100%;height:${height};"></div>
${library}<script type="text/javascript">
(function () {
  var figure = ${scriptJson({ data: figure.data, layout: figure.layout, config: figure.config ?? {} })};
  function draw(attempt) {
    var element = document.getElementById(${JSON.stringify(id)});
    if (!element) return;
    if (window.Plotly) { window.Plotly.newPlot(element, figure.data, figure.layout, figure.config); return; }
    if (attempt < 100) { setTimeout(function () { draw(attempt + 1); }, 100); return; }
    element.textContent = 'plotly.js is not loaded in this page: re-run the cell that showed the first figure of this kernel, or call show(figure, { embedPlotly: true }).';
  }
  draw(0);
})();
</script>`;
}

/**
 * The MIME bundle for a figure. Inlines plotly.js into the HTML only when `state` has not
 * embedded it yet (or `embedPlotly` forces it), then records that it has.
 */
export function displayBundle(input: PlotlyFigure | NamedFigure, state: DisplayState, options: { embedPlotly?: boolean } = {}): FigureBundle {
  const figure = asFigure(input);
  // A JSON round-trip gives the front end exactly what it will receive (no undefined, no
  // typed arrays) and detaches the bundle from later edits to the figure object.
  const json = JSON.parse(JSON.stringify({ data: figure.data, layout: figure.layout, config: figure.config ?? {} })) as PlotlyFigure;
  const embed = options.embedPlotly ?? !state.plotlyEmbedded;
  state.count += 1;
  const id = `${state.idPrefix}-${state.count}`;
  const html = figureHtml(json, id, { embedPlotly: embed });
  if (embed) state.plotlyEmbedded = true;
  return { [PLOTLY_MIME]: json, 'text/html': html, 'text/plain': figureSummary(json) };
}

/** The MIME bundle for a table: HTML and aligned text, one number format per column. */
export function tableBundle(input: TableInput | unknown, options: TableFormatOptions = {}): TableBundle {
  const table = tableFrom(input);
  return { 'text/html': htmlTable(table, options), 'text/plain': textTable(table, options) };
}

/** Sends one display_data message holding every representation in `bundle`. */
export type DisplaySender = (bundle: Record<string, unknown>) => void;

type WriteDisplayData = (content: { data: Record<string, unknown>; metadata: Record<string, unknown>; transient: Record<string, unknown> }, update: boolean) => void;

/** tslab's kernel-side module, when this process is a tslab kernel. */
function tslabJupyterModule(): { lastWriteDisplayData?: unknown } | undefined {
  for (const [file, loaded] of Object.entries(require.cache)) {
    if (loaded && /[\\/]tslab[\\/]dist[\\/]jupyter\.js$/.test(file)) return loaded.exports as { lastWriteDisplayData?: unknown };
  }
  return undefined;
}

/**
 * A sender writing to the cell being executed, or undefined outside a tslab kernel (plain
 * Node, tests, scripts). Looked up on every call: tslab points the writer at each new cell.
 */
export function tslabSender(): DisplaySender | undefined {
  const write = tslabJupyterModule()?.lastWriteDisplayData;
  if (typeof write !== 'function') return undefined;
  return (bundle) => (write as WriteDisplayData)({ data: bundle, metadata: {}, transient: {} }, false);
}

/** Where `show` sends a figure's display bundle, and whether plotly.js goes with it. */
export interface ShowOptions {
  /** Whether plotly.js was sent already, and the figure ids (default: this process's `defaultDisplayState()`). */
  state?: DisplayState | undefined;
  /** Where the bundle goes (default: the tslab cell, else the text summary on stdout). */
  send?: DisplaySender | undefined;
  /** Inline plotly.js again (e.g. after the output that carried it was cleared). */
  embedPlotly?: boolean | undefined;
}

function printText(bundle: Record<string, unknown>): void {
  process.stdout.write(`${String(bundle['text/plain'])}\n`);
}

/** Displays a figure in the current tslab cell; outside tslab, prints its text summary. */
export function show(input: PlotlyFigure | NamedFigure, options?: ShowOptions): void {
  // `figures.forEach(show)` passes an index as the second argument.
  const settings: ShowOptions = typeof options === 'object' && options !== null ? options : {};
  const send = settings.send ?? tslabSender();
  if (!send) {
    printText({ 'text/plain': figureSummary(asFigure(input)) });
    return;
  }
  const bundle = displayBundle(input, settings.state ?? processState, { embedPlotly: settings.embedPlotly });
  send({ ...bundle });
}

/** Displays rows (objects) or a DataFrame-like `{ columns, values }` as an HTML table. */
export function showTable(input: TableInput | unknown, options: TableFormatOptions & { send?: DisplaySender } = {}): void {
  const bundle = tableBundle(input, options);
  const send = options.send ?? tslabSender() ?? printText;
  send({ ...bundle });
}
