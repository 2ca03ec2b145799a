import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveClub } from '../../src/estimators/club/clubFile';
import { initClubParameters } from '../../src/estimators/club/clubModel';
import { writeSweepRoot } from '../support/splitFolders';
import { writeSplitFolder } from '../../src/data/splitDirectory';
import { syntheticSet } from '../support/synthetic';

const BIN = join(__dirname, '..', '..', '..', 'bin', 'emishift.js');

function emishift(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const work = mkdtempSync(join(tmpdir(), 'emishift-cli-permutations-'));
const root = join(work, 'splits');
writeSweepRoot(root, { count: 3, rows: 12, dim: 16 });
const club = join(work, 'club.safetensors');
saveClub(club, initClubParameters({ xDim: 16, yDim: 16, hiddenDim: 8 }, 3));
const tiny = join(work, 'tiny');
writeSplitFolder(tiny, syntheticSet(1, 16, 7));
const pairArgs = ['pair', '--source', join(root, 'id'), '--target', join(root, 'ood3'), '--club', club];
const values = (stdout: string) => {
  const { provenance, ...rest } = JSON.parse(stdout);
  return { provenance, values: rest };
};

test('pair --permutations adds the four p-values and their provenance; without it the output is as before', () => {
  const plain = values(emishift(...pairArgs, '--json').stdout);
  const run = emishift(...pairArgs, '--permutations', '49', '--seed', '3', '--json');
  assert.equal(run.code, 0, run.stderr);
  const tested = values(run.stdout);
  const added = ['emid_pvalue', 'jsd_v_pvalue', 'jsd_t_pvalue', 'emid_ub_pvalue'];
  assert.deepEqual(Object.keys(tested.values), [...Object.keys(plain.values), ...added]);
  for (const key of Object.keys(plain.values)) assert.equal(tested.values[key], plain.values[key], key);
  for (const key of added) {
    const p = tested.values[key];
    // (1 + k) / 50 for some k in 0…49.
    assert.ok(Number.isInteger(Math.round(p * 50)) && Math.abs(p * 50 - Math.round(p * 50)) < 1e-9 && p >= 1 / 50 && p <= 1, `${key} = ${p}`);
  }
  assert.equal(tested.provenance.permutation_test.permutations, 49);
  assert.equal(tested.provenance.permutation_test.seed, 3);
  assert.equal('permutation_test' in plain.provenance, false);
  assert.deepEqual(values(emishift(...pairArgs, '--permutations', '49', '--seed', '3', '--json').stdout).values, tested.values, 'same seed, same p-values');
  const text = emishift(...pairArgs, '--permutations', '49', '--seed', '3');
  assert.match(text.stdout, /^emid_pvalue\s+\S+$/m);
  assert.match(text.stdout, /^p-values: 49 permutations of split membership .*seed 3; one-sided \(greater\); significant at α = 0.05: p < 0.05$/m);
  assert.doesNotMatch(emishift(...pairArgs).stdout, /pvalue|p-values/);
  const paired = values(emishift(...pairArgs, '--permutations', '49', '--paired', '--json').stdout);
  assert.equal(paired.provenance.permutation_test.design, 'paired');
  assert.equal(tested.provenance.permutation_test.design, 'pooled');
  assert.match(emishift(...pairArgs, '--permutations', '9', '--paired').stdout, /^p-values: 9 permutations of paired rows \(row i of each split swapped or not\) \(the same fitted estimator\), seed 0;/m);
});

test('sweep --permutations adds the p-value maps and EMID_QVAL; the text table shows p and q', () => {
  const out = join(work, 'results.json');
  const run = emishift('sweep', '--root', root, '--id', 'id', '--club', club, '--permutations', '19', '--out', out, '--json');
  assert.equal(run.code, 0, run.stderr);
  const written = JSON.parse(readFileSync(out, 'utf8'));
  for (const key of ['EMID_PVAL', 'EMID_UB_PVAL', 'JSD_V_PVAL', 'JSD_T_PVAL', 'EMID_QVAL']) assert.deepEqual(Object.keys(written[key]).sort(), ['ood1', 'ood2', 'ood3'], key);
  assert.equal(written.provenance.permutation_test.seed, 0);
  const plain = JSON.parse(emishift('sweep', '--root', root, '--id', 'id', '--club', club, '--json').stdout);
  assert.equal(Object.keys(plain).some((key) => /PVAL|QVAL/.test(key)), false);
  const text = emishift('sweep', '--root', root, '--id', 'id', '--club', club, '--permutations', '19');
  assert.match(text.stdout, /^OOD split\s+EMID\s+p\s+q\s+EMID_UB\s+p \(UB\)/m);
  assert.match(text.stdout, /q: EMID's p-values adjusted by Benjamini–Hochberg across the OOD splits/);
});

test('bad --permutations input exits 2 with one line naming the option', () => {
  const cases: [string[], RegExp][] = [
    [[...pairArgs, '--permutations', '0'], /--permutations: expected a whole number of permutations ≥ 1, got '0'/],
    [[...pairArgs, '--permutations', '1.5'], /--permutations: expected a whole number of permutations ≥ 1, got '1.5'/],
    [[...pairArgs, '--permutations', 'many'], /--permutations: .*got 'many'/],
    [['sweep', '--root', root, '--id', 'id', '--club', club, '--permutations', '-3'], /--permutations: expected a whole number of permutations ≥ 1, got '-3'/],
    [[...pairArgs, '--permutations', '9', '--seed', '-1'], /--seed: expected an integer ≥ 0, got '-1'/],
    // A split folder of one row is refused when it is read (the library's own check, for sets built in memory, is in test/significance).
    [['pair', '--source', join(root, 'id'), '--target', tiny, '--club', club, '--permutations', '9'], /tiny\/v\.npy: only 1 row: EMI and the bound need at least 2 samples/],
    [[...pairArgs, '--paired'], /--paired goes with --permutations N/],
    // --seed alone still belongs to --bootstrap (or --permutations).
    [[...pairArgs, '--seed', '4'], /--confidence, --seed and --interval go with --bootstrap N/],
  ];
  for (const [args, pattern] of cases) {
    const run = emishift(...args);
    assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
    assert.match(run.stderr, pattern);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
  }
});
