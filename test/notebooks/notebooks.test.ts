/**
 * The notebooks under notebooks/:
 * (a) the committed files are valid nbformat 4, carry no outputs, and explain themselves in
 *     markdown;
 * (b) executed headless through the real tslab kernel (scripts/run-notebooks.js, rerun here when
 *     out/notebooks/ is missing or stale), every figure cell displays one Plotly bundle holding the
 *     expected number of points;
 * (c) an exported HTML page, opened in headless Chromium, has the figure drawn as SVG markers.
 * (b) and (c) skip with a message when Jupyter, the tslab kernel or Chromium is not installed
 * (bash scripts/setup-notebook-env.sh installs what (b) needs).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { chromiumFlags } from '../../src/report/chromium';

const ROOT = resolve(__dirname, '..', '..', '..');
const NOTEBOOK_DIR = join(ROOT, 'notebooks');
const PLOTLY_MIME = 'application/vnd.plotly.v1+json';
const CHROMIUM = '/usr/bin/chromium';

interface Runner {
  environmentProblem(): string | undefined;
  fingerprint(notebookFile: string): string;
  readManifest(outDir?: string): { notebooks: Record<string, { fingerprint: string }> };
  DEFAULT_OUT: string;
}
// Plain JavaScript outside the compiled tree: the same staleness rules as `npm run notebooks`.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const runner = require(join(ROOT, 'scripts', 'run-notebooks.js')) as Runner;

interface Output {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, unknown>;
}
interface Cell {
  cell_type: string;
  id?: string;
  source: string | string[];
  metadata: { tags?: string[] } & Record<string, unknown>;
  outputs?: Output[];
  execution_count?: number | null;
}
interface Notebook {
  nbformat: number;
  nbformat_minor: number;
  metadata: { kernelspec?: { name?: string; language?: string } } & Record<string, unknown>;
  cells: Cell[];
}

/** Per figure cell, in order: scatter markers drawn, or categories of a bar chart. */
type FigureExpectation = { markers: number; titleIncludes?: string } | { bars: number; titleIncludes?: string };

const EXPECTED: Record<string, { needsData: boolean; figures: FigureExpectation[] }> = {
  // 11 OOD splits of the shipped shift grid.
  '01-quickstart': { needsData: false, figures: [{ markers: 11 }] },
  // Published panels: 34 synthetic and 27 natural OOD splits, with the paper's Pearson r.
  '02-reproduce-paper-figures': {
    needsData: true,
    figures: [
      { markers: 34, titleIncludes: 'Pearson r = 0.579' },
      { markers: 34, titleIncludes: 'Pearson r = 0.739' },
      { markers: 27, titleIncludes: 'Pearson r = 0.876' },
      { markers: 27, titleIncludes: 'Pearson r = 0.689' },
    ],
  },
  // Severity curves: EMID and bound for each of the 11 splits; decomposition: 11 bars.
  '03-bound-vs-empirical': { needsData: false, figures: [{ markers: 22 }, { bars: 11 }] },
  // 11 estimators × 5 tasks against the truth; the bias of each on the 5 tasks.
  '04-estimator-validation': { needsData: false, figures: [{ markers: 55 }, { bars: 5 }] },
  // 34 OOD text splits; 10 single-axis splits × (EMID, bound); EMI vs RP for two judges.
  '05-real-text-shifts': { needsData: true, figures: [{ markers: 34 }, { bars: 34 }, { markers: 20 }, { markers: 34 }, { markers: 34 }] },
  // Spearman ρ with EMID over 7 OOD splits: the bound, jsd_v, jsd_t, jsd_qy and 3 baselines × 3
  // modalities (jsd_py is constant, not drawn); 6 windows × (EMID, bound) + 3 alert crosses.
  '06-is-the-shift-real': { needsData: false, figures: [{ markers: 13, titleIncludes: 'over 7 OOD splits' }, { markers: 15, titleIncludes: '3 of 6 windows alert' }] },
};

const sourceText = (cell: Cell): string => (Array.isArray(cell.source) ? cell.source.join('') : cell.source);
const outputText = (output: Output): string => (Array.isArray(output.text) ? output.text.join('') : (output.text ?? ''));
const isFigureCell = (cell: Cell): boolean => cell.cell_type === 'code' && (cell.metadata.tags ?? []).includes('figure');
const readNotebook = (file: string): Notebook => JSON.parse(readFileSync(file, 'utf8')) as Notebook;

function committedNotebooks(): string[] {
  return readdirSync(NOTEBOOK_DIR)
    .filter((name) => name.endsWith('.ipynb'))
    .sort()
    .map((name) => join(NOTEBOOK_DIR, name));
}

// ---------------------------------------------------------------------------------------------
// (a) the committed notebooks

test('the expected notebooks are committed', () => {
  assert.deepEqual(
    committedNotebooks().map((file) => basename(file, '.ipynb')),
    Object.keys(EXPECTED).sort(),
  );
});

for (const file of committedNotebooks()) {
  const name = basename(file);
  test(`${name}: valid nbformat 4 for the tslab kernel, without outputs`, () => {
    const notebook = readNotebook(file);
    assert.equal(notebook.nbformat, 4);
    assert.ok(notebook.nbformat_minor >= 4, `nbformat_minor ${notebook.nbformat_minor}`);
    assert.equal(notebook.metadata.kernelspec?.name, 'tslab', 'kernelspec.name');
    assert.equal(notebook.metadata.kernelspec?.language, 'typescript', 'kernelspec.language');
    assert.ok(Array.isArray(notebook.cells) && notebook.cells.length > 0, 'cells');
    const ids = new Set<string>();
    notebook.cells.forEach((cell, index) => {
      const where = `cell ${index + 1}`;
      assert.ok(['markdown', 'code', 'raw'].includes(cell.cell_type), `${where}: cell_type ${cell.cell_type}`);
      assert.ok(typeof cell.source === 'string' || (Array.isArray(cell.source) && cell.source.every((line) => typeof line === 'string')), `${where}: source`);
      assert.equal(typeof cell.metadata, 'object', `${where}: metadata`);
      if (notebook.nbformat_minor >= 5) {
        assert.match(cell.id ?? '', /^[a-zA-Z0-9_-]{1,64}$/, `${where}: id`);
        assert.ok(!ids.has(cell.id!), `${where}: duplicate id ${cell.id}`);
        ids.add(cell.id!);
      }
      // Timing metadata is what a run leaves behind even after its outputs are cleared.
      for (const key of ['execution', 'ExecuteTime']) assert.ok(!(key in cell.metadata), `${where}: committed with '${key}' metadata from a run`);
      if (cell.cell_type === 'code') {
        assert.deepEqual(cell.outputs, [], `${where}: committed with outputs`);
        assert.equal(cell.execution_count, null, `${where}: committed with an execution count`);
        assert.ok(sourceText(cell).trim().length > 0, `${where}: empty code cell`);
      } else {
        assert.equal(cell.outputs, undefined, `${where}: a ${cell.cell_type} cell has no outputs field`);
      }
    });
  });

  test(`${name}: explains itself in markdown`, () => {
    const { cells } = readNotebook(file);
    assert.equal(cells[0].cell_type, 'markdown', 'the first cell introduces the notebook');
    assert.match(sourceText(cells[0]), /^# \S/, 'the first cell starts with a title');
    const markdown = cells.filter((cell) => cell.cell_type === 'markdown');
    assert.ok(markdown.length >= 4, `${markdown.length} markdown cells`);
    assert.ok(markdown.reduce((total, cell) => total + sourceText(cell).length, 0) > 1500, 'markdown explanation too short');
    const figures = cells.map((cell, index) => ({ cell, index })).filter(({ cell }) => isFigureCell(cell));
    assert.equal(figures.length, EXPECTED[basename(file, '.ipynb')]?.figures.length, 'figure cells (tagged "figure")');
    for (const { index } of figures) {
      const nearby = [cells[index - 2], cells[index - 1], cells[index + 1]].filter(Boolean);
      assert.ok(nearby.some((cell) => cell.cell_type === 'markdown'), `figure cell ${index + 1} has no markdown next to it`);
    }
  });
}

test('the committed notebooks pass nbformat validation (Python nbformat)', (t) => {
  const python = ['/usr/bin/python3', 'python3'].find((candidate) => spawnSync(candidate, ['-c', 'import nbformat'], { stdio: 'ignore' }).status === 0);
  if (!python) return t.skip('Python nbformat is not installed (bash scripts/setup-notebook-env.sh installs it with nbconvert)');
  const script = 'import sys, nbformat\nfor f in sys.argv[1:]:\n    nbformat.validate(nbformat.read(f, as_version=nbformat.NO_CONVERT))\n';
  const result = spawnSync(python, ['-c', script, ...committedNotebooks()], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
});

// ---------------------------------------------------------------------------------------------
// (b) executed through tslab

interface Execution {
  skipReason?: string;
  runFailure?: string;
}

let execution: Execution | undefined;

/** Executes the notebooks whose outputs are missing or stale (once per test process). */
function ensureExecuted(): Execution {
  if (execution) return execution;
  const problem = runner.environmentProblem();
  if (problem) {
    execution = { skipReason: `cannot execute notebooks here: ${problem}` };
    return execution;
  }
  const manifest = runner.readManifest();
  const stale = committedNotebooks().filter((file) => {
    const stem = basename(file, '.ipynb');
    const entry = manifest.notebooks[basename(file)];
    return !entry || entry.fingerprint !== runner.fingerprint(file) || !existsSync(join(runner.DEFAULT_OUT, `${stem}.ipynb`)) || !existsSync(join(runner.DEFAULT_OUT, `${stem}.html`));
  });
  execution = {};
  if (stale.length > 0) {
    const run = spawnSync(process.execPath, [join(ROOT, 'scripts', 'run-notebooks.js'), ...stale.map((file) => basename(file, '.ipynb'))], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 20 * 60 * 1000,
    });
    if (run.status !== 0) execution.runFailure = `scripts/run-notebooks.js exited with ${run.status ?? run.signal}:\n${run.stdout}\n${run.stderr}`;
  }
  return execution;
}

function mimeText(value: unknown): string {
  if (typeof value === 'string') return value;
  return Array.isArray(value) && value.every((line) => typeof line === 'string') ? value.join('') : '';
}

function plotlyBundles(cell: Cell): Record<string, unknown>[] {
  return (cell.outputs ?? []).filter((output) => output.output_type === 'display_data' && output.data?.[PLOTLY_MIME] !== undefined).map((output) => output.data!);
}

interface Trace {
  type?: string;
  mode?: string;
  x?: unknown[];
}

function countMarkers(traces: Trace[]): number {
  return traces.filter((trace) => (trace.type ?? 'scatter') === 'scatter' && (trace.mode ?? '').includes('markers')).reduce((total, trace) => total + (trace.x?.length ?? 0), 0);
}

function barCategories(traces: Trace[]): number {
  const bars = traces.filter((trace) => trace.type === 'bar');
  assert.ok(bars.length > 0, 'no bar traces');
  const lengths = new Set(bars.map((trace) => trace.x?.length ?? 0));
  assert.equal(lengths.size, 1, `bar traces of different lengths: ${[...lengths].join(', ')}`);
  return [...lengths][0];
}

function titleOf(figure: { layout?: { title?: { text?: string } | string } }): string {
  const title = figure.layout?.title;
  return typeof title === 'string' ? title : (title?.text ?? '');
}

for (const [stem, expected] of Object.entries(EXPECTED)) {
  test(`${stem}: executes through tslab and shows its figures`, (t) => {
    const run = ensureExecuted();
    if (run.skipReason) return t.skip(run.skipReason);
    const executedFile = join(runner.DEFAULT_OUT, `${stem}.ipynb`);
    assert.ok(existsSync(executedFile), run.runFailure ?? `${executedFile} is missing`);
    const notebook = readNotebook(executedFile);
    const cells = notebook.cells;
    cells.forEach((cell, index) => {
      for (const output of cell.outputs ?? []) {
        assert.notEqual(output.output_type, 'error', `cell ${index + 1}: error output`);
        // tslab reports compile errors and exceptions on stderr; a shared notebook shows none.
        if (output.output_type === 'stream') assert.notEqual(output.name, 'stderr', `cell ${index + 1} wrote to stderr: ${outputText(output).slice(0, 500)}`);
      }
    });
    // Executed copies are shared: their prompts say in which order the cells ran (In [1], [2], …).
    const counts = cells.filter((cell) => cell.cell_type === 'code').map((cell) => cell.execution_count);
    assert.deepEqual(counts, counts.map((_, index) => index + 1), 'execution counts');
    const figureCells = cells.filter(isFigureCell);
    assert.equal(figureCells.length, expected.figures.length, 'figure cells');

    const dataMissing = expected.needsData && !process.env.EMISHIFT_DATA;
    if (dataMissing) {
      const firstOutput = cells.find((cell) => cell.cell_type === 'code' && (cell.outputs ?? []).length > 0);
      const said = (firstOutput?.outputs ?? []).map(outputText).join('');
      assert.match(said, /SKIPPED/, 'the first output says the notebook skips its figures');
      assert.match(said, /EMISHIFT_DATA/, 'and names the variable to set');
      for (const cell of figureCells) assert.equal(plotlyBundles(cell).length, 0, 'no figure without the data');
      return t.skip('EMISHIFT_DATA is not set: checked that the notebook skips its figures and says so');
    }

    figureCells.forEach((cell, index) => {
      const where = `figure cell ${index + 1} (${sourceText(cell).split('\n')[0]})`;
      const bundles = plotlyBundles(cell);
      assert.equal(bundles.length, 1, `${where}: ${bundles.length} Plotly bundles`);
      const bundle = bundles[0];
      // nbformat stores multi-line text either as one string or as a list of lines.
      for (const mime of ['text/html', 'text/plain']) assert.ok(mimeText(bundle[mime]).length > 0, `${where}: no ${mime} representation`);
      const figure = bundle[PLOTLY_MIME] as { data: Trace[]; layout?: { title?: { text?: string } } };
      assert.ok(Array.isArray(figure.data) && figure.data.length > 0, `${where}: no traces`);
      const want = expected.figures[index];
      if ('markers' in want) assert.equal(countMarkers(figure.data), want.markers, `${where}: scatter markers`);
      else assert.equal(barCategories(figure.data), want.bars, `${where}: bar categories`);
      if (want.titleIncludes) assert.ok(titleOf(figure).includes(want.titleIncludes), `${where}: title "${titleOf(figure)}" lacks "${want.titleIncludes}"`);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// (c) the exported page in a browser

test('01-quickstart.html: headless Chromium draws the scatter plot', (t) => {
  if (!existsSync(CHROMIUM)) return t.skip(`${CHROMIUM} is not installed (apt-get install chromium)`);
  const run = ensureExecuted();
  if (run.skipReason) return t.skip(run.skipReason);
  const page = join(runner.DEFAULT_OUT, '01-quickstart.html');
  assert.ok(existsSync(page), run.runFailure ?? `${page} is missing`);
  const profile = mkdtempSync(join(tmpdir(), 'emishift-chromium-'));
  try {
    // Virtual time lets the page's scripts (plotly.js, ~4.8 MB inline) run to completion
    // before the DOM is serialised, without waiting in real time.
    const result = spawnSync(
      CHROMIUM,
      [
        ...chromiumFlags(profile),
        '--virtual-time-budget=20000',
        '--dump-dom',
        `file://${page}`,
      ],
      { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: 180_000 },
    );
    assert.equal(result.status, 0, `chromium exited with ${result.status ?? result.signal}: ${result.stderr.slice(-2000)}`);
    const dom = result.stdout;
    assert.ok(dom.includes('class="main-svg"'), 'no Plotly SVG in the rendered page');
    // Plotly draws each scatter marker as <path class="point">; the legend's swatches use
    // other classes, so this counts the 11 OOD splits only.
    const points = dom.match(/<path class="point"/g)?.length ?? 0;
    assert.equal(points, 11, `rendered scatter markers: ${points}`);
    assert.doesNotMatch(dom, /class="emishift-figure"[^>]*>plotly\.js is not loaded/, 'the figure script could not find plotly.js');
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
});
