/** `emishift pointwise` and `emishift detect`: outputs, files, and one-line errors with exit 2. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveClub } from '../../src/estimators/club/clubFile';
import { writeSplitFolder } from '../../src/data/splitDirectory';
import { answerSwapSet } from '../../src/shifts/answers';
import { answeredSplit, identityClub } from '../support/identityClub';

const BIN = join(__dirname, '..', '..', '..', 'bin', 'emishift.js');
function emishift(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const work = mkdtempSync(join(tmpdir(), 'emishift-pointwise-cli-'));
const club = join(work, 'club.safetensors');
saveClub(club, identityClub(6).parameters);
const id = join(work, 'id');
const ood = join(work, 'ood');
writeSplitFolder(id, { ...answeredSplit(60, 6, 1, 'id'), shift: { family: 'none', label: 'no shift', modality: 'none', severity: null, unit: null } });
writeSplitFolder(ood, answerSwapSet(answeredSplit(60, 6, 2, 'ood'), { name: 'model_answer_swap', rate: 0.8, seed: 0 }));

test('pointwise --json: the mean and every row with its question id; --out writes CSV or JSONL', () => {
  const csv = join(work, 'rows.csv');
  const run = emishift('pointwise', '--split', id, '--club', club, '--json', '--out', csv);
  assert.equal(run.code, 0, run.stderr);
  const printed = JSON.parse(run.stdout);
  assert.equal(printed.rows.length, 60);
  assert.deepEqual(Object.keys(printed.rows[0]), ['row', 'question_id', 'emi', 'mi_model', 'mi_ref']);
  assert.equal(printed.rows[5].question_id, 5);
  const mean = printed.rows.reduce((sum: number, row: { emi: number }) => sum + row.emi, 0) / 60;
  assert.ok(Math.abs(mean - printed.emi) < 1e-9);
  assert.equal(printed.provenance.estimator.name, 'club');
  assert.match(printed.provenance.estimator.file.sha256, /^[0-9a-f]{64}$/);
  assert.match(printed.provenance.split.manifest_digest, /^sha256:/);
  const lines = readFileSync(csv, 'utf8').trim().split('\n');
  assert.equal(lines.length, 61);
  assert.equal(Number(lines[1].split(',')[2]), printed.rows[0].emi);
  const jsonl = join(work, 'rows.jsonl');
  assert.equal(emishift('pointwise', '--split', id, '--club', club, '--out', jsonl).code, 0);
  assert.deepEqual(JSON.parse(readFileSync(jsonl, 'utf8').split('\n')[3]), printed.rows[3]);
  const table = emishift('pointwise', '--split', ood, '--club', club);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /the 10 lowest emi/);
});

test('pointwise: bad input is one line and exit 2', () => {
  const cases: [string[], RegExp][] = [
    [['--split', id, '--club', club, '--estimator', 'gaussian'], /--estimator: gaussian gives no pointwise values: its estimate is not a mean of per-row terms \(estimators with pointwise values: club\)/],
    [['--split', id, '--club', club, '--estimator', 'clubb'], /unknown estimator 'clubb'/],
    [['--split', id, '--club', club, '--out', join(work, 'rows.txt')], /--out: expected a file ending in \.csv or \.jsonl/],
    [['--split', id], /missing required option --club/],
    [['--split', join(work, 'nowhere'), '--club', club], /nowhere/],
  ];
  for (const [args, message] of cases) {
    const run = emishift('pointwise', ...args);
    assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
    assert.match(run.stderr, message);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
  }
  assert.equal(existsSync(join(work, 'rows.txt')), false);
});

test('detect --json: AUCs with intervals, the subset-pair test with its alternative and sanity checks', () => {
  const run = emishift('detect', '--id', id, '--ood', ood, '--club', club, '--subsets', '6', '--subset-size', '10', '--seed', '3', '--bootstrap', '200', '--json');
  assert.equal(run.code, 0, run.stderr);
  const out = JSON.parse(run.stdout);
  assert.ok(out.pointwise.roc_auc > 0.7, `per-query AUC ${out.pointwise.roc_auc}`);
  assert.equal(out.pointwise.roc_auc_ci.length, 2);
  assert.equal(out.subsets.k, 6);
  assert.equal(out.subsets.null_emids.length, 6);
  assert.equal(out.subset_pair_test.alternative, 'greater');
  assert.ok(out.subset_pair_test.p_value < 0.05);
  assert.equal(typeof out.subset_pair_test.sanity.shuffled_labels.p_value, 'number');
  assert.equal(out.provenance.seed, 3);
  assert.equal(out.provenance.bootstrap.resamples, 200);
  assert.match(out.provenance.pr_auc, /average precision/);
  const text = emishift('detect', '--id', id, '--ood', ood, '--club', club);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /subset-pair test \(K = 10 subsets of 6 rows per split\)/);
  assert.match(text.stdout, /sanity checks \(should be null\)/);
});

test('detect --estimator gaussian: the subset-pair test alone, saying why there is no per-query part', () => {
  // 30-row subsets: the Gaussian estimate needs more rows than the 12 joint dimensions.
  const run = emishift('detect', '--id', id, '--ood', ood, '--estimator', 'gaussian', '--subsets', '2', '--subset-size', '30', '--bootstrap', '50', '--json');
  assert.equal(run.code, 0, run.stderr);
  const out = JSON.parse(run.stdout);
  assert.equal(out.pointwise, undefined);
  assert.match(out.pointwise_note, /gaussian gives no pointwise values/);
  assert.equal(out.subsets.null_emids.length, 2);
  assert.equal(out.provenance.estimator.name, 'gaussian');
  assert.equal(out.subset_pair_test.alternative, 'greater');
});

test('detect: overlapping subsets, a bad alternative and missing options are one line and exit 2', () => {
  const cases: [string[], RegExp][] = [
    [['--id', id, '--ood', ood, '--club', club, '--subsets', '100', '--subset-size', '10'], /--subsets: 100 subsets of 10 rows need 1000 rows of each split/],
    [['--id', id, '--ood', ood, '--club', club, '--alternative', 'bigger'], /--alternative: expected greater, less or two-sided/],
    [['--id', id, '--ood', ood, '--club', club, '--subset-size', '1'], /--subset-size: expected a whole number ≥ 2/],
    [['--id', id, '--club', club], /missing required option --ood/],
  ];
  for (const [args, message] of cases) {
    const run = emishift('detect', ...args);
    assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
    assert.match(run.stderr, message);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
  }
});
