/**
 * The estimator validation page: one self-contained HTML file (plotly.js and the data inlined,
 * every request forbidden by its Content-Security-Policy) with estimate vs truth per task, the
 * bias by estimator, and the table of true MI, mean estimate, bias, SD, RMSE and seconds.
 */
import type { ValidationResult } from '../estimators';
import { escapeHtml, formatNumber } from '../plots/format';
import { plotlyScriptElement, scriptJson } from '../plots/plotlyJs';
import type { NamedFigure } from '../plots/figures';
import { validationBiasFigure, validationScatterFigure } from '../plots/validationFigures';
import { REPORT_CSP } from './html';


const STYLE = `
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; margin: 2rem auto; max-width: 1200px; padding: 0 1rem; color: #222; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
p.meta, .note { color: #555; }
.table-scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 0.85rem; }
th, td { border-bottom: 1px solid #e3e3e3; padding: 0.22rem 0.5rem; text-align: left; white-space: nowrap; }
th { background: #f3f3f6; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.figure { width: 100%; }
`;

function figureSection(named: NamedFigure): string {
  const id = `figure-${named.id}`;
  const height = typeof named.figure.layout.height === 'number' ? `${named.figure.layout.height}px` : '520px';
  return `<h2>${escapeHtml(named.title)}</h2>
<div id="${id}" class="figure" data-figure="${escapeHtml(named.id)}" style="height:${height};"></div>
<script type="text/javascript">
(function () {
  var figure = ${scriptJson({ data: named.figure.data, layout: named.figure.layout, config: named.figure.config ?? {} })};
  var element = document.getElementById(${JSON.stringify(id)});
  if (!window.Plotly) { element.textContent = 'plotly.js failed to load; the table below holds the same numbers.'; return; }
  window.Plotly.newPlot(element, figure.data, figure.layout, figure.config);
})();
</script>`;
}

function resultTable(result: ValidationResult): string {
  const header = ['estimator', 'gives', 'task', 'dims', 'n', 'seeds', 'true MI', 'mean estimate', 'bias', 'SD', 'RMSE', 'seconds'];
  const rows = result.rows.map((row) => {
    const numbers = [row.trueMi, row.meanEstimate, row.bias, row.sd, row.rmse, row.seconds].map((value) => `<td class="num">${escapeHtml(formatNumber(value))}</td>`);
    return `<tr><td>${escapeHtml(row.estimator)}</td><td>${escapeHtml(row.gives)}</td><td>${escapeHtml(row.task)}</td><td>${row.xDim} + ${row.yDim}</td><td class="num">${row.n}</td><td class="num">${row.estimates.length}</td>${numbers.join('')}</tr>`;
  });
  return `<div class="table-scroll"><table><thead><tr>${header.map((cell) => `<th>${cell}</th>`).join('')}</tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table></div>`;
}

/** The validation page as HTML text; `generatedAt` fixes the timestamp (default: now). */
export function buildValidationReport(result: ValidationResult, options: { title?: string; generatedAt?: string } = {}): string {
  const title = options.title ?? 'emishift estimator validation';
  const settings = result.estimators.map((estimator) => `${estimator.name}: ${Object.entries(estimator.settings).map(([key, value]) => `${key} ${value}`).join(', ') || 'no settings'}`).join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="meta">${result.estimators.length} estimators × ${result.tasks.length} tasks, ${formatNumber(result.seconds)} s in all; generated ${escapeHtml(options.generatedAt ?? new Date().toISOString())}</p>
<p class="note">Each task is a distribution whose mutual information is known from a formula. Upper bounds (club) should lie above the identity line and lower bounds (gaussian) below it; estimates (ksg, ksg2) on it. Settings: ${escapeHtml(settings)}.</p>
${plotlyScriptElement()}
${figureSection(validationScatterFigure(result))}
${figureSection(validationBiasFigure(result))}
<h2>Per estimator and task</h2>
${resultTable(result)}
<script type="application/json" id="validation-data">${scriptJson(result)}</script>
</body>
</html>
`;
}
