/**
 * `emishift monitor`: windows of a stream against a reference from the command line, the
 * resumable --out log, a stream of rows embedded in the reference's space, and bad input (exit 2,
 * one line naming the option or file).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveClub } from '../../src/estimators/club/clubFile';
import { initClubParameters } from '../../src/estimators/club/clubModel';
import { writeSplitFolder } from '../../src/data/splitDirectory';
import { syntheticSet } from '../support/synthetic';
import { writeDriftingSplit } from '../support/textSplits';

const BIN = join(__dirname, '..', '..', '..', 'bin', 'emishift.js');
const emishift = (...args: string[]) => {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
};
const work = mkdtempSync(join(tmpdir(), 'emishift-monitor-cli-'));
const dim = 6;
const reference = join(work, 'reference');
const stream = join(work, 'stream');
writeSplitFolder(reference, syntheticSet(20, dim, 1, { name: 'reference' }));
writeSplitFolder(stream, syntheticSet(50, dim, 2, { name: 'stream' }));
const club = join(work, 'club.safetensors');
saveClub(club, initClubParameters({ xDim: dim, yDim: dim, hiddenDim: 8 }, 3));
const base = ['monitor', '--reference', reference, '--stream', stream, '--club', club];

test('monitor --json: one entry per window with the --out keys, settings and provenance', () => {
  const run = emishift(...base, '--window', '10', '--step', '10', '--permutations', '19', '--seed', '4', '--json');
  assert.equal(run.code, 0, run.stderr);
  const printed = JSON.parse(run.stdout);
  assert.equal(printed.windows.length, 5);
  assert.deepEqual(printed.windows.map((w: { start: number }) => w.start), [0, 10, 20, 30, 40]);
  assert.equal(typeof printed.windows[0].emid_pvalue, 'number');
  assert.equal(typeof printed.windows[0].alert, 'boolean');
  assert.deepEqual(printed.settings, { window: 10, step: 10, permutations: 19, seed: 4, alpha: 0.05, adjust: 'bonferroni', statistics: ['emid', 'jsd_v', 'jsd_t', 'emid_ub'], mixture: 'sample-weighted', entropy_scale: null });
  assert.equal(printed.provenance.estimator.name, 'club');
  assert.equal(printed.stream.rows, 50);
  // 19 permutations cannot reach 0.05 after Bonferroni over 4: said on stderr and in the provenance.
  assert.match(run.stderr, /warning: with 19 permutations the smallest adjusted p-value is 0.200.*no window can alert/);
});

test('monitor --out: resumable; a rerun appends nothing when done, repairs a torn line, refuses other settings', () => {
  const out = join(work, 'log.jsonl');
  const args = [...base, '--window', '10', '--permutations', '99', '--out', out];
  const first = emishift(...args);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /5 windows appended to/);
  const complete = readFileSync(out);
  assert.equal(complete.toString('utf8').trim().split('\n').length, 6);
  const again = emishift(...args);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /0 windows appended to .* \(5 resumed from it\)/);
  assert.deepEqual(readFileSync(out), complete);
  writeFileSync(out, complete.subarray(0, complete.length - 30));
  const repaired = emishift(...args);
  assert.equal(repaired.code, 0, repaired.stderr);
  assert.match(repaired.stderr, /cut off a torn last line/);
  assert.match(repaired.stdout, /1 windows appended to .* \(4 resumed from it\)/);
  assert.deepEqual(readFileSync(out), complete);
  const other = emishift(...base, '--window', '10', '--permutations', '199', '--out', out);
  assert.equal(other.code, 2);
  assert.equal(other.stderr.trim().split('\n').length, 1);
  assert.match(other.stderr, /--permutations: .*written with permutations 99, this run has 199/);
  assert.deepEqual(readFileSync(out), complete);
});

test('monitor: bad input exits 2 with one line naming the option or file', () => {
  const other = join(work, 'other-dimension');
  writeSplitFolder(other, syntheticSet(40, dim + 1, 5, { name: 'other' }));
  const cases: [string[], RegExp][] = [
    [[...base, '--window', '60'], /--window: window of 60 rows is larger than the stream's 50 rows/],
    [[...base, '--window', '1'], /--window: expected an integer ≥ 2/],
    [[...base, '--window', '10', '--permutations', '0'], /--permutations: expected a positive integer/],
    [[...base, '--window', '10', '--alpha', '0.05'], /--alpha: goes with --permutations K/],
    [[...base, '--window', '10', '--permutations', '9', '--adjust', 'holm'], /--adjust: expected bonferroni or bh, got 'holm'/],
    [['monitor', '--reference', reference, '--stream', other, '--club', club, '--window', '10'], new RegExp(`${other.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: the stream's embeddings are 7-d`)],
    [['monitor', '--reference', reference, '--stream', stream, '--club', club], /missing required option --window/],
  ];
  for (const [args, pattern] of cases) {
    const run = emishift(...args);
    assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    assert.match(run.stderr, pattern);
  }
});

test('monitor --stream FILE.jsonl: rows embedded in the reference split’s space (its manifest’s embedder)', () => {
  const referenceRows = join(work, 'reference.jsonl');
  const streamRows = join(work, 'stream.jsonl');
  writeDriftingSplit(referenceRows, 0, 24);
  writeDriftingSplit(streamRows, 2, 30);
  const embeddedReference = join(work, 'embedded-reference');
  const embedded = emishift('embed', '--split', referenceRows, '--out', embeddedReference);
  assert.equal(embedded.code, 0, embedded.stderr);
  const run = emishift('monitor', '--reference', embeddedReference, '--stream', streamRows, '--estimator', 'ksg', '--window', '15', '--json');
  assert.equal(run.code, 0, run.stderr);
  const printed = JSON.parse(run.stdout);
  assert.equal(printed.windows.length, 2);
  assert.equal(printed.provenance.reference.space.embedder, 'builtin');
  assert.ok(printed.windows.every((w: { emid: number; alert: null }) => Number.isFinite(w.emid) && w.alert === null));
});
