import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { isInputError } from '../../src/errors';
import { reportCommand } from '../../src/cli/commands/report';
import { buildReport } from '../../src/report/html';
import { summarizeResults } from '../../src/report/summary';
import { fromResultsJson, readResults } from '../../src/sweep/resultsJson';
import { dumpRenderedDom, exportFigureImage, findChromium } from '../../src/report/chromium';
import { boundSeverityCurves, emidBoundScatter, emiVersusRp, estimatorValidation, figuresFromResults, trainingCurve, type PlotlyFigure } from '../../src/plots/figures';
import { createDisplayState, displayBundle } from '../../src/plots/display';
import { formatPValue } from '../../src/plots/format';
import { shiftInfoOf } from '../../src/plots/shift';
import { kendallTauB, pearson, spearman } from '../../src/stats/correlation';
import { benjaminiHochberg } from '../../src/stats/multipleTesting';
import { sharedDataPath } from '../support/fixtures';
import { benchmarkResults, SHA } from './benchmarkFixture';
import { layoutProblems, measurePage } from './layoutCheck';

const SYNTHETIC_RP = [0.1, 0.2, 0.15, 0.4, 0.35].map((emi, i) => ({ split: `llava_bench_coco_frost_${[1, 3, 5][i % 3]}${i > 2 ? '_sr_4' : ''}`, emi, rp: 0.5 + emi + (i % 2) * 0.01 }));

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
const SWEEP_JSON = {
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
const SWEEP = fromResultsJson(SWEEP_JSON);

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
  for (const name of names) assert.ok(page.includes(name.replace(/_/g, '_<wbr>')), name);
  // One format per column: EMID's values have 3 decimals, the bound's 2; no padding zeros.
  assert.ok(page.includes('<td class="num">0.031</td>'), 'per-split EMID is in the table');
  assert.ok(page.includes('<td class="num">1.72</td>'), 'per-split bound is in the table');
  const splitTable = page.slice(page.indexOf('<h2>Per OOD split</h2>'));
  assert.ok(!splitTable.includes('0.0310') && !splitTable.includes('1.7200'), 'no zeros the values do not have');
  for (const id of ['figure-emid-vs-bound', 'figure-bound-decomposition', 'figure-bound-vs-severity']) assert.ok(page.includes(`id="${id}"`), id);
  assert.match(page, new RegExp(`Pearson r</td><td class="num">${pearson(emid, bound).r.toFixed(3)}</td><td class="num">${formatPValue(pearson(emid, bound).pValue)}</td>`), 'coefficients and p-values right-aligned');
  assert.ok(page.includes('<th>shift family</th>'));
  for (const family of ['defocus blur', 'synonym replacement', 'frost + synonym replacement', 'frost + keyboard typos']) assert.ok(page.includes(`<td>${family}</td>`), family);
  assert.doesNotMatch(page, /<td>(sr|KeyboardAug|defocus_blur|visual shift)<\/td>/, 'no generator tokens in the tables');
  assert.match(page, /<h2 id="provenance">How these results were made<\/h2>\s*<p class="note">The results file holds no provenance record/);
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
    summary.perFamily.map((family) => [family.family, family.familyKey, family.modality, family.n, family.severities.join(' ')]),
    [
      ['defocus blur', 'defocus_blur', 'image', 3, '1 3 5'],
      ['synonym replacement', 'synonym_replacement', 'text', 2, '4 7'],
      ['frost + synonym replacement', 'frost+synonym_replacement', 'joint', 1, ''],
      ['frost + keyboard typos', 'frost+keyboard_typos', 'joint', 1, ''],
    ],
  );
  assert.equal(summary.perFamily[0].unit, 'ImageNet-C level');
  assert.equal(summary.quality, undefined, 'no quality map, no quality summary');
  const visual = summary.perFamily[0];
  assert.ok(Math.abs(visual.meanEmid - (0.004 + 0.011 + 0.019) / 3) < 1e-15);
  assert.ok(Math.abs(visual.meanBound - (1.05 + 1.13 + 1.19) / 3) < 1e-15);
  assert.ok(Math.abs(visual.meanEmi! - (0.02 - (0.004 + 0.011 + 0.019) / 3)) < 1e-15);
  assert.deepEqual(summary.reported, { pearsonR: SWEEP_JSON.PearsonR, pearsonPval: SWEEP_JSON.PearsonPval });
  assert.throws(() => summarizeResults(fromResultsJson({ EMI: { id: 0 }, EMID: {}, EMID_UB: {} })), (error: unknown) => isInputError(error) && /0 points/.test((error as Error).message));
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
  writeFileSync(file, JSON.stringify(SWEEP_JSON));
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
  // The per-family means are an aligned table with one format per column.
  const table = text.stdout.split('\n').filter((line) => /^(shift family|defocus blur|synonym replacement|frost \+)/.test(line));
  assert.equal(table.length, 5, text.stdout);
  assert.match(table[0], /^shift family\s+splits\s+mean EMID\s+mean bound$/);
  assert.equal(new Set(table.map((line) => line.length)).size, 1, 'numbers right-aligned to one edge');
  assert.match(table[1], /^defocus blur\s+3\s+0\.01133\s+1\.123$/);
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
  writeFileSync(nanFile, JSON.stringify(SWEEP_JSON).replace('"llava_bench_coco_sr_4":0.006', '"llava_bench_coco_sr_4":NaN'));
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
  const noEmi = await runReport('--results', tiny, '--out', join(work, 'tiny'));
  assert.match(noEmi.error!.message, /tiny\.json: EMI: EMID has 'a', 'b', but EMI has no value for them/);
  writeFileSync(tiny, JSON.stringify({ EMI: { id: 0.3, a: 0.2, b: 0.1 }, EMID: { a: 0.1, b: 0.2 }, EMID_UB: { a: 1, b: 2 }, PearsonR: 1, PearsonPval: 0 }));
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
    writeFileSync(file, JSON.stringify(SWEEP_JSON));
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

// ---------------------------------------------------------------------------------------------
// The main job's report: quality, real families, severity figure, provenance

function section(page: string, heading: RegExp): string {
  const match = heading.exec(page);
  assert.ok(match, `section ${heading}`);
  const rest = page.slice(match.index + match[0].length);
  const next = rest.search(/<h2[ >]/);
  return next < 0 ? rest : rest.slice(0, next);
}

const rowsOf = (html: string) => (html.match(/<tr>[\s\S]*?<\/tr>/g) ?? []).slice(1);
const cellsOf = (row: string) => [...row.matchAll(/<t[dh](?:\s[^>]*)?>([\s\S]*?)<\/t[dh]>/g)].map((match) => match[1].replace(/<wbr>/g, ''));

test('the main job\'s report shows what it measured: accuracy column, EMI vs. accuracy, one row per real family', () => {
  const results = benchmarkResults();
  const page = withoutPlotlyLibrary(buildReport(fromResultsJson(results), { generatedAt: 'fixed' }));
  const accuracy = results.ACCURACY as Record<string, number>;
  const emi = results.EMI as Record<string, number>;
  const names = Object.keys(emi);

  // EMI vs. accuracy, recomputed, beside what the file reports.
  const qualitySection = section(page, /<h2>Does EMI track the accuracy\?<\/h2>/);
  const rho = spearman(names.map((split) => emi[split]), names.map((split) => accuracy[split]));
  const tau = kendallTauB(names.map((split) => emi[split]), names.map((split) => accuracy[split]));
  const qualityRows = rowsOf(qualitySection).map(cellsOf);
  assert.deepEqual(qualityRows[0], ['Spearman ρ', rho.rho.toFixed(3), formatPValue(rho.pValue), '43']);
  assert.deepEqual(qualityRows[1].slice(1), [tau.tau.toFixed(3), formatPValue(tau.pValue), '43']);
  assert.equal(qualityRows.length, 4, 'recomputed and as reported in the file');
  assert.ok(page.includes('id="figure-emi-vs-quality"'));

  // Per family: one row per family of SHIFT, severities with their unit.
  const families = rowsOf(section(page, /<h2>Per shift family<\/h2>/)).map(cellsOf);
  assert.deepEqual(
    families.map((row) => row[0]),
    ['defocus blur', 'frost', 'Gaussian noise', 'contrast', 'synonym replacement', 'keyboard typos', 'word-order noise', 'defocus blur + synonym replacement', 'defocus blur + keyboard typos', 'frost + synonym replacement', 'frost + keyboard typos'],
  );
  assert.deepEqual(families[4].slice(1, 4), ['text', '2', '4, 7 (tenths of the words replaced)']);
  assert.deepEqual(families[7].slice(1, 4), ['both', '6', '']);
  const header = cellsOf((section(page, /<h2>Per shift family<\/h2>/).match(/<thead>[\s\S]*?<\/thead>/) ?? [''])[0]);
  assert.ok(header.includes('mean accuracy'));
  const blurAccuracy = ['shift_defocus_blur_1', 'shift_defocus_blur_3', 'shift_defocus_blur_5'].reduce((sum, split) => sum + accuracy[split], 0) / 3;
  assert.equal(families[0][header.indexOf('mean accuracy')], blurAccuracy.toFixed(4));

  // Per split: the accuracy as a column, one format for it, the family in words.
  const splitSection = section(page, /<h2>Per OOD split<\/h2>/);
  const splitHeader = cellsOf((splitSection.match(/<thead>[\s\S]*?<\/thead>/) ?? [''])[0]);
  assert.deepEqual(splitHeader.slice(0, 5), ['OOD split', 'shift family', 'severity', 'accuracy', 'EMI']);
  const splitRows = rowsOf(splitSection).map(cellsOf);
  assert.equal(splitRows.length, 42);
  const frost3 = splitRows.find((row) => row[0] === 'shift_frost_3')!;
  assert.deepEqual(frost3.slice(1, 4), ['frost', '3', accuracy.shift_frost_3.toFixed(4)]);
  // jsd_t of image-only splits is rounding noise in the file; the table says 0 in the column's format.
  const jsdT = splitHeader.indexOf('jsd_t');
  assert.equal(frost3[jsdT], '0.0000');
  assert.doesNotMatch(splitSection, /e-16/);
  assert.match(page, /its accuracy: 0\.\d{4}/, 'the ID split\'s accuracy is stated');
});

test('provenance: a readable "How these results were made" section, keys in reading order, digests shortened', () => {
  const page = withoutPlotlyLibrary(buildReport(fromResultsJson(benchmarkResults()), { generatedAt: 'fixed' }));
  const provenance = section(page, /<h2 id="provenance">How these results were made<\/h2>/);
  const topKeys = [...provenance.matchAll(/<dt title="([^"]+)">/g)].map((match) => match[1]);
  const order = ['emishift_version', 'invocation', 'estimator', 'splits', 'mixture', 'entropy_scale', 'bootstrap'];
  const positions = order.map((key) => topKeys.indexOf(key));
  assert.ok(positions.every((position) => position >= 0), `all top-level keys shown: ${topKeys.join(', ')}`);
  assert.deepEqual([...positions].sort((a, b) => a - b), positions, 'version, command/config, estimator, splits, mixture, entropy, bootstrap');
  assert.match(provenance, /<dt title="emishift_version">emishift version<\/dt><dd>0\.1\.0<\/dd>/, 'keys in words');
  assert.ok(provenance.includes(`<code title="${SHA}">${SHA.slice(0, 12)}…</code>`), 'a SHA-256 shortened, the full value in its title');
  assert.ok(!provenance.replace(/title="[^"]*"/g, '').includes(SHA), 'the full digest only in the title');
  assert.match(provenance, /the same for all 43:/, 'what every split shares is printed once');
  assert.match(provenance, /<details><summary>manifest digest, directory, shift of each of the 43<\/summary>/, 'what varies is folded away');
  assert.match(provenance, /<dt title="bootstrap">bootstrap<\/dt><dd><span class="none">none<\/span><\/dd>/);
  assert.doesNotMatch(page, /class="warning"/, 'no mismatch allowed, no warning');

  const allowed = withoutPlotlyLibrary(buildReport(fromResultsJson(benchmarkResults({ allowSpaceMismatch: true })), { generatedAt: 'fixed' }));
  assert.match(allowed, /<p class="warning"><strong>The embedding-space check was overridden\.<\/strong>[^\n]*<code>space_check.allow_mismatch<\/code>/);
  assert.throws(() => fromResultsJson({ ...benchmarkResults(), provenance: [1] }), (error: unknown) => isInputError(error) && /provenance: expected an object, got an array/.test((error as Error).message));
});

test('results without SHIFT, quality or provenance still report (the published files have none)', () => {
  const page = withoutPlotlyLibrary(buildReport(fromResultsJson(benchmarkResults({ shift: false, quality: false, provenance: false })), { generatedAt: 'fixed' }));
  assert.match(page, /shift families from the split names/);
  assert.match(page, /<h2>Does EMI track the accuracy\?<\/h2>/, 'the ACCURACY map is found without a quality declaration');
  assert.deepEqual(rowsOf(section(page, /<h2>Per shift family<\/h2>/)).map((row) => cellsOf(row)[0]), ['other']);
  assert.ok(!page.includes('id="figure-bound-vs-severity"'), 'no severity figure without severities');
  assert.match(page, /holds no provenance record/);
});

test('report command: the summary JSON carries EMI vs. quality and the families', async () => {
  const file = join(work, 'bench.json');
  writeFileSync(file, JSON.stringify(benchmarkResults()));
  const run = await runReport('--results', file, '--out', join(work, 'bench'), '--json');
  assert.equal(run.error, undefined, run.error?.message);
  const summary = JSON.parse(run.stdout);
  assert.equal(summary.quality.key, 'ACCURACY');
  assert.equal(summary.quality.n, 43);
  assert.equal(summary.perFamily.length, 11);
  const text = await runReport('--results', file, '--out', join(work, 'bench'));
  assert.match(text.stdout, /\nEMI vs accuracy over 43 splits: Spearman rho = 0\.\d{3} \(p = \d\.\d{2}e-\d+\), Kendall tau-b = /);
  assert.match(text.stdout, /\nshift family\s+splits\s+mean accuracy\s+mean EMID\s+mean bound\n/);
});

// ---------------------------------------------------------------------------------------------
// Every figure fits and reads well in a browser, at a narrow and a wide window

const WIDTHS = [1000, 1920];

test('the report in Chromium at 1000 and 1920 px: every figure fits its column, no text overlaps, every point is drawn', { skip: noChromium }, () => {
  const pages = measurePage(buildReport(fromResultsJson(benchmarkResults()), { generatedAt: 'fixed' }), WIDTHS);
  const expected = { 'figure-emid-vs-bound': 42, 'figure-emi-vs-quality': 43, 'figure-bound-vs-severity': 2 * 18, 'figure-bound-decomposition': 4 * 42 };
  for (const page of pages) {
    assert.equal(page.viewport, page.windowWidth, 'the window width took effect');
    assert.deepEqual(page.figures.map((figure) => figure.id), Object.keys(expected));
    assert.deepEqual(layoutProblems(page, expected), []);
    for (const figure of page.figures) {
      const width = figure.box.right - figure.box.left;
      assert.ok(width >= Math.min(page.viewport, 1200) - 2 * 16 - 40, `${figure.id} fills its column at ${page.windowWidth} px (${width} px)`);
      assert.ok(figure.parts.some((part) => part.kind === 'title'), `${figure.id} has its title drawn`);
    }
  }
  // The figures follow the column: narrower at 1000 px than at 1920 px (the column stops at 1200 px).
  assert.ok(pages[0].figures[0].box.right - pages[0].figures[0].box.left < pages[1].figures[0].box.right - pages[1].figures[0].box.left);
});

test('show() bundles in Chromium at 1000 and 1920 px: every figure of a notebook fits its output area', { skip: noChromium }, () => {
  const figures: PlotlyFigure[] = figuresFromResults(fromResultsJson(benchmarkResults())).map((named) => named.figure);
  figures.push(
    trainingCurve(Array.from({ length: 30 }, (_, i) => ({ epoch: i + 1, trainLoss: 3 / (i + 1), validationLoss: 3.2 / (i + 1) + 0.002 * i, seconds: 0.1 }))),
    estimatorValidation([0, 0.2, 0.4, 0.5, 0.6, 0.7, 0.8].map((rho) => ({ trueMi: -4 * Math.log(1 - rho * rho), estimate: 7.6 * rho * rho / (1 - rho * rho), expected: 8 * rho * rho / (1 - rho * rho), label: `ρ = ${rho}` })), { title: 'CLUB on Gaussian pairs (d = 8)', expectedName: 'CLUB population value' }),
    emiVersusRp(SYNTHETIC_RP, { title: 'EMI vs. RP, judge gpt-4o', subtitle: 'llava-v1.5-13b answers, synthetic shifts, built-in text embedder' }),
    boundSeverityCurves(
      [1, 3, 5].flatMap((level) => [
        { family: 'image shift', severity: level, emid: 0.01 * level, bound: 1 + 0.1 * level },
        { family: 'question shift', severity: level, emid: 0.02 * level, bound: 1.1 + 0.1 * level },
      ]),
      { severityTitle: 'total shift severity s_v + s_t (image level + question level)', subtitle: 'shift grid, ID split image0_question0' },
    ),
    emidBoundScatter(
      Array.from({ length: 11 }, (_, i) => ({ split: `image${i % 4}_question${i % 3}`, emid: 0.05 * i, bound: 1 + 0.07 * i + 0.01 * (i % 3), family: ['image shift', 'question shift', 'joint shift'][i % 3] })),
      { title: 'Shift grid: EMID vs. its upper bound', subtitle: 'ID split image0_question0, 11 shifted splits, CLUB trained on the pooled splits' },
    ),
  );
  const state = createDisplayState({ idPrefix: 'cell' });
  // A notebook output area: the prompt gutter on the left, a margin on the right.
  const outputs = figures.map((figure) => `<div class="output">${displayBundle(figure, state)['text/html']}</div>`).join('\n');
  const html = `<!DOCTYPE html><html><head><meta charset="utf-8"></head><body style="margin:0"><main style="margin: 0 24px 0 96px">${outputs}</main></body></html>`;
  const expected = { 'cell-1': 42, 'cell-2': 43, 'cell-3': 36, 'cell-4': 168, 'cell-5': 60, 'cell-6': 14, 'cell-7': SYNTHETIC_RP.length, 'cell-8': 12, 'cell-9': 11 };
  for (const page of measurePage(html, WIDTHS)) {
    assert.equal(page.figures.length, figures.length);
    assert.deepEqual(layoutProblems(page, expected), []);
  }
});

test('the layout check catches what it is for: a figure wider than its column, a title on an axis title', { skip: noChromium }, () => {
  const figure = figuresFromResults(fromResultsJson(benchmarkResults()))[0].figure;
  const tooWide = { ...figure, layout: { ...figure.layout, width: 1400, autosize: false } };
  const crowded = { ...figure, layout: { ...figure.layout, title: { text: 'a title pushed onto the x-axis title', x: 0.5, xref: 'paper' as const, y: 0.02, yref: 'container' as const } } };
  const state = createDisplayState({ idPrefix: 'bad' });
  const html = `<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><main style="width: 900px">${displayBundle(tooWide, state)['text/html']}${displayBundle(crowded, state)['text/html']}</main></body></html>`;
  const [page] = measurePage(html, [1000]);
  const problems = layoutProblems(page, { 'bad-1': 42 });
  assert.ok(problems.some((problem) => /bad-1: (figure .* does not fit its column|plot is 1400 px wide)/.test(problem)), problems.join('\n'));
  assert.ok(problems.some((problem) => /bad-2: title .* overlaps (axis-title|legend|tick)/.test(problem)), problems.join('\n'));
});

test('the published results render cleanly too: families from the catalog, every figure fits (EMISHIFT_DATA)', { skip: noChromium }, (t) => {
  const folder = sharedDataPath('official-results');
  if (!folder.path) return t.skip(folder.skipReason);
  for (const name of ['pairs-SYNTHETIC-ALL-llava-v1.5-13b-CLUB_global.json', 'pairs-NATURAL-ALL-llava-v1.5-13b-CLUB_global.json']) {
    const published = JSON.parse(readFileSync(join(folder.path, name), 'utf8'));
    const result = readResults(join(folder.path, name));
    const splits = Object.keys(published.EMID);
    // Single-axis splits with a numeric severity, in families that have two or more of them.
    const single = splits.map(shiftInfoOf).filter((shift) => (shift.modality === 'image' || shift.modality === 'text') && shift.severity !== null);
    const perFamily = new Map<string, number>();
    for (const shift of single) perFamily.set(shift.family, (perFamily.get(shift.family) ?? 0) + 1);
    const severityPoints = 2 * single.filter((shift) => (perFamily.get(shift.family) ?? 0) >= 2).length;
    const expected: Record<string, number> = { 'figure-emid-vs-bound': splits.length, ...(severityPoints > 0 ? { 'figure-bound-vs-severity': severityPoints } : {}) };
    const html = buildReport(result, { generatedAt: 'fixed' });
    assert.doesNotMatch(withoutPlotlyLibrary(html), /<td>other<\/td>/, `${name}: every published split has a catalog family`);
    for (const page of measurePage(html, WIDTHS)) {
      assert.deepEqual(page.figures.map((figure) => figure.id), Object.keys(expected), name);
      assert.deepEqual(layoutProblems(page, expected), [], name);
    }
  }
});

test('with permutation p-values the per-split table shows p, BH q and which splits are significant; without them nothing changes', () => {
  // EMID p-values at the floor of 100 permutations for the harsher splits, large for the milder ones.
  const emidP = [0.5, 0.2, 0.0099, 0.3, 0.04, 0.0099, 0.0099];
  const qValues = benjaminiHochberg(emidP);
  const json = {
    ...SWEEP_JSON,
    EMID_PVAL: byName(emidP),
    EMID_UB_PVAL: byName(names.map((_, i) => (i + 1) / 10)),
    JSD_V_PVAL: byName(names.map(() => 1)),
    JSD_T_PVAL: byName(names.map(() => 0.5)),
    EMID_QVAL: byName(qValues),
  };
  const page = withoutPlotlyLibrary(buildReport(fromResultsJson(json), { generatedAt: 'fixed' }));
  const splitSection = section(page, /<h2>Per OOD split<\/h2>/);
  const header = cellsOf((splitSection.match(/<thead>[\s\S]*?<\/thead>/) ?? [''])[0]);
  assert.deepEqual(header.slice(-6), ['EMID p', 'EMID q', 'significant', 'bound p', 'jsd_v p', 'jsd_t p']);
  const rows = rowsOf(splitSection).map(cellsOf);
  assert.equal(rows.length, names.length);
  rows.forEach((row) => {
    const i = names.indexOf(row[0]);
    assert.equal(row[header.indexOf('EMID p')], formatPValue(emidP[i]), row[0]);
    assert.equal(row[header.indexOf('EMID q')], formatPValue(qValues[i]), row[0]);
    // Significance is read from the q-value: p = 0.04 alone would pass 0.05, its q does not.
    assert.equal(row[header.indexOf('significant')], qValues[i] < 0.05 ? 'yes' : 'no', row[0]);
  });
  assert.equal(rows.filter((row) => row[header.indexOf('significant')] === 'yes').length, 3);
  assert.ok(qValues[4] >= 0.05 && emidP[4] < 0.05, 'the fixture has a split that only the adjustment makes non-significant');
  assert.match(splitSection, /one-sided permutation p-values/);
  assert.match(splitSection, /Benjamini–Hochberg/);

  // Without q-values, significance is the p-value's; without p-values, no such columns.
  const { EMID_QVAL: _q, ...unadjusted } = json;
  const unadjustedSection = section(withoutPlotlyLibrary(buildReport(fromResultsJson(unadjusted), { generatedAt: 'fixed' })), /<h2>Per OOD split<\/h2>/);
  const unadjustedHeader = cellsOf((unadjustedSection.match(/<thead>[\s\S]*?<\/thead>/) ?? [''])[0]);
  assert.ok(!unadjustedHeader.includes('EMID q'));
  assert.equal(rowsOf(unadjustedSection).map(cellsOf).filter((row) => row[unadjustedHeader.indexOf('significant')] === 'yes').length, 4);
  const plain = section(withoutPlotlyLibrary(buildReport(SWEEP, { generatedAt: 'fixed' })), /<h2>Per OOD split<\/h2>/);
  assert.doesNotMatch(plain, /EMID p|significant|permutation/);
});
