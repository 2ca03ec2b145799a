import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveClub } from '../../src/estimators/club/clubFile';
import { initClubParameters } from '../../src/estimators/club/clubModel';
import { writeSweepRoot } from '../support/splitFolders';
import { readResults } from '../../src/sweep/resultsJson';

const BIN = join(__dirname, '..', '..', '..', 'bin', 'emishift.js');

function emishift(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const work = mkdtempSync(join(tmpdir(), 'emishift-baselines-'));
const root = join(work, 'splits');
writeSweepRoot(root, { count: 3, rows: 12, dim: 16 });
const club = join(work, 'club.safetensors');
saveClub(club, initClubParameters({ xDim: 16, yDim: 16, hiddenDim: 8 }, 3));
const sweepArgs = ['sweep', '--root', root, '--id', 'id', '--club', club];

test('sweep --baselines adds the baseline maps, seeded, and leaves every other key as it was', () => {
  const plain = emishift(...sweepArgs, '--json');
  assert.equal(plain.code, 0, plain.stderr);
  const out = join(work, 'results.json');
  const run = emishift(...sweepArgs, '--baselines', '--baseline-permutations', '50', '--seed', '3', '--json', '--out', out);
  assert.equal(run.code, 0, run.stderr);
  const json = JSON.parse(run.stdout);
  for (const m of ['V', 'T', 'YHAT']) {
    for (const key of [`MMD2_${m}`, `MMD2_${m}_PVAL`, `MMD2_SIGMA_${m}`, `DOMAIN_AUC_${m}`, `MEAN_COS_DIST_${m}`]) {
      assert.deepEqual(Object.keys(json[key]).sort(), ['ood1', 'ood2', 'ood3'], key);
    }
    for (const p of Object.values(json[`MMD2_${m}_PVAL`]) as number[]) assert.ok(p >= 1 / 51 && p <= 1, `p ${p}`);
  }
  assert.equal(json.provenance.drift_baselines.permutations, 50);
  assert.equal(json.provenance.drift_baselines.seed, 3);
  assert.equal(json.bootstrap, undefined, '--seed alone does not ask for intervals');
  const base = JSON.parse(plain.stdout);
  for (const key of ['EMI', 'EMID', 'EMID_UB', 'JSD_V', 'JSD_T', 'JSD_PY', 'JSD_QY', 'PearsonR', 'SpearmanRho']) assert.deepEqual(json[key], base[key], key);
  assert.equal(Object.keys(base).some((key) => key.startsWith('MMD2') || key.startsWith('DOMAIN_AUC')), false);
  assert.equal('drift_baselines' in base.provenance, false);
  // The file reads back with the baselines.
  assert.equal(readResults(out).comparisons[1].baselines?.question.classifierAuc, json.DOMAIN_AUC_T.ood2);
  // Seeded: a rerun prints the same numbers.
  const again = JSON.parse(emishift(...sweepArgs, '--baselines', '--baseline-permutations', '50', '--seed', '3', '--json').stdout);
  assert.deepEqual(again.MMD2_T_PVAL, json.MMD2_T_PVAL);
  assert.deepEqual(again.DOMAIN_AUC_YHAT, json.DOMAIN_AUC_YHAT);
  assert.ok(readFileSync(out, 'utf8').includes('"MEAN_COS_DIST_YHAT"'));

  const table = emishift(...sweepArgs, '--baselines', '--baseline-permutations', '20');
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /drift baselines \(20 permutations, seed 0/);
  assert.match(table.stdout, /mmd2_v/);
});

test('pair --baselines adds its keys; bad baseline options exit 2 naming the option', () => {
  const pair = emishift('pair', '--source', join(root, 'id'), '--target', join(root, 'ood3'), '--club', club, '--baselines', '--baseline-permutations', '30', '--json');
  assert.equal(pair.code, 0, pair.stderr);
  const json = JSON.parse(pair.stdout);
  for (const key of ['mmd2_t', 'mmd2_t_pvalue', 'mmd2_sigma_t', 'domain_auc_t', 'mean_cos_dist_t', 'mmd2_v', 'mmd2_yhat_pvalue']) assert.equal(typeof json[key], 'number', key);
  assert.equal(json.provenance.drift_baselines.permutations, 30);

  for (const [args, message] of [
    [[...sweepArgs, '--baselines', '--baseline-permutations', '0'], /--baseline-permutations: expected a whole number ≥ 1, got '0'/],
    [[...sweepArgs, '--baselines', '--baseline-permutations', '2.5'], /--baseline-permutations: expected a whole number ≥ 1, got '2.5'/],
    [[...sweepArgs, '--baseline-permutations', '10'], /--baseline-permutations: goes with --baselines/],
    [[...sweepArgs, '--baselines', '--seed', '-1'], /--seed: expected an integer ≥ 0, got '-1'/],
    [[...sweepArgs, '--seed', '1'], /--seed and --interval go with --bootstrap N/],
  ] as const) {
    const run = emishift(...args);
    assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
    assert.match(run.stderr, message);
    assert.equal(run.stderr.trim().split('\n').length, 1, 'one line');
  }
});
