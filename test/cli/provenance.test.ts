/**
 * The same data and CLUB preset give the same numbers on every path (the job, the CLI's
 * train + sweep, the library as a notebook uses it); results say how they were made; an
 * estimator from another embedding space is refused unless explicitly allowed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSplitTable } from '../../src/data/loaders';
import { listSplitFolders, readSplitFolder } from '../../src/data/splitDirectory';
import { embedSplit } from '../../src/embed/embedSplit';
import { ClubEstimator } from '../../src/estimators/club/clubEstimator';
import { sweepSplits } from '../../src/sweep/sweep';
import { toResultsJson } from '../../src/sweep/resultsJson';
import type { Embedder } from '../../src/embed/embedder';
import type { Matrix } from '../../src/interface';
import { writeDriftingSplit } from '../support/textSplits';
import { fixturePath } from '../support/fixtures';

const BIN = join(__dirname, '..', '..', '..', 'bin', 'emishift.js');
const run = (...args: string[]) => {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
};

/** Four drifting text splits as JSONL files, and a job config over them with the `small` preset. */
function writeJob(dir: string): string[] {
  const names = [0, 1, 2, 3].map((drift) => {
    writeDriftingSplit(join(dir, `split${drift}.jsonl`), drift);
    return `split${drift}`;
  });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ id: 'split0', out: 'job', splits: names.map((name) => ({ file: `${name}.jsonl` })), club: { preset: 'small' } }));
  return names;
}

test('one preset, one answer: run --config, train + sweep, and the library agree exactly', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'emishift-paths-'));
  const names = writeJob(dir);

  const job = run('run', '--config', join(dir, 'config.json'), '--json');
  assert.equal(job.code, 0, job.stderr);
  const jobResults = JSON.parse(readFileSync(join(dir, 'job', 'results.json'), 'utf8'));

  for (const name of names) {
    const embedded = run('embed', '--split', join(dir, `${name}.jsonl`), '--out', join(dir, 'cli', name), '--json');
    assert.equal(embedded.code, 0, embedded.stderr);
  }
  const trained = run('train', '--root', join(dir, 'cli'), '--preset', 'small', '--out', join(dir, 'club.safetensors'), '--json');
  assert.equal(trained.code, 0, trained.stderr);
  assert.equal(JSON.parse(trained.stdout).preset, 'small');
  assert.equal(JSON.parse(trained.stdout).embedding_space.embedder, 'builtin');
  const swept = run('sweep', '--root', join(dir, 'cli'), '--id', 'split0', '--club', join(dir, 'club.safetensors'), '--out', join(dir, 'sweep.json'));
  assert.equal(swept.code, 0, swept.stderr);
  assert.doesNotMatch(swept.stderr, /warning: .*space/, 'manifests name the space: no space warning');
  const cliResults = JSON.parse(readFileSync(join(dir, 'sweep.json'), 'utf8'));

  const sets = listSplitFolders(join(dir, 'cli')).map((split) => readSplitFolder(split.directory, split.name));
  const club = await ClubEstimator.fit([...sets].reverse(), 'small');
  const lazy = sets.map((set) => ({ name: set.name!, load: () => set }));
  const apiResults = toResultsJson(await sweepSplits(lazy[0], lazy.slice(1), club, { warn: () => {} }));

  assert.deepEqual(cliResults.EMID, jobResults.EMID);
  assert.deepEqual(apiResults.EMID, jobResults.EMID);
  assert.deepEqual(cliResults.EMI, jobResults.EMI);
  assert.deepEqual(apiResults.EMID_UB, jobResults.EMID_UB);
  assert.equal(cliResults.PearsonR, jobResults.PearsonR);
  // Each path says how it trained CLUB, and it is the same training.
  assert.equal(jobResults.provenance.estimator.training.preset, 'small');
  assert.deepEqual(cliResults.provenance.estimator.training.settings, jobResults.provenance.estimator.training.settings);
  assert.equal(cliResults.provenance.estimator.training.digest, jobResults.provenance.estimator.training.digest);
  assert.equal(apiResults.provenance?.estimator.training?.digest, jobResults.provenance.estimator.training.digest);
  assert.match(cliResults.provenance.estimator.file.sha256, /^[0-9a-f]{64}$/);
  assert.match(cliResults.provenance.invocation.command, /^emishift sweep --root .* --id split0 --club /);
  assert.equal(jobResults.provenance.invocation.config.club.preset, 'small');
  assert.equal(jobResults.provenance.splits.split2.space.embedder, 'builtin');
  assert.match(jobResults.provenance.splits.split2.manifest_digest, /^sha256:/);
});

/** An embedder of the builtin's dimension but its own space (a stand-in for another encoder). */
const otherSpace: Embedder = {
  id: 'test-constant-v1',
  family: 'test',
  encoder: { model: 'test-constant-v1', pooling: 'hashed length' },
  dimension: 768,
  async embedTexts(texts: readonly string[]): Promise<Matrix> {
    const data = new Float32Array(texts.length * 768);
    texts.forEach((text, i) => {
      data[i * 768 + (text.length % 768)] = 1;
      data[i * 768 + ((text.length * 7) % 768)] += 1;
    });
    return { rows: texts.length, cols: 768, data };
  },
};

test('sweep refuses splits from another space than the CLUB file, naming both; --allow-space-mismatch runs and records it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'emishift-space-'));
  const names = writeJob(dir);
  for (const name of names) {
    assert.equal(run('embed', '--split', join(dir, `${name}.jsonl`), '--out', join(dir, 'builtin', name)).code, 0);
    await embedSplit(await readSplitTable(join(dir, `${name}.jsonl`)), join(dir, 'other', name), { textEmbedder: otherSpace });
  }
  assert.equal(run('train', '--root', join(dir, 'builtin'), '--preset', 'small', '--epochs', '5', '--out', join(dir, 'club.safetensors')).code, 0);

  const refused = run('sweep', '--root', join(dir, 'other'), '--id', 'split0', '--club', join(dir, 'club.safetensors'), '--out', join(dir, 'refused.json'));
  assert.equal(refused.code, 2);
  const lines = refused.stderr.trim().split('\n').filter((line) => line.startsWith('emishift sweep: '));
  assert.equal(lines.length, 1, refused.stderr);
  assert.match(lines[0], /split 'split0' is in space test \(test-constant-v1, 768-d, l2\) but the estimator \(club from .*club\.safetensors\) was fitted in builtin \(emishift-builtin-text-v1, 768-d, l2\)/);
  assert.match(lines[0], /; pass --allow-space-mismatch to run anyway$/);

  const allowed = run('sweep', '--root', join(dir, 'other'), '--id', 'split0', '--club', join(dir, 'club.safetensors'), '--out', join(dir, 'allowed.json'), '--allow-space-mismatch');
  assert.equal(allowed.code, 0, allowed.stderr);
  assert.match(allowed.stderr, /^emishift sweep: warning: ran 4 splits in another embedding space than the estimator's because mismatches were allowed/m);
  const results = JSON.parse(readFileSync(join(dir, 'allowed.json'), 'utf8'));
  assert.equal(results.provenance.space_check.allow_mismatch, true);
  assert.deepEqual([...new Set(results.provenance.space_check.mismatches.map((m: { split: string }) => m.split))], names);
  assert.match(results.provenance.invocation.command, /--allow-space-mismatch/);
});

test("sweep with the authors' checkpoint on builtin-embedded splits exits 2 naming both spaces", (t) => {
  const checkpoint = fixturePath('official', 'CLUB_global.pt');
  if (!checkpoint.path) return t.skip(checkpoint.skipReason);
  const dir = mkdtempSync(join(tmpdir(), 'emishift-authors-'));
  const names = writeJob(dir);
  for (const name of names) assert.equal(run('embed', '--split', join(dir, `${name}.jsonl`), '--out', join(dir, 'splits', name)).code, 0);
  const refused = run('sweep', '--root', join(dir, 'splits'), '--id', 'split0', '--club', checkpoint.path);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /is in space builtin \(emishift-builtin-text-v1, 768-d, l2\) but the estimator \(club from .*CLUB_global\.pt\) was fitted in paper \(xlm-roberta-base \+ clip-vit-base-patch32, 768-d, l2\)/);
  const allowed = run('sweep', '--root', join(dir, 'splits'), '--id', 'split0', '--club', checkpoint.path, '--allow-space-mismatch', '--json');
  assert.equal(allowed.code, 0, allowed.stderr);
  const results = JSON.parse(allowed.stdout);
  assert.equal(results.provenance.estimator.file.recognizedAs, "the authors' CLUB_global.pt (Oh et al., ICML 2025)");
  assert.equal(results.provenance.space_check.mismatches.length, 4);
});

test('train without manifests warns that the CLUB file records no space, and a sweep with it warns once', () => {
  const dir = mkdtempSync(join(tmpdir(), 'emishift-nospace-'));
  const { writeSweepRoot } = require('../support/splitFolders') as typeof import('../support/splitFolders');
  writeSweepRoot(join(dir, 'root'), { count: 3 });
  const trained = run('train', '--root', join(dir, 'root'), '--preset', 'small', '--epochs', '3', '--out', join(dir, 'club.safetensors'));
  assert.equal(trained.code, 0, trained.stderr);
  assert.match(trained.stderr, /^emishift train: warning: the training pairs come from split folders without a manifest naming their embedding space: .*club\.safetensors records no embedding space/m);
  const swept = run('sweep', '--root', join(dir, 'root'), '--id', 'id', '--club', join(dir, 'club.safetensors'));
  assert.equal(swept.code, 0, swept.stderr);
  assert.deepEqual(swept.stderr.trim().split('\n').filter((line) => line.includes(': warning: ')), [
    `emishift sweep: warning: the estimator (club from ${join(dir, 'club.safetensors')}) records no embedding space: the splits cannot be checked against it`,
    'emishift sweep: warning: 4 splits have no manifest naming their embedding space (id, ood1, ood2, ood3): they cannot be checked against the estimator',
  ]);
});
