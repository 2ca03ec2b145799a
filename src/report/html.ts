/**
 * The report: one self-contained HTML file — plotly.js inlined, data inlined, no request to any
 * server (a Content-Security-Policy forbids them outright) — that opens from disk, offline,
 * and shows the figures, the correlation summary, per-family means and the per-split table.
 */
import { InputError } from '../errors';
import { describeResults, figuresFromNormalized, type NamedFigure } from '../plots/figures';
import { escapeHtml, formatCoefficient, formatPValue } from '../plots/format';
import { plotlyScriptElement, scriptJson } from '../plots/plotlyJs';
import { normalizeResults, type NormalizedResults } from '../plots/results';
import { htmlTable, type Cell, type Table } from '../plots/table';
import { summarizeNormalized, type ResultsSummary } from './summary';

export interface ReportOptions {
  /** Heading of the page (default: "emishift report" with the model and benchmark). */
  title?: string;
  /** Where the results came from, shown under the heading (e.g. the file path). */
  source?: string;
  /** Timestamp shown in the page (default: now); fixed values make the output reproducible. */
  generatedAt?: string;
}

// 'unsafe-inline' is what an inlined library needs; everything else is closed, so the page can
// neither fetch nor leak anything even if a figure string asked it to.
const CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data: blob:; font-src data:";

const STYLE = `
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; margin: 2rem auto; max-width: 1200px; padding: 0 1rem; color: #222; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.25rem; margin-top: 2.2rem; border-bottom: 1px solid #ddd; padding-bottom: 0.2rem; }
h3 { font-size: 1.05rem; margin-top: 1.6rem; }
p.meta { color: #555; margin-top: 0; }
.note { color: #555; font-size: 0.92rem; max-width: 60rem; }
table.emishift-table { border-collapse: collapse; font-size: 0.88rem; margin: 0.6rem 0; }
table.emishift-table th, table.emishift-table td { border-bottom: 1px solid #e3e3e3; padding: 0.25rem 0.6rem; text-align: left; }
table.emishift-table th { background: #f3f3f6; position: sticky; top: 0; }
table.emishift-table td.num, table.emishift-table th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.emishift-table caption { caption-side: top; text-align: left; color: #555; padding-bottom: 0.3rem; }
.emishift-figure { margin: 0.5rem 0 1rem 0; }
.figure-scroll { overflow-x: auto; }
`;

function correlationTable(summary: ResultsSummary): Table {
  const rows: Cell[][] = [
    ['Pearson r', formatCoefficient(summary.pearson.r), formatPValue(summary.pearson.p), summary.splits],
    ['Spearman ρ', formatCoefficient(summary.spearman.rho), formatPValue(summary.spearman.p), summary.splits],
    [`Kendall τ_b (${summary.kendall.method} p)`, formatCoefficient(summary.kendall.tau), formatPValue(summary.kendall.p), summary.splits],
  ];
  if (summary.reported?.pearsonR !== undefined) {
    rows.push([
      'Pearson r as reported in the file',
      formatCoefficient(summary.reported.pearsonR),
      summary.reported.pearsonPval !== undefined ? formatPValue(summary.reported.pearsonPval) : '',
      '',
    ]);
  }
  return { columns: ['statistic (EMID vs. upper bound)', 'coefficient', 'p-value', 'OOD splits'], rows };
}

function familyTable(summary: ResultsSummary): Table {
  const withEmi = summary.perFamily.every((family) => family.meanEmi !== undefined);
  return {
    columns: ['shift family', 'OOD splits', 'mean EMID (nats)', 'mean upper bound (nats)', ...(withEmi ? ['mean EMI (nats)'] : [])],
    rows: summary.perFamily.map((family) => [family.family, family.n, family.meanEmid, family.meanBound, ...(withEmi ? [family.meanEmi] : [])]),
  };
}

function splitTable(results: NormalizedResults): Table {
  const withEmi = results.splits.every((entry) => entry.emi !== undefined);
  const withTerms = results.splits.every((entry) => entry.terms !== undefined);
  const withEmidCi = results.splits.some((entry) => entry.emidInterval);
  const withBoundCi = results.splits.some((entry) => entry.boundInterval);
  const interval = (value?: [number, number]) => (value ? `[${value[0].toFixed(4)}, ${value[1].toFixed(4)}]` : '');
  return {
    columns: [
      'OOD split',
      'family',
      ...(withEmi ? ['EMI (nats)'] : []),
      'EMID (nats)',
      ...(withEmidCi ? ['EMID interval'] : []),
      'upper bound (nats)',
      ...(withBoundCi ? ['bound interval'] : []),
      ...(withTerms ? ['jsd_v', 'jsd_t', 'jsd_py', 'jsd_qy'] : []),
    ],
    rows: results.splits.map((entry) => [
      entry.split,
      entry.family,
      ...(withEmi ? [entry.emi] : []),
      entry.emid,
      ...(withEmidCi ? [interval(entry.emidInterval)] : []),
      entry.bound,
      ...(withBoundCi ? [interval(entry.boundInterval)] : []),
      ...(withTerms ? [entry.terms!.jsdV, entry.terms!.jsdT, entry.terms!.jsdPy, entry.terms!.jsdQy] : []),
    ]),
  };
}

function figureSection(named: NamedFigure): string {
  const id = `figure-${named.id}`;
  const { layout } = named.figure;
  const width = typeof layout.width === 'number' ? `${layout.width}px` : '100%';
  const height = typeof layout.height === 'number' ? `${layout.height}px` : '520px';
  const spec = scriptJson({ data: named.figure.data, layout, config: named.figure.config ?? {} });
  return `<h3>${escapeHtml(named.title)}</h3>
<div class="figure-scroll"><div id="${id}" class="emishift-figure" data-figure="${escapeHtml(named.id)}" style="width:${width};height:${height};"></div></div>
<script type="text/javascript">
(function () {
  var figure = ${spec};
  var element = document.getElementById(${JSON.stringify(id)});
  if (!window.Plotly) { element.textContent = 'plotly.js failed to load, so this figure cannot be drawn; the tables below hold the same numbers.'; return; }
  window.Plotly.newPlot(element, figure.data, figure.layout, figure.config);
})();
</script>`;
}

/**
 * One self-contained HTML page for a results object (reference format, sweep output, or a
 * SweepResult). Throws InputError when the results cannot be plotted (see normalizeResults).
 */
export function buildReport(results: unknown, options: ReportOptions = {}): string {
  const normalized = normalizeResults(results);
  return buildReportFromNormalized(normalized, options);
}

export function buildReportFromNormalized(normalized: NormalizedResults, options: ReportOptions = {}): string {
  if (normalized.splits.length === 0) throw new InputError('no OOD splits to report', { field: 'EMID' });
  const summary = summarizeNormalized(normalized);
  const figures = figuresFromNormalized(normalized);
  const description = describeResults(normalized);
  const title = options.title ?? `emishift report${normalized.model ? `: ${normalized.model}` : ''}${normalized.shiftType ? ` (${normalized.shiftType})` : ''}`;
  const generated = options.generatedAt ?? new Date().toISOString();
  const idEmi = normalized.idSplit !== undefined ? normalized.emi[normalized.idSplit] : undefined;
  const meta = [
    options.source ? `results: ${escapeHtml(options.source)}` : undefined,
    `format: ${normalized.format === 'reference' ? 'reference implementation' : 'emishift sweep'}`,
    escapeHtml(description),
    `generated ${escapeHtml(generated)}`,
  ]
    .filter(Boolean)
    .join(' · ');
  const summaryJson = scriptJson(summary);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
${plotlyScriptElement()}
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="meta">${meta}</p>
<p class="note">EMI(P) = I(X; Ŷ) − I(X; Y): how much more the model's answers tell about the query than the reference answers do.
EMID = EMI(ID) − EMI(OOD) for each OOD split; positive EMID means the model lost relevance under the shift.
The upper bound (scale-adjusted) is √jsd_v + √jsd_t + jsd_py^¼ + jsd_qy^¼ from representation Jensen–Shannon divergences.
Values are in nats.${idEmi !== undefined ? ` EMI of the ID split ${escapeHtml(normalized.idSplit!)}: ${idEmi.toFixed(4)} nats.` : ''}</p>

<h2>Does the bound track EMID?</h2>
${htmlTable(correlationTable(summary))}

<h2>Figures</h2>
${figures.map(figureSection).join('\n')}

<h2>Per shift family</h2>
${htmlTable(familyTable(summary))}

<h2>Per OOD split</h2>
${htmlTable(splitTable(normalized), { maxRows: 10_000 })}

<script type="application/json" id="emishift-summary">${summaryJson}</script>
</body>
</html>
`;
}
