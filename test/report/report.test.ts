import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { isInputError } from '../../src/errors';
import { reportCommand } from '../../src/cli/commands/report';
import { buildReport } from '../../src/report/html';
import { summarizeResults } from '../../src/report/summary';
import { dumpRenderedDom, exportFigureImage, findChromium } from '../../src/report/chromium';
import { figuresFromResults } from '../../src/plots/figures';
import { kendallTauB, pearson, spearman } from '../../src/stats/correlation';
import { sharedDataPath } from '../support/fixtures';

const work = mkdtempSync(join(tmpdir(), 'emishift-report-'));

// Sweep-style results over catalog names: 3 visual, 2 text, 2 joint shifts.
const SPLITS: Record<string, [number, number]> = {
  llava_bench_coco_defocus_blur_1: [0.004, 1.05],
  llava_bench_coco_defocus_blur_3: [0.011, 1.13],
  llava_bench_coco_defocus_blur_5: [0.019, 1.19],
  llava_bench_coco_sr_4: [0.006, 1.3],
  llava_bench_coco_sr_7: [0.012, 1.35],
  llava_bench_coco_frost_3_sr_7: [0.021, 1.55],
  llava_bench_coco_frost_5_KeyboardAug_3: [0.031, 1.72],
};
const names = Object.keys(SPLITS);
const emid = names.map((name) => SPLITS[name][0]);
const bound = names.map((name) => SPLITS[name][1]);
const byName = (values: number[]) => Object.fromEntries(names.map((name, i) => [name, values[i]]));
const SWEEP = {
  id_split: 'llava_bench_coco',
  mixture: 'sample-weighted',
  EMI: { llava_bench_coco: 0.02, ...byName(emid.map((value) => 0.02 - value)) },
  EMID: byName(emid),
  EMID_UB: byName(bound),
  JSD_V: byName(names.map((_, i) => (i === 3 || i === 4 ? 0 : 0.01 * (i + 1)))),
  JSD_T: byName(names.map((_, i) => (i < 3 ? 0 : 0.02 * i))),
  JSD_PY: byName(names.map(() => 0.0016)),
  JSD_QY: byName(names.map((_, i) => 0.002 * (i + 1))),
  PearsonR: pearson(emid, bound).r,
  PearsonPval: pearson(emid, bound).pValue,
};

function withoutPlotlyLibrary(html: string): string {
  // The inlined library is third-party text (it mentions URLs in comments and strings); the
  // checks below are about the page around it.
  const start = html.indexOf('<script type="text/javascript">/* plotly.js');
  const end = html.indexOf('</script>', start);
  assert.ok(start >= 0 && end > start, 'plotly.js is inlined');
  return html.slice(0, start) + html.slice(end);
}

test('buildReport: one self-contained page with the data, and nothing fetched from anywhere', () => {
  const html = buildReport(SWEEP, { source: 'results.json', generatedAt: 'fixed' });
  assert.match(html, /^<!DOCTYPE html>/);
  assert.equal(html.split('inlined from plotly.js-dist-min').length - 1, 1, 'plotly.js inlined exactly once');
  const page = withoutPlotlyLibrary(html);
  assert.doesNotMatch(page, /<script[^>]*\bsrc\s*=/i, 'no script is loaded from a URL');
  assert.doesNotMatch(page, /<link\b/i, 'no stylesheet or preload links');
  assert.doesNotMatch(page, /(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
  assert.doesNotMatch(page, /url\(\s*["']?(https?:)?\/\//i);
  assert.doesNotMatch(page, /@import/i);
  assert.match(page, /Content-Security-Policy" content="default-src 'none'/);
  for (const name of names) assert.ok(page.includes(name), name);
  assert.ok(page.includes('0.0310'), 'per-split EMID is in the table');
  assert.ok(page.includes('1.7200'), 'per-split bound is in the table');
  for (const id of ['figure-emid-vs-bound', 'figure-bound-decomposition', 'figure-bound-vs-severity']) assert.ok(page.includes(`id="${id}"`), id);
  assert.match(page, /Pearson r<\/td><td>0\.\d{3}<\/td>/);
  assert.ok(page.includes('<th>shift family</th>'));
  assert.ok(page.includes('visual shift'));
  const summary = JSON.parse(/<script type="application\/json" id="emishift-summary">([^<]*)<\/script>/.exec(page)![1]);
  assert.equal(summary.splits, names.length);
});

test('summarizeResults: correlations recomputed from the maps, per-family means', () => {
  const summary = summarizeResults(SWEEP);
  assert.equal(summary.format, 'sweep');
  assert.equal(summary.idSplit, 'llava_bench_coco');
  assert.equal(summary.splits, 7);
  assert.equal(summary.pearson.r, pearson(emid, bound).r);
  assert.equal(summary.pearson.p, pearson(emid, bound).pValue);
  assert.equal(summary.spearman.rho, spearman(emid, bound).rho);
  assert.equal(summary.kendall.tau, kendallTauB(emid, bound).tau);
  assert.deepEqual(
    summary.perFamily.map((family) => [family.family, family.n]),
    [
      ['visual shift', 3],
      ['text shift', 2],
      ['joint shift', 2],
    ],
  );
  const visual = summary.perFamily[0];
  assert.ok(Math.abs(visual.meanEmid - (0.004 + 0.011 + 0.019) / 3) < 1e-15);
  assert.ok(Math.abs(visual.meanBound - (1.05 + 1.13 + 1.19) / 3) < 1e-15);
  assert.ok(Math.abs(visual.meanEmi! - (0.02 - (0.004 + 0.011 + 0.019) / 3)) < 1e-15);
  assert.deepEqual(summary.reported, { pearsonR: SWEEP.PearsonR, pearsonPval: SWEEP.PearsonPval });
  assert.throws(() => summarizeResults({ EMID: {}, EMID_UB: {} }), (error: unknown) => isInputError(error) && /0 points/.test((error as Error).message));
});

async function runReport(...argv: string[]): Promise<{ stdout: string; error?: Error }> {
  const original = process.stdout.write.bind(process.stdout);
  let stdout = '';
  (process.stdout as any).write = (chunk: string | Uint8Array) => {
    stdout += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  };
  try {
    await reportCommand.run(argv);
    return { stdout };
  } catch (error) {
    return { stdout, error: error as Error };
  } finally {
    (process.stdout as any).write = original;
  }
}

test('report command: summary JSON and report.html from a sweep file', async () => {
  const file = join(work, 'sweep.json');
  writeFileSync(file, JSON.stringify(SWEEP));
  const out = join(work, 'cli');
  const run = await runReport('--results', file, '--out', out, '--json');
  assert.equal(run.error, undefined, run.error?.message);
  const printed = JSON.parse(run.stdout);
  assert.equal(printed.splits, 7);
  assert.equal(printed.report, join(out, 'report.html'));
  assert.ok(existsSync(join(out, 'report.html')));
  const text = await runReport('--results', file, '--out', out);
  assert.match(text.stdout, /^EMID vs EMID_UB over 7 OOD splits: Pearson r = 0\.\d{3} \(p = /);
  assert.match(text.stdout, /report written to /);
  assert.match(reportCommand.usage, /emishift report --results FILE \[--out DIR\] \[--json\] \[--png\] \[--svg\]/);
});

test('report command: bad input is one InputError naming the file and the problem', async () => {
  const missingOption = await runReport('--out', work);
  assert.ok(isInputError(missingOption.error));
  assert.match(missingOption.error!.message, /missing required option --results/);

  const absent = await runReport('--results', join(work, 'absent.json'));
  assert.ok(isInputError(absent.error));
  assert.match(absent.error!.message, /absent\.json: file not found$/);

  const nanFile = join(work, 'nan.json');
  writeFileSync(nanFile, JSON.stringify(SWEEP).replace('"llava_bench_coco_sr_4":0.006', '"llava_bench_coco_sr_4":NaN'));
  const nan = await runReport('--results', nanFile, '--out', join(work, 'nan'));
  assert.ok(isInputError(nan.error));
  assert.match(nan.error!.message, /nan\.json: EMID\['llava_bench_coco_sr_4'\]: expected a finite number, got null \(NaN in the file\?\)/);
  assert.equal(existsSync(join(work, 'nan', 'report.html')), false, 'no report from bad input');

  const other = join(work, 'other.json');
  writeFileSync(other, JSON.stringify({ hello: 'world' }));
  const neither = await runReport('--results', other, '--out', join(work, 'other'));
  assert.ok(isInputError(neither.error));
  assert.match(neither.error!.message, /other\.json: not a results file: missing the 'EMID' map/);

  const tiny = join(work, 'tiny.json');
  writeFileSync(tiny, JSON.stringify({ EMI: {}, EMID: { a: 0.1, b: 0.2 }, EMID_UB: { a: 1, b: 2 }, PearsonR: 1, PearsonPval: 0 }));
  const few = await runReport('--results', tiny, '--out', join(work, 'tiny'));
  assert.ok(isInputError(few.error));
  assert.match(few.error!.message, /tiny\.json: EMID: 2 points: a correlation needs at least 3/);
});

test('report command on the four published results files (EMISHIFT_DATA)', async (t) => {
  const folder = sharedDataPath('official-results');
  if (!folder.path) return t.skip(folder.skipReason);
  const expected: Record<string, number> = {
    'pairs-SYNTHETIC-ALL-llava-v1.5-13b-CLUB_global.json': 0.579,
    'pairs-SYNTHETIC-ALL-llava-v1.6-vicuna-13b-CLUB_global.json': 0.739,
    'pairs-NATURAL-ALL-llava-v1.5-13b-CLUB_global.json': 0.876,
    'pairs-NATURAL-ALL-llava-v1.6-vicuna-13b-CLUB_global.json': 0.689,
  };
  for (const [name, r] of Object.entries(expected)) {
    const file = join(folder.path, name);
    const out = join(work, basename(name, '.json'));
    const run = await runReport('--results', file, '--out', out, '--json');
    assert.equal(run.error, undefined, run.error?.message);
    const summary = JSON.parse(run.stdout);
    assert.equal(summary.format, 'reference');
    assert.equal(summary.pearson.r.toFixed(3), r.toFixed(3), name);
    assert.ok(Math.abs(summary.pearson.r - summary.reported.pearsonR) < 1e-12, 'recomputed r equals the published one');
    assert.ok(Math.abs(summary.pearson.p - summary.reported.pearsonPval) / summary.reported.pearsonPval < 1e-9, 'and so does p');
    const published = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(summary.splits, Object.keys(published.EMID).length);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    for (const split of Object.keys(published.EMID)) assert.ok(html.includes(split), split);
  }
});

const chromium = findChromium();
const noChromium = chromium ? undefined : 'headless Chromium is not installed (apt-get install chromium); rendering checks skipped';

test('without Chromium, image export says how to install it', async () => {
  const figure = figuresFromResults(SWEEP)[0].figure;
  await assert.rejects(exportFigureImage(figure, join(work, 'x.png'), { format: 'png', chromium: '/nonexistent/chromium' }), (error: unknown) => {
    assert.ok(isInputError(error));
    assert.match((error as Error).message, /headless Chromium not found at \/nonexistent\/chromium: install it with 'apt-get install chromium'/);
    return true;
  });
  const saved = process.env.EMISHIFT_CHROMIUM;
  process.env.EMISHIFT_CHROMIUM = '/nonexistent/chromium';
  try {
    const file = join(work, 'sweep-nochromium.json');
    writeFileSync(file, JSON.stringify(SWEEP));
    const out = join(work, 'nochromium');
    const run = await runReport('--results', file, '--out', out, '--png');
    assert.ok(isInputError(run.error));
    assert.match(run.error!.message, /^--png: headless Chromium not found .*apt-get install chromium.*report\.html was written, the images were not$/);
    assert.ok(existsSync(join(out, 'report.html')));
  } finally {
    if (saved === undefined) delete process.env.EMISHIFT_CHROMIUM;
    else process.env.EMISHIFT_CHROMIUM = saved;
  }
});

/** The rendered DOM of one figure's div, up to the next figure. */
function figureDom(dom: string, id: string): string {
  const start = dom.indexOf(`id="figure-${id}"`);
  assert.ok(start >= 0, `figure ${id} is in the page`);
  const next = dom.indexOf('id="figure-', start + 1);
  return dom.slice(start, next < 0 ? undefined : next);
}

test('headless Chromium draws the report offline: every split is a point in the scatter', { skip: noChromium }, async () => {
  const file = join(work, 'render.html');
  writeFileSync(file, buildReport(SWEEP));
  const dom = await dumpRenderedDom(file);
  const scatter = figureDom(dom, 'emid-vs-bound');
  assert.match(scatter, /class="main-svg"/, 'plotly drew an SVG');
  assert.equal((scatter.match(/class="point"/g) ?? []).length, names.length, 'one marker per OOD split');
  assert.match(scatter, /Pearson r = /, 'the title is drawn');
  const bars = figureDom(dom, 'bound-decomposition');
  assert.equal((bars.match(/class="point"/g) ?? []).length, 4 * names.length, 'four stacked bars per split');
  assert.doesNotMatch(dom, />plotly\.js failed to load/, 'no figure fell back to its error text');
});

test('PNG and SVG export through headless Chromium', { skip: noChromium }, async () => {
  const figure = figuresFromResults(SWEEP)[0].figure;
  const png = join(work, 'images', 'scatter.png');
  await exportFigureImage(figure, png, { format: 'png', width: 600, height: 400, scale: 1 });
  const bytes = readFileSync(png);
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
  assert.equal(bytes.toString('ascii', 12, 16), 'IHDR');
  assert.equal(bytes.readUInt32BE(16), 600, 'width');
  assert.equal(bytes.readUInt32BE(20), 400, 'height');
  assert.ok(bytes.length > 10_000, 'not a blank image');
  const svg = join(work, 'images', 'scatter.svg');
  await exportFigureImage(figure, svg, { format: 'svg' });
  const text = readFileSync(svg, 'utf8');
  assert.match(text, /^<svg/);
  assert.equal((text.match(/class="point"/g) ?? []).length, names.length);
});
