/**
 * Monitoring a stream against a reference: window values are those of a comparison of the
 * reference with the window's rows, alerts are decided online and fire after a change (and at
 * most at the stated rate before it), the log resumes after a kill, and bad input is named.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClubEstimator } from '../../src/estimators/club/clubEstimator';
import { initClubParameters } from '../../src/estimators/club/clubModel';
import { monitorStream, adjustedPValue, windowBounds, windowOf } from '../../src/monitor/monitorStream';
import { monitorToLog, readMonitorLog } from '../../src/monitor/monitorLog';
import { permutationTest } from '../../src/significance/permutationTest';
import { comparePair } from '../../src/sweep/sweep';
import { benjaminiHochberg } from '../../src/stats/multipleTesting';
import { InputError } from '../../src/errors';
import type { EmbeddingSet, Matrix } from '../../src/interface';
import { syntheticSet, unitRows } from '../support/synthetic';

const club = (dim: number) => new ClubEstimator(initClubParameters({ xDim: dim, yDim: dim, hiddenDim: 8 }, 1));
const work = mkdtempSync(join(tmpdir(), 'emishift-monitor-'));

/** Rows of `a` then rows of `b`. */
function stack(a: Matrix, b: Matrix): Matrix {
  const data = new Float32Array(a.data.length + b.data.length);
  data.set(a.data, 0);
  data.set(b.data, a.data.length);
  return { rows: a.rows + b.rows, cols: a.cols, data };
}

/** A stream of `clean` rows drawn like the reference's population, then `shifted` rows whose queries and answers are shifted by `offset`. */
function driftingStream(clean: number, shifted: number, dim: number, seed: number, offset: number): EmbeddingSet {
  const before = syntheticSet(clean, dim, seed);
  const after = syntheticSet(shifted, dim, seed + 1, { offset });
  return {
    name: 'stream',
    image: stack(before.image as Matrix, after.image as Matrix),
    text: stack(before.text, after.text),
    response: stack(before.response, after.response),
    reference: stack(before.reference, after.reference),
  };
}

test('windows: every full window, side by side or overlapping, none past the end', () => {
  assert.deepEqual(windowBounds(10, 4, 4), [{ start: 0, end: 4 }, { start: 4, end: 8 }]);
  assert.deepEqual(windowBounds(10, 4, 3), [{ start: 0, end: 4 }, { start: 3, end: 7 }, { start: 6, end: 10 }]);
  assert.deepEqual(windowBounds(4, 4, 1), [{ start: 0, end: 4 }]);
});

test('adjusted p-values: Bonferroni is m × the smallest (capped), BH the smallest q-value', () => {
  assert.equal(adjustedPValue([0.01, 0.2, 0.5, 0.9], 'bonferroni'), 0.04);
  assert.equal(adjustedPValue([0.3, 0.5], 'bonferroni'), 0.6);
  assert.equal(adjustedPValue([0.4, 0.5], 'bonferroni'), 0.8);
  assert.equal(adjustedPValue([0.6, 0.7], 'bonferroni'), 1);
  const ps = [0.012, 0.013, 0.014, 0.5];
  assert.equal(adjustedPValue(ps, 'bh'), Math.min(...benjaminiHochberg(ps)));
  // BH (Simes) is never above Bonferroni: here 4·0.014/3 < 4·0.012.
  assert.ok(adjustedPValue(ps, 'bh') < adjustedPValue(ps, 'bonferroni'));
});

test("each window's values are a comparison of the reference with the window's rows, and its p-values the permutation test's", async () => {
  const dim = 8;
  const reference = syntheticSet(30, dim, 1, { name: 'reference' });
  const stream = driftingStream(40, 20, dim, 2, 1);
  const estimator = club(dim);
  const result = await monitorStream(reference, stream, estimator, { window: 20, step: 10, permutations: 99, seed: 5, entropyScale: 1.5 });
  assert.equal(result.windows.length, 5);
  for (const window of result.windows) {
    const part = windowOf(stream, window.start, window.end);
    const pair = await comparePair(reference, part, estimator, { entropyScale: 1.5, warn: () => {} });
    // EMI of the window from one pass over the stream, reduced in float64; the pair's in float32.
    assert.ok(Math.abs(window.emid - pair.emid) < 1e-6, `window ${window.index}: ${window.emid} vs ${pair.emid}`);
    assert.ok(Math.abs(window.emi.miModel - pair.targetEmi.miModel) < 1e-6);
    assert.equal(window.emidUpperBound, pair.emidUpperBound);
    assert.equal(window.emidUpperBoundFull, pair.emidUpperBoundFull);
    assert.deepEqual(window.terms, pair.terms);
    const tested = await permutationTest(reference, part, estimator, { permutations: 99, seed: 5, entropyScale: 1.5 });
    for (const name of ['emid', 'jsd_v', 'jsd_t', 'emid_ub'] as const) assert.equal(window.pValues?.[name], tested.statistics[name]?.pValue, name);
    assert.equal(window.adjustedPValue, adjustedPValue(Object.values(window.pValues ?? {}), 'bonferroni'));
    assert.equal(window.alert, (window.adjustedPValue as number) < 0.05);
  }
  assert.ok(Math.abs(result.reference.emi.emi - (result.windows[0].emid + result.windows[0].emi.emi)) < 1e-12);
  assert.match(result.provenance.alert_rule, /Bonferroni over the window's 4 p-values/);
  assert.deepEqual(result.provenance.estimator, estimator.description);
  assert.equal(result.provenance.warnings.length, 0);
});

test('alerts are online: a window’s alert is the same whether the stream ends after it or goes on', async () => {
  const dim = 6;
  const reference = syntheticSet(24, dim, 3);
  const stream = driftingStream(48, 24, dim, 4, 2);
  const estimator = club(dim);
  const options = { window: 12, permutations: 49, seed: 1 };
  const whole = await monitorStream(reference, stream, estimator, options);
  const prefix = await monitorStream(reference, windowOf(stream, 0, 36), estimator, options);
  assert.deepEqual(prefix.windows, whole.windows.slice(0, 3));
});

test('a stream that drifts half-way alerts after the change, and before it at most at the rate α', async () => {
  // Five independent replicates (each its own reference of 40 rows and stream), 16 clean windows
  // of 20 rows then 4 windows whose queries and answers are shifted by 4 along one axis (before normalisation), K = 99
  // permutations, Bonferroni over the 4 statistics, α = 0.05. A clean window alerts with
  // probability ≤ 0.05, so the 80 clean windows give at most Binomial(80, 0.05) false alerts
  // (mean 4); windows of one replicate share its reference, which spreads the count further, and
  // ≤ 12 holds it with probability > 99% even then (Binomial alone: P(X ≥ 13) = 0.0006). The
  // shift is large enough that every shifted window reaches the smallest p-value (0.01, ×4 =
  // 0.04 < α). The seeds are fixed, so the outcome is too.
  const dim = 8;
  let falseAlerts = 0;
  let clean = 0;
  for (let replicate = 0; replicate < 5; replicate++) {
    const reference = syntheticSet(40, dim, 100 + 7 * replicate);
    const stream = driftingStream(320, 80, dim, 200 + 7 * replicate, 4);
    const result = await monitorStream(reference, stream, club(dim), { window: 20, permutations: 99, seed: replicate });
    const changeWindow = 16;
    for (const window of result.windows) {
      if (window.index < changeWindow) {
        clean += 1;
        if (window.alert) falseAlerts += 1;
      } else {
        assert.equal(window.alert, true, `replicate ${replicate}: shifted window ${window.index} did not alert (adjusted p ${window.adjustedPValue})`);
      }
    }
  }
  assert.equal(clean, 80);
  assert.ok(falseAlerts <= 12, `${falseAlerts} false alerts in ${clean} clean windows`);
});

test('without permutations: values but no p-values, and alert null', async () => {
  const reference = syntheticSet(20, 6, 5);
  const stream = syntheticSet(40, 6, 6);
  const result = await monitorStream(reference, stream, club(6), { window: 20 });
  assert.equal(result.windows.length, 2);
  for (const window of result.windows) {
    assert.equal(window.alert, null);
    assert.equal(window.pValues, undefined);
    assert.ok(Number.isFinite(window.emid));
  }
  assert.equal(result.settings.permutations, null);
});

test('too few permutations to ever alert is said in the provenance; text-only data tests no jsd_v', async () => {
  const reference = syntheticSet(20, 6, 7, { image: false });
  const stream = syntheticSet(40, 6, 8, { image: false });
  const result = await monitorStream(reference, stream, club(6), { window: 20, permutations: 9 });
  assert.deepEqual(result.settings.statistics, ['emid', 'jsd_t', 'emid_ub']);
  assert.deepEqual(Object.keys(result.windows[0].pValues ?? {}), ['emid', 'jsd_t', 'emid_ub']);
  assert.equal(result.provenance.smallest_adjusted_pvalue, 0.30000000000000004);
  assert.match(result.provenance.warnings[0], /no window can alert/);
  assert.ok(result.windows.every((window) => window.alert === false));
});

function expectInputError(field: string, pattern: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof InputError, String(error));
    assert.equal(error.field, field);
    assert.match(error.message, pattern);
    return true;
  };
}

test('bad input: windows larger than the stream, fewer than 2 rows, K < 1, another dimension', async () => {
  const reference = syntheticSet(20, 6, 9);
  const stream = syntheticSet(30, 6, 10);
  const estimator = club(6);
  await assert.rejects(monitorStream(reference, stream, estimator, { window: 31 }), expectInputError('window', /larger than the stream's 30 rows/));
  await assert.rejects(monitorStream(reference, stream, estimator, { window: 1 }), expectInputError('window', /at least 2 rows/));
  await assert.rejects(monitorStream(reference, stream, estimator, { window: 10, permutations: 0 }), expectInputError('permutations', /≥ 1/));
  await assert.rejects(monitorStream(reference, stream, estimator, { window: 10, step: 0 }), expectInputError('step', /≥ 1/));
  await assert.rejects(monitorStream(reference, stream, estimator, { window: 10, alpha: 1 }), expectInputError('alpha', /between 0 and 1/));
  await assert.rejects(monitorStream(reference, syntheticSet(30, 5, 11), estimator, { window: 10 }), expectInputError('stream', /5-d.*6-d/));
  await assert.rejects(monitorStream(reference, syntheticSet(30, 6, 11, { image: false }), estimator, { window: 10 }), expectInputError('stream', /text-only.*with images/));
});

// ---------------------------------------------------------------------------------------------
// The log

const dim = 6;
const logReference = syntheticSet(20, dim, 12, { name: 'reference' });
const logStream = driftingStream(60, 20, dim, 13, 2);
const logEstimator = club(dim);
const logOptions = { window: 10, permutations: 19, seed: 2 };

function lines(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n').filter((line) => line !== '');
}

test('the log: a header, then one line per window; read back it is the run', async () => {
  const out = join(work, 'full.jsonl');
  const result = await monitorToLog(logReference, logStream, logEstimator, { ...logOptions, out });
  assert.equal(result.resumed, 0);
  const written = lines(out);
  assert.equal(written.length, 1 + 8);
  const header = JSON.parse(written[0]);
  assert.equal(header.format, 'emishift-monitor');
  assert.deepEqual(header.settings, { window: 10, step: 10, permutations: 19, seed: 2, alpha: 0.05, adjust: 'bonferroni', statistics: ['emid', 'jsd_v', 'jsd_t', 'emid_ub'], mixture: 'sample-weighted', entropy_scale: null });
  assert.deepEqual(header.estimator, JSON.parse(JSON.stringify(logEstimator.description)));
  assert.match(header.provenance.method, /T_perm >= T_obs/);
  const first = JSON.parse(written[1]);
  assert.deepEqual(Object.keys(first), ['window', 'start', 'end', 'emi', 'mi_model', 'mi_ref', 'emid', 'emid_ub', 'jsd_v', 'jsd_t', 'jsd_py', 'jsd_qy', 'emid_pvalue', 'jsd_v_pvalue', 'jsd_t_pvalue', 'emid_ub_pvalue', 'adjusted_pvalue', 'alert', 'digest']);
  assert.deepEqual(readMonitorLog(out).windows, result.windows);
});

test('resuming: a torn last line is cut, only missing windows are appended, and a finished log gets nothing', async () => {
  const full = join(work, 'full-reference.jsonl');
  await monitorToLog(logReference, logStream, logEstimator, { ...logOptions, out: full });
  const complete = readFileSync(full);

  // Killed while writing window 5: windows 0–4 and half of window 5's line are on disk.
  const out = join(work, 'killed.jsonl');
  // Byte offsets: the header holds non-ASCII text (≥, −).
  let window5 = 0;
  for (let line = 0; line < 6; line++) window5 = complete.indexOf(0x0a, window5) + 1;
  writeFileSync(out, complete.subarray(0, window5 + 25));
  const seen: number[] = [];
  const resumed = await monitorToLog(logReference, logStream, logEstimator, { ...logOptions, out, onWindow: (window) => seen.push(window.index) });
  assert.equal(resumed.resumed, 5);
  assert.equal(resumed.tornBytes, 25);
  assert.deepEqual(seen, [5, 6, 7], 'only the missing windows are computed');
  assert.deepEqual(readFileSync(out), complete, 'the resumed log is the uninterrupted one, byte for byte');
  assert.equal(resumed.windows.length, 8);

  // Everything done: nothing appended, nothing recomputed.
  const size = statSync(out).size;
  const again = await monitorToLog(logReference, logStream, logEstimator, { ...logOptions, out, onWindow: () => assert.fail('a finished window was recomputed') });
  assert.equal(again.resumed, 8);
  assert.equal(statSync(out).size, size);
  assert.deepEqual(again.windows, resumed.windows);

  // Killed between windows (no torn line), and with only a torn header.
  const between = join(work, 'between.jsonl');
  writeFileSync(between, complete.subarray(0, window5));
  assert.equal((await monitorToLog(logReference, logStream, logEstimator, { ...logOptions, out: between })).resumed, 5);
  assert.deepEqual(readFileSync(between), complete);
  const tornHeader = join(work, 'torn-header.jsonl');
  writeFileSync(tornHeader, complete.subarray(0, 40));
  assert.equal((await monitorToLog(logReference, logStream, logEstimator, { ...logOptions, out: tornHeader })).resumed, 0);
  assert.deepEqual(readFileSync(tornHeader), complete);
});

test('resuming a stream that grew appends its new windows; changed rows or settings are refused, naming the option', async () => {
  const out = join(work, 'growing.jsonl');
  const early = windowOf(logStream, 0, 40);
  await monitorToLog(logReference, early, logEstimator, { ...logOptions, out });
  assert.equal(lines(out).length, 1 + 4);
  const grown = await monitorToLog(logReference, logStream, logEstimator, { ...logOptions, out });
  assert.equal(grown.resumed, 4);
  assert.equal(lines(out).length, 1 + 8);
  const before = readFileSync(out);

  const changed = { ...logStream, text: stack(unitRows(10, dim, 99), windowOf(logStream, 10, 80).text) };
  await assert.rejects(monitorToLog(logReference, changed, logEstimator, { ...logOptions, out }), expectInputError('stream', /rows \[0, 10\) differ/));
  await assert.rejects(monitorToLog(logReference, logStream, logEstimator, { ...logOptions, seed: 3, out }), expectInputError('seed', /written with seed 2, this run has 3/));
  await assert.rejects(monitorToLog(logReference, logStream, logEstimator, { ...logOptions, window: 20, out }), expectInputError('window', /window 10, this run has 20/));
  await assert.rejects(monitorToLog(logReference, logStream, logEstimator, { ...logOptions, alpha: 0.01, out }), expectInputError('alpha', /alpha 0.05/));
  await assert.rejects(monitorToLog(syntheticSet(20, dim, 14), logStream, logEstimator, { ...logOptions, out }), expectInputError('reference', /another reference/));
  const otherClub = new ClubEstimator(initClubParameters({ xDim: dim, yDim: dim, hiddenDim: 8 }, 2));
  if (JSON.stringify(otherClub.description) !== JSON.stringify(logEstimator.description)) {
    await assert.rejects(monitorToLog(logReference, logStream, otherClub, { ...logOptions, out }), expectInputError('estimator', /another estimator/));
  }
  assert.deepEqual(readFileSync(out), before, 'a refused rerun leaves the log as it was');
  truncateSync(out, before.length);
});

test('a damaged line that is not the last is refused, naming the file and line', async () => {
  const out = join(work, 'damaged.jsonl');
  await monitorToLog(logReference, logStream, logEstimator, { ...logOptions, out });
  const text = lines(out);
  text[2] = text[2].replace('"emid":', '"emid":"x",');
  writeFileSync(out, `${text.join('\n')}\n`);
  await assert.rejects(monitorToLog(logReference, logStream, logEstimator, { ...logOptions, out }), (error: unknown) => error instanceof InputError && /damaged\.jsonl: line 3/.test(error.message));
});


test('windows of 128 rows or more solve their spectra on worker threads by default: the same values as in this thread', async () => {
  const { inThreadEigenSolver } = await import('../../src/linalg/eigenSolver');
  // 130-d rows: the Gram and covariance sides are both ≥ 128, so the default pool takes them.
  const reference = syntheticSet(130, 130, 61);
  const stream = syntheticSet(130, 130, 62, { offset: 0.3 });
  const options = { window: 130, permutations: 9, seed: 1, statistics: ['emid', 'jsd_t'] as const };
  const pooled = await monitorStream(reference, stream, club(130), { ...options, statistics: [...options.statistics] });
  const inThread = await monitorStream(reference, stream, club(130), { ...options, statistics: [...options.statistics], solver: inThreadEigenSolver });
  assert.deepEqual(pooled.windows, inThread.windows);
  assert.ok(pooled.windows[0].terms.jsdT > 0);
});
