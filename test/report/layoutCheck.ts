/**
 * Loads a page in headless Chromium at a given window width, waits until plotly has drawn every
 * figure, and measures what a reader sees: each figure's box against its column, the boxes of
 * its title, subtitle, axis titles, tick labels, legend, annotations and mode bar, its plot
 * areas, and its drawn points. `layoutProblems` turns a measurement into readable complaints
 * (overflow, clipping, overlapping text, missing points), so a test can assert there are none.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromiumFlags } from '../../src/report/chromium';

export interface Box {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

export interface Part {
  kind: 'title' | 'subtitle' | 'axis-title' | 'tick' | 'legend' | 'annotation' | 'point-label' | 'modebar';
  /** For axis titles and ticks: the axis (`x`, `y2`, …); for text parts, their text. */
  axis?: string;
  text: string;
  box: Box;
}

export interface FigureMeasurement {
  id: string;
  box: Box;
  column: Box;
  svgWidth: number;
  svgHeight: number;
  parts: Part[];
  plotAreas: Box[];
  points: number;
  /** Points whose centre lies outside every plot area. */
  pointsOutside: number;
}

export interface PageMeasurement {
  windowWidth: number;
  viewport: number;
  scrollWidth: number;
  figures: FigureMeasurement[];
  /** Text of any element that said plotly.js failed. */
  failures: string[];
}

// Runs in the page. Waits for every .emishift-figure to hold a drawn plot, then measures.
const MEASURE = `
(function () {
  var COLUMN = __COLUMN__;
  function box(el) { var r = el.getBoundingClientRect(); return { left: r.left, top: r.top + window.scrollY, right: r.right, bottom: r.bottom + window.scrollY }; }
  function axisOf(el, kind) {
    var name = (el.getAttribute('class') || '') + ' ' + ((el.parentNode && el.parentNode.getAttribute && el.parentNode.getAttribute('class')) || '');
    var match = /\\b([xy]\\d*)(title|tick)\\b/.exec(name);
    return match ? match[1] : kind;
  }
  function measure() {
    var figures = [];
    document.querySelectorAll('.emishift-figure').forEach(function (gd) {
      var column = gd.closest(COLUMN) || document.body;
      var svg = gd.querySelector('.main-svg');
      var parts = [];
      gd.querySelectorAll('.infolayer .gtitle').forEach(function (el) { parts.push({ kind: 'title', text: el.textContent, box: box(el) }); });
      gd.querySelectorAll('.infolayer .gtitle-subtitle').forEach(function (el) { parts.push({ kind: 'subtitle', text: el.textContent, box: box(el) }); });
      gd.querySelectorAll('.infolayer text').forEach(function (el) {
        var cls = el.getAttribute('class') || '';
        if (/^[xy]\\d*title$/.test(cls) && el.textContent.trim() !== '') parts.push({ kind: 'axis-title', axis: cls.replace('title', ''), text: el.textContent, box: box(el) });
      });
      gd.querySelectorAll('g[class$="tick"] > text, g[class$="tick2"] > text').forEach(function (el) {
        if (el.textContent.trim() === '') return;
        var cls = el.parentNode.getAttribute('class') || '';
        parts.push({ kind: 'tick', axis: cls.replace(/tick2?$/, ''), text: el.textContent, box: box(el) });
      });
      gd.querySelectorAll('.infolayer .legend').forEach(function (el) { parts.push({ kind: 'legend', text: '', box: box(el) }); });
      gd.querySelectorAll('.annotation').forEach(function (el) { parts.push({ kind: 'annotation', text: el.textContent, box: box(el) }); });
      gd.querySelectorAll('.scatterlayer .textpoint text').forEach(function (el) { if (el.textContent.trim() !== '') parts.push({ kind: 'point-label', text: el.textContent, box: box(el) }); });
      gd.querySelectorAll('.modebar').forEach(function (el) { parts.push({ kind: 'modebar', text: '', box: box(el) }); });
      var plotAreas = [];
      gd.querySelectorAll('.draglayer .nsewdrag').forEach(function (el) { plotAreas.push(box(el)); });
      var points = gd.querySelectorAll('.scatterlayer path.point, .barlayer g.point');
      var outside = 0;
      points.forEach(function (el) {
        var b = box(el); var x = (b.left + b.right) / 2; var y = (b.top + b.bottom) / 2;
        var inside = plotAreas.some(function (a) { return x >= a.left - 2 && x <= a.right + 2 && y >= a.top - 2 && y <= a.bottom + 2; });
        if (!inside) outside++;
      });
      figures.push({ id: gd.id, box: box(gd), column: box(column), svgWidth: svg ? svg.getBoundingClientRect().width : -1, svgHeight: svg ? svg.getBoundingClientRect().height : -1, parts: parts, plotAreas: plotAreas, points: points.length, pointsOutside: outside });
    });
    var failures = [];
    document.querySelectorAll('.emishift-figure').forEach(function (el) { if (!el.querySelector('.main-svg')) failures.push(el.id + ': ' + el.textContent.slice(0, 200)); });
    var out = document.createElement('pre');
    out.id = 'layout-check';
    out.textContent = JSON.stringify({ viewport: document.documentElement.clientWidth, scrollWidth: document.documentElement.scrollWidth, figures: figures, failures: failures });
    document.body.appendChild(out);
  }
  function drawn() {
    var all = document.querySelectorAll('.emishift-figure');
    for (var i = 0; i < all.length; i++) if (!all[i].querySelector('.main-svg .infolayer')) return false;
    return all.length > 0;
  }
  function wait(attempt) {
    if (drawn() || attempt > 150) { setTimeout(measure, 500); return; }
    setTimeout(function () { wait(attempt + 1); }, 100);
  }
  wait(0);
})();
`;

/**
 * Renders `html` at each window width (height 1400) and measures every `.emishift-figure`;
 * `column` is the CSS selector of the element a figure must fit in (default: its nearest
 * `main`, else the body).
 */
export function measurePage(html: string, widths: readonly number[], options: { column?: string; chromium?: string } = {}): PageMeasurement[] {
  const chromium = options.chromium ?? '/usr/bin/chromium';
  const work = mkdtempSync(join(tmpdir(), 'emishift-layout-'));
  try {
    const script = `<script type="text/javascript">${MEASURE.replace('__COLUMN__', JSON.stringify(options.column ?? 'main'))}</script>`;
    const page = join(work, 'page.html');
    writeFileSync(page, html.includes('</body>') ? html.replace(/<\/body>(?![\s\S]*<\/body>)/, `${script}\n</body>`) : `${html}\n${script}`);
    return widths.map((width) => {
      const profile = join(work, `profile-${width}`);
      const result = spawnSync(chromium, [...chromiumFlags(profile), `--window-size=${width},1400`, '--virtual-time-budget=30000', '--dump-dom', pathToFileURL(page).href], {
        encoding: 'utf8',
        maxBuffer: 512 * 1024 * 1024,
        timeout: 180_000,
      });
      if (result.status !== 0) throw new Error(`chromium exited with ${result.status ?? result.signal}: ${result.stderr.slice(-1500)}`);
      const match = /<pre id="layout-check">([^<]*)<\/pre>/.exec(result.stdout);
      if (!match) throw new Error(`the page did not finish drawing at width ${width}`);
      const decoded = match[1].replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
      return { windowWidth: width, ...(JSON.parse(decoded) as Omit<PageMeasurement, 'windowWidth'>) };
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const TOLERANCE = 1;

function inside(inner: Box, outer: Box, tolerance = TOLERANCE): boolean {
  return inner.left >= outer.left - tolerance && inner.right <= outer.right + tolerance && inner.top >= outer.top - tolerance && inner.bottom <= outer.bottom + tolerance;
}

/** Overlap area in px² (0 when the boxes only touch or are apart by the tolerance). */
function overlap(a: Box, b: Box): number {
  const width = Math.min(a.right, b.right) - Math.max(a.left, b.left) - TOLERANCE;
  const height = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) - TOLERANCE;
  return width > 0 && height > 0 ? width * height : 0;
}

const describe = (part: Part) => `${part.kind}${part.axis ? ` (${part.axis})` : ''}${part.text ? ` "${part.text.slice(0, 40)}"` : ''}`;
const round = (box: Box) => `[${Math.round(box.left)}, ${Math.round(box.top)}, ${Math.round(box.right)}, ${Math.round(box.bottom)}]`;

/** Everything wrong with a measured page, one line each (empty when the layout is clean). */
export function layoutProblems(page: PageMeasurement, expectedPoints: Record<string, number> = {}): string[] {
  const problems: string[] = [];
  const at = `at ${page.windowWidth} px`;
  if (page.scrollWidth > page.viewport + TOLERANCE) problems.push(`${at}: the page scrolls sideways (${page.scrollWidth} px content in a ${page.viewport} px viewport)`);
  for (const failure of page.failures) problems.push(`${at}: not drawn: ${failure}`);
  for (const figure of page.figures) {
    const where = `${at}, ${figure.id}`;
    if (!inside(figure.box, figure.column)) problems.push(`${where}: figure ${round(figure.box)} does not fit its column ${round(figure.column)}`);
    if (figure.svgWidth > figure.box.right - figure.box.left + TOLERANCE) problems.push(`${where}: plot is ${Math.round(figure.svgWidth)} px wide in a ${Math.round(figure.box.right - figure.box.left)} px box`);
    for (const part of figure.parts) if (!inside(part.box, figure.box)) problems.push(`${where}: ${describe(part)} ${round(part.box)} is cut off by the figure box ${round(figure.box)}`);
    if (figure.pointsOutside > 0) problems.push(`${where}: ${figure.pointsOutside} points lie outside every plot area`);
    const expected = expectedPoints[figure.id];
    if (expected !== undefined && figure.points !== expected) problems.push(`${where}: ${figure.points} points drawn, ${expected} expected`);
    if (figure.plotAreas.length === 0) problems.push(`${where}: no plot area`);

    const texts = figure.parts.filter((part) => part.kind !== 'modebar');
    const headings = texts.filter((part) => part.kind === 'title' || part.kind === 'subtitle');
    const others = texts.filter((part) => part.kind !== 'title' && part.kind !== 'subtitle');
    const report = (a: Part, b: Part | Box, name?: string) => {
      const other = 'kind' in b ? describe(b) : `plot area ${round(b)}`;
      problems.push(`${where}: ${describe(a)} ${round(a.box)} overlaps ${name ?? other}${'kind' in b ? ` ${round(b.box)}` : ''}`);
    };
    // Headings touch nothing else: no axis title, tick label, legend, annotation or plot area.
    for (const heading of headings) {
      for (const other of others) if (overlap(heading.box, other.box) > 0) report(heading, other);
      for (const area of figure.plotAreas) if (overlap(heading.box, area) > 0) report(heading, area);
    }
    const [title, subtitle] = [headings.find((part) => part.kind === 'title'), headings.find((part) => part.kind === 'subtitle')];
    if (title && subtitle && overlap(title.box, subtitle.box) > 0) report(title, subtitle);
    // Legends and axis titles stay out of plot areas and clear of each other and of tick labels.
    const outside = texts.filter((part) => part.kind === 'legend' || part.kind === 'axis-title');
    for (const part of outside) for (const area of figure.plotAreas) if (overlap(part.box, area) > 0) report(part, area);
    for (let i = 0; i < others.length; i++) {
      for (let j = i + 1; j < others.length; j++) {
        const [a, b] = [others[i], others[j]];
        if (a.kind === 'tick' && b.kind === 'tick' && a.axis !== b.axis) continue;
        if (overlap(a.box, b.box) > 0) report(a, b);
      }
    }
  }
  return problems;
}
