/**
 * `pair` and `sweep --estimator NAME`: club (the default) reads --club as before and gives the same
 * numbers; another estimator is created by name, fitted on the pooled (z, z_y) pairs when it
 * trains, and recorded in the provenance; wrong combinations exit 2 with one line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveClub } from '../../src/estimators/club/clubFile';
import { initClubParameters } from '../../src/estimators/club/clubModel';
import { readSplitFolder, readSplitFolders } from '../../src/data/splitDirectory';
import { comparePair } from '../../src/sweep/sweep';
import { createEmiEstimator } from '../../src/emi/emiEstimator';
import { ksgEstimator } from '../../src/estimators/ksg/ksgEstimator';
import { queryEmbedding } from '../../src/data/queryEmbedding';
import { writeSweepRoot } from '../support/splitFolders';

const BIN = join(__dirname, '..', '..', '..', 'bin', 'emishift.js');
const emishift = (...args: string[]) => {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
};
const work = mkdtempSync(join(tmpdir(), 'emishift-estimator-option-'));
const root = join(work, 'splits');
writeSweepRoot(root, { count: 3, rows: 40, dim: 6 });
const club = join(work, 'club.safetensors');
saveClub(club, initClubParameters({ xDim: 6, yDim: 6, hiddenDim: 8 }, 3));
const pairArgs = ['pair', '--source', join(root, 'id'), '--target', join(root, 'ood2'), '--json'];
const withoutCommand = (json: { provenance: { invocation: unknown } }) => ({ ...json, provenance: { ...json.provenance, invocation: null } });

test('--estimator club gives exactly the numbers of --club alone', () => {
  const plain = emishift(...pairArgs, '--club', club);
  const named = emishift(...pairArgs, '--club', club, '--estimator', 'club');
  assert.equal(plain.code, 0, plain.stderr);
  assert.equal(named.code, 0, named.stderr);
  assert.deepEqual(withoutCommand(JSON.parse(named.stdout)), withoutCommand(JSON.parse(plain.stdout)));
  const sweepPlain = emishift('sweep', '--root', root, '--id', 'id', '--club', club, '--json');
  const sweepNamed = emishift('sweep', '--root', root, '--id', 'id', '--club', club, '--estimator', 'club', '--json');
  assert.deepEqual(JSON.parse(sweepNamed.stdout).EMI, JSON.parse(sweepPlain.stdout).EMI);
  assert.deepEqual(JSON.parse(sweepNamed.stdout).EMID_UB, JSON.parse(sweepPlain.stdout).EMID_UB);
});

test('pair --estimator ksg equals comparePair with the KSG estimator, and says so in its provenance', async () => {
  const run = emishift(...pairArgs, '--estimator', 'ksg', '--k', '4');
  assert.equal(run.code, 0, run.stderr);
  const printed = JSON.parse(run.stdout);
  const direct = await comparePair(readSplitFolder(join(root, 'id')), readSplitFolder(join(root, 'ood2')), ksgEstimator({ k: 4 }), { warn: () => {} });
  assert.equal(printed.emid, direct.emid);
  assert.equal(printed.source_mi_model, direct.sourceEmi.miModel);
  assert.equal(printed.provenance.estimator.name, 'ksg');
  assert.equal(printed.emid_ub, direct.emidUpperBound, 'the bound does not depend on the estimator');
});

test('sweep --estimator gaussian writes results made with it, and a checkpoint of one estimator is not resumed by another', () => {
  const out = join(work, 'gaussian.json');
  const run = emishift('sweep', '--root', root, '--id', 'id', '--estimator', 'gaussian', '--out', out, '--json');
  assert.equal(run.code, 0, run.stderr);
  const written = JSON.parse(readFileSync(out, 'utf8'));
  assert.equal(written.provenance.estimator.name, 'gaussian');
  assert.equal(written.estimator, 'gaussian');
  assert.equal(written.club, undefined);
  const ksg = emishift('sweep', '--root', root, '--id', 'id', '--estimator', 'ksg', '--out', out, '--json');
  assert.notDeepEqual(JSON.parse(ksg.stdout).EMI, written.EMI);
});

test('a trained estimator is fitted once on the pooled reference pairs and then applied to each split', async () => {
  const sets = readSplitFolders(root);
  const { entry, estimator } = await createEmiEstimator('club-mean', { epochs: 2 }, sets);
  assert.equal(entry.trains, true);
  assert.equal(estimator.description.fitted, true);
  const pairs = (estimator.description.training as { pairs?: number }).pairs;
  assert.equal(pairs, sets.reduce((total, set) => total + set.text.rows, 0), 'all splits pooled');
  // Fitted: estimating twice on the same split gives the same number (no training inside estimate).
  const z = queryEmbedding(sets[0]);
  assert.equal(await estimator.estimate(z, sets[0].reference), await estimator.estimate(z, sets[0].reference));
});

test('wrong combinations and names exit 2 with one line naming the option', () => {
  const cases: [string[], RegExp][] = [
    [[...pairArgs, '--estimator', 'ksg', '--club', club], /^emishift pair: --club: goes with --estimator club, not ksg$/],
    [[...pairArgs, '--club', club, '--k', '3'], /^emishift pair: --k: CLUB is read from --club: --k and --epochs go with another --estimator$/],
    [[...pairArgs, '--estimator', 'ksgg'], /^emishift pair: --estimator: unknown estimator 'ksgg'.*did you mean 'ksg'/],
    [[...pairArgs, '--estimator', 'gaussian', '--k', '3'], /^emishift pair: --k: gaussian has no setting 'k'/],
    [[...pairArgs], /^emishift pair: missing required option --club/],
  ];
  for (const [args, message] of cases) {
    const run = emishift(...args);
    assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
    const lines = run.stderr.trim().split('\n');
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0], message);
  }
});

test('estimate --help and pair --help name every registered estimator', async () => {
  const { estimatorNames } = await import('../../src/estimators/registry');
  for (const command of ['estimate', 'pair', 'sweep']) {
    const help = emishift(command, '--help').stdout;
    for (const name of estimatorNames()) assert.match(help, new RegExp(`[ (,]${name}[,;) ]|[ ,]${name}$`, 'm'), `${command} --help: ${name}`);
  }
});
