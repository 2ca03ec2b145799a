import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClubEstimator } from '../../src/estimators/club/clubEstimator';
import { initClubParameters } from '../../src/estimators/club/clubModel';
import { sweepSplits } from '../../src/sweep/sweep';
import { sweepSplitFolders } from '../../src/sweep/sweepFolder';
import { readResults } from '../../src/sweep/resultsJson';
import { readSplitFolder, readSplitFolders, writeSplitFolder } from '../../src/data/splitDirectory';
import { syntheticSet } from '../support/synthetic';

const estimator = new ClubEstimator(initClubParameters({ xDim: 16, yDim: 16, hiddenDim: 8 }, 1));
const sets = [syntheticSet(14, 16, 1, { name: 'id' }), ...[1, 2, 3].map((k) => syntheticSet(14, 16, 1 + k, { name: `ood${k}`, offset: 0.5 * k }))];

function splitRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'emishift-sweep-folder-'));
  for (const set of sets) writeSplitFolder(join(root, set.name!), set);
  return root;
}

test('sweepSplitFolders equals sweepSplits over the folders, and writes its results with the metadata', async () => {
  const root = splitRoot();
  const out = join(root, 'results.json');
  const result = await sweepSplitFolders(root, 'id', estimator, { out, metadata: { split_root: root }, warn: () => {} });
  const read = (name: string) => ({ name, location: join(root, name), load: () => readSplitFolder(join(root, name), name) });
  const direct = await sweepSplits(read('id'), ['ood1', 'ood2', 'ood3'].map(read), estimator, { warn: () => {} });
  assert.deepEqual(result.comparisons, direct.comparisons);
  assert.deepEqual(readResults(out).metadata, { split_root: root });
  assert.equal(existsSync(`${out}.partial.jsonl`), false, 'the checkpoint is removed once the results are written');
  await assert.rejects(sweepSplitFolders(root, 'nope', estimator), /nope/);
});

test('sweepSplitFolders resumes from its checkpoint, and discards one made from other inputs', async () => {
  const root = splitRoot();
  const out = join(root, 'results.json');
  const first = await sweepSplitFolders(root, 'id', estimator, { out, warn: () => {} });
  // An interrupted run: its final write fails (a folder stands where the results go), so its checkpoint stays.
  const blocked = join(mkdtempSync(join(tmpdir(), 'emishift-blocked-')), 'results.json');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(blocked);
  await assert.rejects(sweepSplitFolders(root, 'id', estimator, { out: blocked, warn: () => {} }));
  const lines = readFileSync(`${blocked}.partial.jsonl`, 'utf8').trim().split('\n');
  assert.equal(lines.length, 4, 'header and three comparisons');
  const partial = `${out}.partial.jsonl`;
  const tampered = JSON.parse(lines[1]);
  tampered.emid = 123;
  writeFileSync(partial, [lines[0], JSON.stringify(tampered)].join('\n') + '\n');
  const resumed = await sweepSplitFolders(root, 'id', estimator, { out, warn: () => {} });
  assert.equal(resumed.comparisons.find((c) => c.target === tampered.target)?.emid, 123, 'the checkpointed comparison is reused');
  assert.deepEqual(
    resumed.comparisons.filter((c) => c.target !== tampered.target).map((c) => c.emid),
    first.comparisons.filter((c) => c.target !== tampered.target).map((c) => c.emid),
  );
  // Other settings: the same checkpoint is stale and everything is recomputed.
  writeFileSync(partial, [lines[0], JSON.stringify(tampered)].join('\n') + '\n');
  const rescaled = await sweepSplitFolders(root, 'id', estimator, { out, entropyScale: 2, warn: () => {} });
  assert.notEqual(rescaled.comparisons.find((c) => c.target === tampered.target)?.emid, 123);
});

test('readSplitFolders reads every split in name order, and names an empty root', () => {
  const root = splitRoot();
  assert.deepEqual(readSplitFolders(root).map((set) => set.name), ['id', 'ood1', 'ood2', 'ood3']);
  const empty = mkdtempSync(join(tmpdir(), 'emishift-empty-'));
  assert.throws(() => readSplitFolders(empty), (error: Error) => error.message.includes(empty) && /no split folders found/.test(error.message));
});
