/**
 * The report: one self-contained HTML file — plotly.js inlined, data inlined, no request to any
 * server (a Content-Security-Policy forbids them outright) — that opens from disk, offline,
 * and shows the correlation summaries, the figures, per-family means, the per-split table and
 * how the results were made (the results' `provenance` block).
 */
import { InputError } from '../errors';
import { isSignificant } from '../stats/significance';
import { describeResults, figuresFromResults, SIGNIFICANCE_LEVEL, type NamedFigure } from '../plots/figures';
import { escapeHtml, formatNumber } from '../plots/format';
import { plotlyScriptElement, scriptJson } from '../plots/plotlyJs';
import { shiftSource, splitShift } from '../plots/shift';
import { shiftFamilyLabel } from '../data/shiftFamilies';
import type { SweepResult } from '../sweep/sweep';
import { htmlTable, type Cell, type ColumnSpec, type Table } from '../plots/table';
import { summarizeResults, type ResultsSummary } from './summary';

/** The heading, source line and timestamp of the page `buildReport` writes. */
export interface ReportOptions {
  /** Heading of the page (default: "emishift report" with the model and benchmark). */
  title?: string | undefined;
  /** Where the results came from, shown under the heading (e.g. the file path). */
  source?: string | undefined;
  /** Timestamp shown in the page (default: now); fixed values make the output reproducible. */
  generatedAt?: string | undefined;
}

// 'unsafe-inline' is what an inlined library needs; everything else is closed, so the page can
// neither fetch nor leak anything even if a figure string asked it to.
/** The reports' content security policy (see above). */
export const REPORT_CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data: blob:; font-src data:";

const STYLE = `
*, *::before, *::after { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; margin: 2rem auto; max-width: 1200px; padding: 0 1rem; color: #222; }
main { width: 100%; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.25rem; margin-top: 2.2rem; border-bottom: 1px solid #ddd; padding-bottom: 0.2rem; }
h3 { font-size: 1.05rem; margin-top: 1.6rem; }
p.meta { color: #555; margin-top: 0; overflow-wrap: anywhere; }
.note { color: #555; font-size: 0.92rem; max-width: 60rem; }
.warning { border-left: 4px solid #D55E00; background: #fff4ec; padding: 0.5rem 0.8rem; max-width: 60rem; }
.table-scroll { max-width: 100%; overflow-x: auto; }
table.emishift-table { border-collapse: collapse; font-size: 0.85rem; margin: 0.6rem 0; }
table.emishift-table th, table.emishift-table td { border-bottom: 1px solid #e3e3e3; padding: 0.22rem 0.5rem; text-align: left; vertical-align: top; }
table.emishift-table th { white-space: nowrap; }
table.emishift-table th { background: #f3f3f6; position: sticky; top: 0; }
table.emishift-table td.num, table.emishift-table th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.emishift-table caption { caption-side: top; text-align: left; color: #555; padding-bottom: 0.3rem; }
.emishift-figure { width: 100%; margin: 0.5rem 0 1rem 0; }
dl.provenance { display: grid; grid-template-columns: minmax(8rem, max-content) minmax(0, 1fr); gap: 0.25rem 1rem; margin: 0.4rem 0; font-size: 0.9rem; }
dl.provenance dt { font-weight: 600; color: #333; }
dl.provenance dd { margin: 0; overflow-wrap: anywhere; }
dl.provenance dl.provenance { margin: 0; }
dl.provenance p { margin: 0 0 0.2rem 0; color: #555; }
details summary { cursor: pointer; color: #0072B2; }
code { font-size: 0.85em; background: #f3f3f6; padding: 0 0.2em; border-radius: 3px; }
.none { color: #777; font-style: italic; }
`;

const COEFFICIENT: ColumnSpec = { format: 'coefficient' };
const P_VALUE: ColumnSpec = { format: 'p-value' };

function correlationTable(summary: ResultsSummary): { table: Table; columns: Record<string, ColumnSpec> } {
  const rows: Cell[][] = [
    ['Pearson r', summary.pearson.r, summary.pearson.p, summary.splits],
    ['Spearman ρ', summary.spearman.rho, summary.spearman.p, summary.splits],
    [`Kendall τ_b (${summary.kendall.method} p)`, summary.kendall.tau, summary.kendall.p, summary.splits],
  ];
  if (summary.reported?.pearsonR !== undefined) {
    rows.push(['Pearson r as reported in the file', summary.reported.pearsonR, summary.reported.pearsonPval, undefined]);
  }
  return {
    table: { columns: ['statistic (EMID vs. upper bound)', 'coefficient', 'p-value', 'OOD splits'], rows },
    columns: { coefficient: COEFFICIENT, 'p-value': P_VALUE },
  };
}

function qualityTable(summary: ResultsSummary): { table: Table; columns: Record<string, ColumnSpec> } | undefined {
  const quality = summary.quality;
  if (!quality) return undefined;
  const rows: Cell[][] = [
    ['Spearman ρ', quality.spearman.rho, quality.spearman.p, quality.n],
    [`Kendall τ_b (${quality.kendall.method} p)`, quality.kendall.tau, quality.kendall.p, quality.n],
  ];
  if (quality.reported) {
    rows.push(['Spearman ρ as reported in the file', quality.reported.spearmanRho, quality.reported.spearmanPval, quality.reported.n]);
    rows.push(['Kendall τ_b as reported in the file', quality.reported.kendallTau, quality.reported.kendallPval, quality.reported.n]);
  }
  return {
    table: { columns: [`statistic (EMI vs. ${quality.label})`, 'coefficient', 'p-value', 'splits'], rows },
    columns: { coefficient: COEFFICIENT, 'p-value': P_VALUE },
  };
}

const MODALITY_WORDS: Record<string, string> = { image: 'image', text: 'text', answer: 'answers', joint: 'both', none: 'none' };

function familyTable(summary: ResultsSummary, results: SweepResult): Table {
  const withEmi = summary.perFamily.every((family) => family.meanEmi !== undefined);
  const withQuality = results.quality !== undefined && summary.perFamily.some((family) => family.meanQuality !== undefined);
  const withSeverity = summary.perFamily.some((family) => family.severities.length > 0);
  const label = results.quality?.label ?? 'quality';
  return {
    columns: [
      'shift family',
      'shifted input',
      'splits',
      ...(withSeverity ? ['severities (unit)'] : []),
      ...(withQuality ? [`mean ${label}`] : []),
      ...(withEmi ? ['mean EMI'] : []),
      'mean EMID',
      'mean bound',
    ],
    rows: summary.perFamily.map((family) => [
      family.family,
      MODALITY_WORDS[family.modality] ?? family.modality,
      family.n,
      ...(withSeverity ? [family.severities.length > 0 ? `${family.severities.join(', ')}${family.unit ? ` (${family.unit})` : ''}` : ''] : []),
      ...(withQuality ? [family.meanQuality] : []),
      ...(withEmi ? [family.meanEmi] : []),
      family.meanEmid,
      family.meanBound,
    ]),
  };
}

/** Whether a split's EMID is significant at α: its q-value when the result has them, else its p-value. */
function emidSignificant(comparison: SweepResult['comparisons'][number], adjusted: boolean): boolean {
  const value = adjusted ? comparison.pValues?.emidQValue : comparison.pValues?.emid;
  return value !== undefined && isSignificant(value, SIGNIFICANCE_LEVEL);
}

function splitTable(result: SweepResult): Table {
  const comparisons = result.comparisons;
  const withPValues = comparisons.every((comparison) => comparison.pValues !== undefined);
  const withQValues = withPValues && comparisons.every((comparison) => comparison.pValues?.emidQValue !== undefined);
  const shifts = comparisons.map((comparison) => splitShift(result, comparison.target));
  const quality = result.quality;
  const withTerms = comparisons.every((comparison) => comparison.terms !== undefined);
  const withIntervals = comparisons.some((comparison) => comparison.intervals);
  const withSeverity = shifts.some((shift) => shift.severity !== null);
  const withQuality = quality !== undefined && comparisons.some((comparison) => quality.values[comparison.target] !== undefined);
  return {
    columns: [
      'OOD split',
      'shift family',
      ...(withSeverity ? ['severity'] : []),
      ...(withQuality ? [quality.label] : []),
      'EMI',
      'EMID',
      ...(withIntervals ? ['EMID interval'] : []),
      ...(withPValues ? ['EMID p-value', ...(withQValues ? ['EMID q-value'] : []), `significant (α = ${SIGNIFICANCE_LEVEL})`] : []),
      'bound',
      ...(withIntervals ? ['bound interval'] : []),
      ...(withPValues ? ['bound p-value'] : []),
      ...(withTerms ? ['jsd_v', 'jsd_t', 'jsd_py', 'jsd_qy'] : []),
      ...(withPValues ? ['jsd_v p-value', 'jsd_t p-value'] : []),
    ],
    rows: comparisons.map((comparison, i) => [
      comparison.target,
      shifts[i].label,
      ...(withSeverity ? [shifts[i].severity ?? undefined] : []),
      ...(withQuality ? [quality.values[comparison.target]] : []),
      comparison.targetEmi.emi,
      comparison.emid,
      ...(withIntervals ? [comparison.intervals?.emid] : []),
      ...(withPValues ? [comparison.pValues!.emid, ...(withQValues ? [comparison.pValues!.emidQValue] : []), emidSignificant(comparison, withQValues) ? '✔ yes' : 'no'] : []),
      comparison.emidUpperBound,
      ...(withIntervals ? [comparison.intervals?.emidUpperBound] : []),
      ...(withPValues ? [comparison.pValues!.emidUpperBound] : []),
      ...(withTerms ? [comparison.terms!.jsdV, comparison.terms!.jsdT, comparison.terms!.jsdPy, comparison.terms!.jsdQy] : []),
      ...(withPValues ? [comparison.pValues!.jsdV, comparison.pValues!.jsdT] : []),
    ]),
  };
}

/** What the p-value columns mean and which splits are significant; empty without p-values. */
function significanceNote(result: SweepResult): string {
  const comparisons = result.comparisons;
  if (!comparisons.every((comparison) => comparison.pValues !== undefined)) return '';
  const adjusted = comparisons.every((comparison) => comparison.pValues?.emidQValue !== undefined);
  const record = result.provenance?.permutation_test;
  const how = record ? `${record.permutations} permutations of split membership (seed ${record.seed})` : 'permutations of split membership';
  const count = comparisons.filter((comparison) => emidSignificant(comparison, adjusted)).length;
  return `<p class="note">p-values: one-sided permutation tests from ${escapeHtml(how)}, the pooled rows reassigned with the splits' sizes kept and the same fitted estimator (H1 for EMID: EMI(ID) &gt; EMI(OOD)).${
    adjusted ? ' q-values: EMID\'s p-values adjusted by Benjamini–Hochberg across the OOD splits.' : ''
  } Significant: EMID's ${adjusted ? 'q' : 'p'}-value &lt; α = ${SIGNIFICANCE_LEVEL}; ${count} of ${comparisons.length} OOD splits (filled markers in the scatter of EMID against the bound).</p>
`;
}

function tableHtml(table: Table, options: Parameters<typeof htmlTable>[1] = {}): string {
  return `<div class="table-scroll">${htmlTable(table, options)}</div>`;
}

function figureSection(named: NamedFigure): string {
  const id = `figure-${named.id}`;
  const { layout } = named.figure;
  const height = typeof layout.height === 'number' ? `${layout.height}px` : '520px';
  const spec = scriptJson({ data: named.figure.data, layout, config: named.figure.config ?? {} });
  return `<h3>${escapeHtml(named.title)}</h3>
<div id="${id}" class="emishift-figure" data-figure="${escapeHtml(named.id)}" style="height:${height};"></div>
<script type="text/javascript">
(function () {
  var figure = ${spec};
  var element = document.getElementById(${JSON.stringify(id)});
  if (!window.Plotly) { element.textContent = 'plotly.js failed to load, so this figure cannot be drawn; the tables below hold the same numbers.'; return; }
  window.Plotly.newPlot(element, figure.data, figure.layout, figure.config);
})();
</script>`;
}

// ---------------------------------------------------------------------------------------------
// Provenance: printed as the file records it, in a reading order, without assuming its keys.

// Reading order for top-level keys, by what they are about; keys matching none keep the file's order after these.
const PROVENANCE_ORDER: readonly RegExp[] = [/version/i, /command|argv|config|invocation/i, /preset/i, /estimator|club|checkpoint/i, /split|space|embed|manifest/i, /mixture/i, /entropy/i, /bootstrap|interval/i, /mismatch/i];

function orderedEntries(record: Record<string, unknown>, topLevel: boolean): [string, unknown][] {
  const entries = Object.entries(record);
  if (!topLevel) return entries;
  const rank = (key: string) => {
    // `allow_space_mismatch` mentions a space but is about the check, which reads last.
    if (/mismatch/i.test(key)) return PROVENANCE_ORDER.length - 1;
    const index = PROVENANCE_ORDER.findIndex((pattern) => pattern.test(key));
    return index < 0 ? PROVENANCE_ORDER.length : index;
  };
  return entries.map((entry, index) => ({ entry, index })).sort((a, b) => rank(a.entry[0]) - rank(b.entry[0]) || a.index - b.index).map(({ entry }) => entry);
}

/** A key in words (`entropy_scale` → "entropy scale", `manifestDigest` → "manifest digest"). */
function keyWords(key: string): string {
  if (!/[_A-Z]/.test(key.slice(1))) return key;
  return shiftFamilyLabel(key);
}

const HASH = /^(sha256:|sha-256:)?[0-9a-f]{32,}$/i;

function stringHtml(value: string): string {
  if (HASH.test(value)) {
    const digits = value.replace(/^sha-?256:/i, '');
    const prefix = value.slice(0, value.length - digits.length);
    return `<code title="${escapeHtml(value)}">${escapeHtml(`${prefix}${digits.slice(0, 12)}…`)}</code>`;
  }
  if (/[\\/]/.test(value) || /^--?[a-z]/.test(value) || /\s--?[a-z]/.test(value)) return `<code>${escapeHtml(value)}</code>`;
  return escapeHtml(value);
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isPrimitive = (value: unknown) => value === null || ['string', 'number', 'boolean'].includes(typeof value);

/** A map whose values are records with mostly the same keys reads best as a table. */
function tableLike(record: Record<string, unknown>): string[] | undefined {
  const values = Object.values(record);
  if (values.length < 2 || !values.every(isPlainRecord)) return undefined;
  const columns: string[] = [];
  for (const value of values as Record<string, unknown>[]) for (const key of Object.keys(value)) if (!columns.includes(key)) columns.push(key);
  const shared = columns.filter((column) => (values as Record<string, unknown>[]).every((value) => column in value)).length;
  return columns.length > 0 && columns.length <= 10 && shared >= columns.length / 2 ? columns : undefined;
}

function valueHtml(value: unknown, depth: number): string {
  if (value === null || value === undefined) return '<span class="none">none</span>';
  if (typeof value === 'string') return value === '' ? '<span class="none">empty</span>' : stringHtml(value);
  if (typeof value === 'number' || typeof value === 'boolean') return escapeHtml(String(value));
  if (Array.isArray(value)) {
    if (value.length === 0) return '<span class="none">none</span>';
    if (value.every(isPrimitive)) return value.map((item) => valueHtml(item, depth + 1)).join(', ');
    return `<ol>${value.map((item) => `<li>${valueHtml(item, depth + 1)}</li>`).join('')}</ol>`;
  }
  if (isPlainRecord(value)) {
    const columns = tableLike(value);
    if (columns) return tableLikeHtml(value as Record<string, Record<string, unknown>>, columns, depth);
    return recordHtml(value, depth);
  }
  return escapeHtml(JSON.stringify(value));
}

/**
 * A map of similar records (e.g. one embedding space per split): what every entry shares is
 * printed once, and a table holds only what varies, folded away when it is long.
 */
function tableLikeHtml(record: Record<string, Record<string, unknown>>, columns: string[], depth: number): string {
  const rows = Object.entries(record);
  const constant = columns.filter((column) => rows.every(([, row]) => column in row && JSON.stringify(row[column]) === JSON.stringify(rows[0][1][column])));
  const varying = columns.filter((column) => !constant.includes(column));
  const shared = constant.length > 0 ? `<p>the same for all ${rows.length}:</p>${recordHtml(Object.fromEntries(constant.map((column) => [column, rows[0][1][column]])), depth + 1)}` : '';
  if (varying.length === 0) return shared;
  const head = ['', ...varying].map((column) => `<th${column ? ` title="${escapeHtml(column)}"` : ''}>${escapeHtml(keyWords(column))}</th>`).join('');
  const body = rows
    .map(([key, row]) => `<tr><td>${escapeHtml(key).replace(/_/g, '_<wbr>')}</td>${varying.map((column) => `<td>${column in row ? compactHtml(row[column]) : ''}</td>`).join('')}</tr>`)
    .join('');
  const table = `<div class="table-scroll"><table class="emishift-table provenance-table"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
  const folded = rows.length > 8 ? `<details><summary>${varying.map(keyWords).join(', ')} of each of the ${rows.length}</summary>${table}</details>` : table;
  return `${shared}${folded}`;
}

/** A value on one line, for a table cell: a record with a label reads as its label, others as `key value` pairs. */
function compactHtml(value: unknown): string {
  if (isPrimitive(value) || value === undefined) return valueHtml(value, 0);
  if (Array.isArray(value)) return value.map(compactHtml).join('; ');
  const record = value as Record<string, unknown>;
  if (typeof record.label === 'string') return escapeHtml(record.label);
  return Object.entries(record)
    .map(([key, entry]) => `${escapeHtml(keyWords(key))} ${compactHtml(entry)}`)
    .join(', ');
}

function recordHtml(record: Record<string, unknown>, depth: number): string {
  const entries = orderedEntries(record, depth === 0);
  if (entries.length === 0) return '<span class="none">none</span>';
  return `<dl class="provenance">${entries.map(([key, value]) => `<dt title="${escapeHtml(key)}">${escapeHtml(keyWords(key))}</dt><dd>${valueHtml(value, depth + 1)}</dd>`).join('')}</dl>`;
}

/** Key paths whose name mentions a space mismatch and whose value is set: worth a warning. */
function mismatchAllowances(value: unknown, path: string[] = []): string[] {
  if (!isPlainRecord(value)) return [];
  return Object.entries(value).flatMap(([key, entry]) => {
    const here = [...path, key];
    if (/mismatch/i.test(key) && entry !== false && entry !== null && entry !== undefined && entry !== 0 && entry !== '' && !(Array.isArray(entry) && entry.length === 0) && !(isPlainRecord(entry) && Object.keys(entry).length === 0)) {
      return [here.join('.')];
    }
    return mismatchAllowances(entry, here);
  });
}

function provenanceSection(results: SweepResult): string {
  const heading = '<h2 id="provenance">How these results were made</h2>';
  if (!results.provenance) {
    return `${heading}
<p class="note">The results file holds no provenance record (files written before emishift recorded one, and the reference implementation's files, have none), so this report cannot say which estimator, embedding space or settings produced the numbers.</p>`;
  }
  return `${heading}
<p class="note">As recorded in the results file. Long digests are shortened; hover over one to see it whole.</p>
${recordHtml(results.provenance as unknown as Record<string, unknown>, 0)}`;
}

function warnings(results: SweepResult): string {
  return [spaceOverrideWarning(results), ...(results.provenance?.estimator_diagnosis?.warnings ?? []).map(estimatorWarning)].join('\n');
}

/** An estimator's own warning about its reliability (CLUB's saturated variance network). */
function estimatorWarning(line: string): string {
  return `<p class="warning"><strong>The estimator warned about itself.</strong> ${escapeHtml(line)}.</p>`;
}

function spaceOverrideWarning(results: SweepResult): string {
  const allowances = results.provenance ? mismatchAllowances(results.provenance) : [];
  if (allowances.length === 0) return '';
  return `<p class="warning"><strong>The embedding-space check was overridden.</strong> This run allowed the estimator to be applied to splits embedded in another space than the one it was trained in (${allowances
    .map((path) => `<code>${escapeHtml(path)}</code>`)
    .join(', ')}). Mutual-information values of a split from another space are not comparable with results in the estimator's own space; <a href="#provenance">How these results were made</a> lists each split's space.</p>`;
}

/**
 * One self-contained HTML page for a result (computed, or read from a results file with
 * `readResults`). Throws InputError with fewer than 3 OOD splits or a constant EMID or bound.
 */
export function buildReport(result: SweepResult, options: ReportOptions = {}): string {
  if (result.comparisons.length === 0) throw new InputError('no OOD splits to report', { field: 'EMID' });
  const summary = summarizeResults(result);
  const figures = figuresFromResults(result);
  const description = describeResults(result);
  const title = options.title ?? `emishift report${result.model ? `: ${result.model}` : ''}${result.shiftType ? ` (${result.shiftType})` : ''}`;
  const generated = options.generatedAt ?? new Date().toISOString();
  const idEmi = result.emi[result.idSplit].emi;
  const idQuality = result.quality?.values[result.idSplit];
  const meta = [
    options.source ? `results: ${escapeHtml(options.source)}` : undefined,
    `format: ${summary.format === 'reference' ? 'reference implementation' : 'emishift sweep'}`,
    escapeHtml(description),
    shiftSource(result) === 'recorded' ? 'shift families from the file' : 'shift families from the split names',
    `generated ${escapeHtml(generated)}`,
  ]
    .filter(Boolean)
    .join(' · ');
  const correlation = correlationTable(summary);
  const quality = qualityTable(summary);
  const idLine = [
    `EMI of the ID split ${escapeHtml(result.idSplit)}: ${escapeHtml(formatNumber(idEmi))} nats`,
    idQuality !== undefined ? `its ${escapeHtml(result.quality!.label)}: ${escapeHtml(formatNumber(idQuality))}` : undefined,
  ]
    .filter(Boolean)
    .join('; ');
  const summaryJson = scriptJson(summary);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
${plotlyScriptElement()}
</head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
<p class="meta">${meta}</p>
${warnings(result)}
<p class="note">EMI(P) = I(X; Ŷ) − I(X; Y): how much more the model's answers tell about the query than the reference answers do.
EMID = EMI(ID) − EMI(OOD) for each OOD split; positive EMID means the model lost relevance under the shift.
The upper bound (scale-adjusted) is √jsd_v + √jsd_t + jsd_py^¼ + jsd_qy^¼ from representation Jensen–Shannon divergences.
Values are in nats.${idLine ? ` ${idLine}.` : ''}</p>

<h2>Does the bound track EMID?</h2>
${tableHtml(correlation.table, { columns: correlation.columns })}
${
  quality
    ? `
<h2>Does EMI track the ${escapeHtml(summary.quality!.label)}?</h2>
<p class="note">Rank correlations over every split with both values (the ID split included): a higher EMI should go with ${summary.quality!.higherIsBetter ? 'a higher' : 'a lower'} ${escapeHtml(summary.quality!.label)}.</p>
${tableHtml(quality.table, { columns: quality.columns })}
`
    : ''
}
<h2>Figures</h2>
${figures.map(figureSection).join('\n')}

<h2>Per shift family</h2>
<p class="note">Means over each family's OOD splits; EMI, EMID and the bound in nats. Severities are on each family's own scale.</p>
${tableHtml(familyTable(summary, result))}

<h2>Per OOD split</h2>
<p class="note">EMI, EMID, the bound and its RJSD terms (jsd_v images, jsd_t questions, jsd_py and jsd_qy answers vs. references on the ID and OOD split) in nats.</p>
${significanceNote(result)}${tableHtml(splitTable(result), { maxRows: 10_000, columns: { 'EMID q-value': P_VALUE } })}

${provenanceSection(result)}
</main>
<script type="application/json" id="emishift-summary">${summaryJson}</script>
</body>
</html>
`;
}
