import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeNpyMatrix } from '../../src/io/npy';
import { saveClub, loadClub } from '../../src/estimators/club/clubFile';
import { initClubParameters } from '../../src/estimators/club/clubModel';
import { unitRows } from '../support/synthetic';
import { writeSweepRoot } from '../support/splitFolders';
import { writeSplitFolder } from '../../src/data/splitDirectory';
import { syntheticSet } from '../support/synthetic';

const BIN = join(__dirname, '..', '..', '..', 'bin', 'emishift.js');

function emishift(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const work = mkdtempSync(join(tmpdir(), 'emishift-cli-'));
const root = join(work, 'splits');
writeSweepRoot(root, { count: 4, rows: 12, dim: 16 });
const club = join(work, 'club.safetensors');
const wideSplit = join(work, 'wide');
writeSplitFolder(wideSplit, syntheticSet(12, 24, 9));
saveClub(club, initClubParameters({ xDim: 16, yDim: 16, hiddenDim: 8 }, 3));

test('--help lists the commands and each command has its own help', () => {
  const main = emishift('--help');
  assert.equal(main.code, 0);
  for (const name of ['pair', 'sweep', 'train', 'info']) assert.match(main.stdout, new RegExp(`\\n  ${name} `));
  const pair = emishift('pair', '--help');
  assert.equal(pair.code, 0);
  assert.match(pair.stdout, /--source DIR --target DIR \(--club FILE \| --estimator NAME/);
  assert.match(emishift('--version').stdout, /^\d+\.\d+\.\d+\n$/);
});

test('sweep --json prints and writes the reference-format results', () => {
  const out = join(work, 'results.json');
  const run = emishift('sweep', '--root', root, '--id', 'id', '--club', club, '--out', out, '--json');
  assert.equal(run.code, 0, run.stderr);
  const printed = JSON.parse(run.stdout);
  const written = JSON.parse(readFileSync(out, 'utf8'));
  assert.deepEqual(printed, written);
  for (const key of ['EMI', 'EMID', 'EMID_UB', 'JSD_V', 'JSD_T', 'JSD_PY', 'JSD_QY']) assert.equal(typeof written[key], 'object', key);
  assert.deepEqual(Object.keys(written.EMID).sort(), ['ood1', 'ood2', 'ood3', 'ood4']);
  assert.equal(Object.keys(written.EMI).length, 5);
  assert.equal(written.club_engine, 'onnxruntime-node');
  assert.deepEqual(Object.keys(written.eigenproblems).sort(), ['entropies', 'mixtures', 'reused']);
  for (const key of ['PearsonR', 'PearsonPval', 'SpearmanRho', 'SpearmanPval', 'KendallTau', 'KendallPval']) assert.equal(typeof written[key], 'number', key);
  assert.equal(existsSync(`${out}.partial.jsonl`), false, 'the checkpoint is removed once results are written');
});

test('pair prints the fixed set of keys, with emid_ub_full only when an entropy scale is given', () => {
  const base = ['pair', '--source', join(root, 'id'), '--target', join(root, 'ood2'), '--club', club, '--json'];
  const plain = JSON.parse(emishift(...base).stdout);
  assert.equal('emid_ub_full' in plain, false);
  const full = JSON.parse(emishift(...base, '--entropy-scale', '2', '--mixture', 'equal').stdout);
  assert.equal(typeof full.emid_ub_full, 'number');
  const human = emishift(...base.slice(0, -1));
  assert.equal(human.code, 0);
  assert.match(human.stdout, /emid_ub/);
});

test('--bootstrap adds seeded intervals to pair and sweep output', () => {
  const pairArgs = ['pair', '--source', join(root, 'id'), '--target', join(root, 'ood3'), '--club', club, '--bootstrap', '30', '--seed', '4', '--json'];
  // The provenance names the command line, which differs between these runs; the numbers must not.
  const numbers = (stdout: string) => {
    const { provenance, ...values } = JSON.parse(stdout);
    assert.equal(typeof provenance, 'object');
    return values;
  };
  const pair = numbers(emishift(...pairArgs).stdout);
  for (const key of ['emi_source_ci', 'emi_target_ci', 'emid_ci', 'emid_ub_ci']) {
    assert.equal(pair[key].length, 2, key);
    assert.ok(pair[key][0] <= pair[key][1], key);
  }
  assert.deepEqual(numbers(emishift(...pairArgs).stdout), pair, 'same seed, same intervals');
  const sweep = JSON.parse(emishift('sweep', '--root', root, '--id', 'id', '--club', club, '--bootstrap', '20', '--confidence', '0.9', '--json').stdout);
  assert.deepEqual(sweep.bootstrap, { resamples: 20, confidence: 0.9, seed: 0, method: 'basic' });
  assert.deepEqual(Object.keys(sweep.EMID_CI).sort(), ['ood1', 'ood2', 'ood3', 'ood4']);
  assert.equal(Object.keys(sweep.EMI_CI).length, 5);
  assert.ok(sweep.PearsonR_CI[0] <= sweep.PearsonR_CI[1]);
  const bad = emishift('pair', '--source', join(root, 'id'), '--target', join(root, 'ood3'), '--club', club, '--seed', '4');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--confidence, --seed and --interval go with --bootstrap N/);
  // basic is the default, said in the JSON and in the text output.
  assert.equal(pair.interval_method, 'basic');
  assert.deepEqual(numbers(emishift(...pairArgs, '--interval', 'basic').stdout), pair);
  const percentile = JSON.parse(emishift(...pairArgs, '--interval', 'percentile').stdout);
  assert.equal(percentile.interval_method, 'percentile');
  // Reflected about the estimate: lower_basic = 2 θ̂ − upper_percentile.
  assert.ok(Math.abs(pair.emid_ub_ci[0] - (2 * pair.emid_ub - percentile.emid_ub_ci[1])) < 1e-12);
  const bca = JSON.parse(emishift(...pairArgs, '--interval', 'bca').stdout);
  assert.equal(bca.interval_method, 'bca');
  assert.ok(bca.emid_ci[0] < bca.emid && bca.emid < bca.emid_ci[1], JSON.stringify(bca));
  const text = emishift(...pairArgs.filter((arg) => arg !== '--json'));
  assert.match(text.stdout, /^intervals: 95% basic \(bias-corrected\) bootstrap, 30 resamples, seed 4$/m);
  const unknown = emishift(...pairArgs, '--interval', 'studentized');
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /--interval: expected basic, percentile, bca, got 'studentized'/);
});

test('bad input exits 2 with one line naming the problem; --debug adds the stack', () => {
  const cases: [string[], RegExp][] = [
    [['sweep', '--root', root, '--id', 'nope', '--club', club], /no split named 'nope' \(splits found: id, ood1, ood2, ood3, ood4\)/],
    [['pair', '--source', join(root, 'missing'), '--target', join(root, 'ood1'), '--club', club], /missing: file not found/],
    [['pair', '--source', join(root, 'id'), '--target', join(root, 'ood1'), '--club', join(root, 'id', 't.npy')], /t\.npy: not a CLUB file/],
    [['pair', '--source', join(root, 'id'), '--target', join(root, 'ood1'), '--club', club, '--mixture', 'odd'], /--mixture: expected sample-weighted or equal, got 'odd'/],
    [['sweep', '--root', root, '--club', club], /missing required option --id/],
    [['sweep', '--root', root, '--id', 'id', '--club', club, '--bogus'], /unknown option '--bogus'/],
    [['nonsense'], /unknown command 'nonsense'/],
    [['pair', '--source', join(root, 'id'), '--target', wideSplit, '--club', club], /wide: queries 24-d with images, responses 24-d, but the ID split 'id' has queries 16-d with images, responses 16-d/],
    [['pair', '--source', wideSplit, '--target', wideSplit, '--club', club], /wide: x \(queries\) has dimension 24, the CLUB network expects 16/],
  ];
  for (const [args, pattern] of cases) {
    const run = emishift(...args);
    assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
    assert.match(run.stderr, pattern);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
  }
  const debug = emishift('sweep', '--root', root, '--id', 'nope', '--club', club, '--debug');
  assert.equal(debug.code, 2);
  assert.match(debug.stderr, /\n\s+at /);
});

test('train --json reports throughput and loss, writes a loadable file, and writes nothing on bad input', () => {
  const x = unitRows(300, 16, 1);
  const y = { rows: 300, cols: 8, data: Float32Array.from({ length: 300 * 8 }, (_, i) => x.data[Math.floor(i / 8) * 16 + (i % 8)]) };
  writeNpyMatrix(join(work, 'x.npy'), x);
  writeNpyMatrix(join(work, 'y.npy'), y);
  const out = join(work, 'trained.safetensors');
  const run = emishift('train', '--x', join(work, 'x.npy'), '--y', join(work, 'y.npy'), '--out', out, '--epochs', '3', '--batch-size', '64', '--hidden', '12', '--json');
  assert.equal(run.code, 0, run.stderr);
  const summary = JSON.parse(run.stdout);
  assert.ok(summary.samples_per_second > 0);
  assert.ok(Number.isFinite(summary.final_train_loss));
  assert.equal(summary.epochs, 3);
  assert.match(summary.engine, /onnxruntime|tfjs/);
  const loaded = loadClub(out);
  assert.deepEqual([loaded.xDim, loaded.hiddenDim, loaded.yDim], [16, 12, 8]);

  // Continuing from the saved weights starts where the first run ended: a lower first-epoch loss.
  const again = JSON.parse(emishift('train', '--x', join(work, 'x.npy'), '--y', join(work, 'y.npy'), '--out', join(work, 'again.safetensors'), '--init', out, '--epochs', '1', '--batch-size', '64', '--json').stdout);
  const fresh = JSON.parse(emishift('train', '--x', join(work, 'x.npy'), '--y', join(work, 'y.npy'), '--out', join(work, 'fresh.safetensors'), '--epochs', '1', '--batch-size', '64', '--hidden', '12', '--json').stdout);
  assert.ok(again.final_train_loss < fresh.final_train_loss, `${again.final_train_loss} vs ${fresh.final_train_loss}`);
  assert.equal(again.hidden_dim, 12);
  const mismatch = emishift('train', '--x', join(work, 'y.npy'), '--y', join(work, 'y.npy'), '--out', join(work, 'never2.safetensors'), '--init', out);
  assert.equal(mismatch.code, 2);
  assert.match(mismatch.stderr, /weights are for 16 → 8, the training pairs are 8 → 8/);

  writeNpyMatrix(join(work, 'short.npy'), unitRows(299, 8, 2));
  const badOut = join(work, 'never.safetensors');
  const bad = emishift('train', '--x', join(work, 'x.npy'), '--y', join(work, 'short.npy'), '--out', badOut);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /short\.npy: has 299 rows but .*x\.npy has 300/);
  assert.equal(existsSync(badOut), false);
  assert.deepEqual(readdirSync(work).filter((name) => name.endsWith('.tmp')), []);
  const badEpochs = emishift('train', '--x', join(work, 'x.npy'), '--y', join(work, 'y.npy'), '--out', badOut, '--epochs', '0');
  assert.equal(badEpochs.code, 2);
  assert.match(badEpochs.stderr, /--epochs: expected a positive integer, got '0'/);
});
