import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inputFingerprint, openSweepCheckpoint } from '../../src/sweep/checkpoint';
import type { ComputedComparison } from '../../src/sweep/sweep';

const comparison = (target: string): ComputedComparison => ({
  source: 'id',
  target,
  sourceEmi: { emi: 0.1, miModel: 0.3, miReference: 0.2 },
  targetEmi: { emi: 0.05, miModel: 0.25, miReference: 0.2 },
  emid: 0.05,
  terms: { jsdV: 0.1, jsdT: 0.2, jsdPy: 0.3, jsdQy: 0.4 },
  emidUpperBound: 1.5,
  targetSplit: { rows: 90, space: null, manifest_digest: null },
});

test('a checkpoint keeps finished comparisons across reopenings and ignores a cut-off last line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'emishift-checkpoint-'));
  const path = join(dir, 'results.json.partial.jsonl');
  const first = openSweepCheckpoint(path, 'key-1');
  assert.deepEqual(first.completed, []);
  first.append(comparison('a'));
  first.append(comparison('b'));
  appendFileSync(path, '{"source":"id","target":"c","emid":0.0'); // killed mid-write
  const second = openSweepCheckpoint(path, 'key-1');
  assert.deepEqual(second.completed.map((c) => c.target), ['a', 'b']);
  second.append(comparison('c'));
  assert.deepEqual(openSweepCheckpoint(path, 'key-1').completed.map((c) => c.target), ['a', 'b', 'c']);
  // Other inputs: start over.
  assert.deepEqual(openSweepCheckpoint(path, 'key-2').completed, []);
  const third = openSweepCheckpoint(path, 'key-2');
  third.remove();
  assert.equal(existsSync(path), false);
});

test('the fingerprint changes when an input file or a setting changes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'emishift-fingerprint-'));
  const file = join(dir, 'a.npy');
  writeFileSync(file, 'one');
  const before = inputFingerprint([file], { id: 'x' });
  assert.equal(inputFingerprint([file], { id: 'x' }), before);
  assert.notEqual(inputFingerprint([file], { id: 'y' }), before);
  writeFileSync(file, 'three');
  assert.notEqual(inputFingerprint([file], { id: 'x' }), before);
});
