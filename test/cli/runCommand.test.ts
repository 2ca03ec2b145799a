import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDriftingSplit } from '../support/textSplits';

const BIN = join(__dirname, '..', '..', '..', 'bin', 'emishift.js');
const run = (...args: string[]) => {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
};

test('run --config: the whole job from split files, reused on a rerun; a bad config exits 2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'emishift-run-'));
  const splits = [0, 1, 2, 3].map((drift) => {
    const file = join(dir, `split${drift}.jsonl`);
    writeDriftingSplit(file, drift);
    return { file: `split${drift}.jsonl` };
  });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ id: 'split0', out: 'job', splits, club: { epochs: 20 } }));
  const first = run('run', '--config', join(dir, 'config.json'), '--json');
  assert.equal(first.code, 0, first.stderr);
  const summary = JSON.parse(first.stdout);
  assert.deepEqual(Object.keys(summary), ['results', 'report', 'splits', 'club_reused', 'pearson_r', 'pearson_pval', 'spearman_rho']);
  assert.equal(summary.splits, 4);
  // stderr is not a terminal here: one line per stage start and end, none per split or epoch.
  assert.deepEqual(first.stderr.trim().split('\n').map((line) => line.replace(/\d+\.\d s$/, 'T s')), [
    'run: embedding (4 splits)…',
    'run: embedding: 4 splits in T s',
    'run: training CLUB (20 epochs)…',
    'run: training CLUB: 20 epochs in T s',
    'run: comparing with the ID split (3 splits)…',
    'run: comparing with the ID split: 3 splits in T s',
  ]);
  assert.equal(summary.club_reused, false);
  assert.equal(typeof summary.pearson_r, 'number');
  const results = JSON.parse(readFileSync(join(dir, 'job', 'results.json'), 'utf8'));
  assert.deepEqual(Object.keys(results.EMID).sort(), ['split1', 'split2', 'split3']);
  assert.ok(existsSync(join(dir, 'job', 'report.html')));
  assert.ok(existsSync(join(dir, 'job', 'embeddings', 'split2', 'yhat.npy')));
  const again = JSON.parse(run('run', '--config', join(dir, 'config.json'), '--json').stdout);
  assert.equal(again.club_reused, true);
  assert.equal(again.pearson_r, summary.pearson_r);

  writeFileSync(join(dir, 'bad.json'), JSON.stringify({ id: 'split0', splits: [{ file: 'split0.jsonl' }] }));
  const bad = run('run', '--config', join(dir, 'bad.json'));
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /bad\.json: splits: expected "splits": at least two/);
  writeFileSync(join(dir, 'missing.json'), JSON.stringify({ id: 'split0', splits: [...splits, { file: 'gone.jsonl' }] }));
  const missing = run('run', '--config', join(dir, 'missing.json'));
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /gone\.jsonl: file not found/);
  writeFileSync(join(dir, 'noid.json'), JSON.stringify({ id: 'nope', splits }));
  const noId = run('run', '--config', join(dir, 'noid.json'));
  assert.equal(noId.code, 2);
  assert.match(noId.stderr, /noid\.json: id: no split named 'nope'/);
  // The settings `sweep` takes as flags are config keys, checked before anything runs.
  const settings: [object, RegExp][] = [
    [{ mixtrue: 'equal' }, /typo\.json: mixtrue: unknown key \(did you mean 'mixture'\?\); expected id, splits, out, embedder, club, mixture, entropyScale, bootstrap$/],
    [{ bootstrap: { resamples: 0 } }, /typo\.json: bootstrap\.resamples: expected a positive number of resamples, got 0$/],
    [{ embedder: { kind: 'openai', apiKey: 'sk-1' } }, /typo\.json: embedder\.apiKey: keep API keys out of config files/],
  ];
  for (const [extra, pattern] of settings) {
    writeFileSync(join(dir, 'typo.json'), JSON.stringify({ id: 'split0', splits, ...extra }));
    const refused = run('run', '--config', join(dir, 'typo.json'));
    assert.equal(refused.code, 2, refused.stderr);
    assert.equal(refused.stderr.trim().split('\n').length, 1, refused.stderr);
    assert.match(refused.stderr.trim(), pattern);
  }
});
