import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeNpyMatrix } from '../../src/io/npy';
import { createRng } from '../../src/random';
import { ksgMutualInformation } from '../../src/estimators/ksg/ksgEstimator';
import { gaussianMutualInformationEstimate } from '../../src/estimators/gaussian/gaussianEstimator';
import { findGroundTruthTask } from '../../src/samplers/tasks';

const BIN = join(__dirname, '..', '..', '..', 'bin', 'emishift.js');

function emishift(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const work = mkdtempSync(join(tmpdir(), 'emishift-estimate-'));
const sample = findGroundTruthTask('multinormal-dense-2-2-0.5').sampler.sample(600, createRng(0));
const xFile = join(work, 'x.npy');
const yFile = join(work, 'y.npy');
writeNpyMatrix(xFile, sample.x);
writeNpyMatrix(yFile, sample.y);

test('estimate --json prints the estimator, its MI (the library value on the file contents), seconds, settings and provenance', () => {
  const run = emishift('estimate', '--x', xFile, '--y', yFile, '--estimator', 'ksg', '--k', '4', '--json');
  assert.equal(run.code, 0, run.stderr);
  const out = JSON.parse(run.stdout);
  assert.equal(out.estimator, 'ksg');
  // The files hold float32 (writeNpyMatrix of float64 data writes <f8; either way the reader's values are the estimator's input).
  assert.equal(out.mi, ksgMutualInformation(sample.x, sample.y, 4, 1));
  assert.deepEqual(out.settings, { k: 4 });
  assert.equal(out.gives, 'estimate');
  assert.equal(out.rows, 600);
  assert.ok(out.seconds >= 0);
  assert.equal(out.provenance.estimator.name, 'ksg');
  assert.equal(out.provenance.estimator.settings.k, 4);
  const gaussian = JSON.parse(emishift('estimate', '--x', xFile, '--y', yFile, '--estimator', 'gaussian', '--json').stdout);
  assert.ok(Math.abs(gaussian.mi - gaussianMutualInformationEstimate(sample.x, sample.y)) < 1e-12);
  const text = emishift('estimate', '--x', xFile, '--y', yFile, '--estimator', 'ksg2');
  assert.equal(text.code, 0);
  assert.match(text.stdout, /^ksg2: I\(x; y\) = [\d.]+ nats \(estimate; 600 pairs, 2 \+ 2 dimensions, k 3; [\d.]+ s\)\n$/);
});

test('estimate: bad input exits 2 with one line naming the file or option', () => {
  const short = join(work, 'short.npy');
  writeNpyMatrix(short, { rows: 5, cols: 2, data: new Float32Array(10) });
  const one = join(work, 'one-x.npy');
  const oneY = join(work, 'one-y.npy');
  writeNpyMatrix(one, { rows: 1, cols: 2, data: new Float32Array(2) });
  writeNpyMatrix(oneY, { rows: 1, cols: 2, data: new Float32Array(2) });
  const withNaN = join(work, 'nan.npy');
  const values = new Float32Array(1200);
  values[7] = NaN;
  writeNpyMatrix(withNaN, { rows: 600, cols: 2, data: values });
  const cases: [string[], RegExp][] = [
    [['--x', xFile, '--y', short, '--estimator', 'ksg'], new RegExp(`^emishift estimate: ${short.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: has 5 rows but .* has 600`)],
    [['--x', one, '--y', oneY, '--estimator', 'ksg'], /one-x\.npy: has 1 row; an estimate needs at least 2 paired rows/],
    [['--x', xFile, '--y', withNaN, '--estimator', 'ksg'], /nan\.npy: non-finite value NaN at row 3, column 1/],
    [['--x', xFile, '--y', yFile, '--estimator', 'ksgg'], /--estimator: unknown estimator 'ksgg' \(did you mean 'ksg'\?\) \(estimators: club, gaussian, ksg, ksg2/],
    [['--x', xFile, '--y', yFile, '--estimator', 'ksg', '--k', '600'], /--k: k = 600 neighbours need more than 600 rows, got 600/],
    [['--x', xFile, '--y', yFile, '--estimator', 'ksg', '--k', 'three'], /--k: expected a number, got 'three'/],
    [['--x', xFile, '--y', yFile, '--estimator', 'gaussian', '--seed', '1'], /--seed: gaussian has no setting 'seed'/],
    [['--x', xFile, '--y', yFile], /missing required option --estimator/],
  ];
  for (const [args, pattern] of cases) {
    const run = emishift('estimate', ...args);
    assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
    assert.match(run.stderr, pattern);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
  }
});

test('validate writes validation.json and a self-contained validation.html, and prints the table', () => {
  const out = join(work, 'validation');
  const run = emishift('validate', '--tasks', '1v1-normal-0.75,student-identity-1-1-1', '--estimators', 'gaussian,ksg', '--n', '400', '--seeds', '2', '--out', out);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /estimator +task +true MI +mean estimate +bias +SD +RMSE +seconds/);
  assert.match(run.stdout, /ksg +student-identity-1-1-1 +0\.2242/);
  const json = JSON.parse(readFileSync(join(out, 'validation.json'), 'utf8'));
  assert.equal(json.results.length, 4);
  const ksgNormal = json.results.find((row: { estimator: string; task: string }) => row.estimator === 'ksg' && row.task === '1v1-normal-0.75');
  // The per-seed estimates are the library's on the seeded samples.
  const { sampler } = findGroundTruthTask('1v1-normal-0.75');
  const seed1 = sampler.sample(400, createRng(1));
  assert.equal(ksgNormal.estimates[1], ksgMutualInformation(seed1.x, seed1.y, 3, 1));
  assert.equal(ksgNormal.true_mi, sampler.mutualInformation());
  const html = readFileSync(join(out, 'validation.html'), 'utf8');
  // Checked with includes/test so a failure does not print the whole inlined plotly.js.
  for (const part of [`Content-Security-Policy" content="default-src 'none'`, 'data-figure="estimate-vs-truth"', 'data-figure="bias-by-estimator"', 'estimate = true MI']) {
    assert.ok(html.includes(part), `validation.html lacks ${part}`);
  }
  assert.ok(!/<script[^>]+src=/i.test(html), 'validation.html loads no script from elsewhere');
  const printed = emishift('validate', '--tasks', '1v1-normal-0.75', '--estimators', 'gaussian', '--n', '300', '--seeds', '1', '--out', out, '--json');
  assert.equal(JSON.parse(printed.stdout).results[0].estimator, 'gaussian');
});

test('validate: unknown task or estimator and bad counts exit 2 with one line naming the option', () => {
  const cases: [string[], RegExp][] = [
    [['--tasks', '1v1-normal-0.7'], /^emishift validate: --tasks: unknown task '1v1-normal-0.7' \(did you mean '1v1-normal-0.75'\?\)/],
    [['--estimators', 'ksg,mien'], /^emishift validate: --estimators: unknown estimator 'mien'/],
    [['--n', '1'], /^emishift validate: --n: expected a whole number ≥ 2, got '1'/],
    [['--seeds', '0'], /^emishift validate: --seeds: expected a positive whole number/],
  ];
  for (const [args, pattern] of cases) {
    const run = emishift('validate', ...args, '--out', join(work, 'never'));
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, pattern);
    assert.equal(run.stderr.trim().split('\n').length, 1);
  }
});
