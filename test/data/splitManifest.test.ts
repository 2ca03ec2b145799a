import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { embedSplit } from '../../src/embed/embedSplit';
import { BuiltinImageEmbedder } from '../../src/embed/builtinImage';
import { BuiltinTextEmbedder } from '../../src/embed/builtinText';
import { readSplitFolder, writeSplitFolder } from '../../src/data/splitDirectory';
import { manifestDigest, readSplitManifest } from '../../src/data/splitManifest';
import { describeShift } from '../../src/data/shiftFamilies';
import { isInputError } from '../../src/errors';
import { encodePng } from '../../src/io/image';
import type { SplitTable } from '../../src/data/splitRow';
import { syntheticSet } from '../support/synthetic';

function table(images: boolean): SplitTable {
  return {
    name: 'frosty',
    source: 'memory://frosty',
    shift: describeShift([{ family: 'frost', severity: 3 }]),
    rows: Array.from({ length: 6 }, (_, i) => ({
      question_id: i,
      question: `What colour is object ${i}?`,
      reference_answer: `It is ${i % 2 ? 'red' : 'blue'}.`,
      model_answer: `Maybe ${i % 3 ? 'green' : 'blue'}.`,
      ...(images ? { image: encodePng({ width: 8, height: 8, rgba: new Uint8Array(8 * 8 * 4).fill(40 * i) }) } : {}),
    })),
  };
}

test('the manifest names the embedding space and the shift; the folder reads back with them', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'emishift-manifest-'));
  await embedSplit(table(true), directory, { textEmbedder: new BuiltinTextEmbedder(), imageEmbedder: new BuiltinImageEmbedder() });
  const manifest = readSplitManifest(directory)!;
  assert.deepEqual(manifest.space, {
    embedder: 'builtin',
    text: new BuiltinTextEmbedder().encoder,
    image: new BuiltinImageEmbedder().encoder,
    dimension: 768,
    normalization: 'l2',
  });
  assert.equal(manifest.shift?.label, 'frost');
  const set = readSplitFolder(directory);
  assert.deepEqual(set.space, manifest.space);
  assert.deepEqual(set.shift, manifest.shift);
  assert.equal(set.origin?.directory, directory);
  assert.equal(set.origin?.manifestDigest, manifestDigest(manifest));
  assert.match(set.origin?.manifestDigest ?? '', /^sha256:[0-9a-f]{64}$/);
});

test('the manifest digest ignores timestamps but follows content, space and shift', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'emishift-digest-'));
  await embedSplit(table(false), directory, { textEmbedder: new BuiltinTextEmbedder() });
  const first = readSplitManifest(directory)!;
  assert.equal(first.space?.image, null);
  await new Promise((resolve) => setTimeout(resolve, 5));
  await embedSplit(table(false), directory, { textEmbedder: new BuiltinTextEmbedder() });
  const second = readSplitManifest(directory)!;
  assert.notEqual(second.updated, first.updated);
  assert.equal(manifestDigest(second), manifestDigest(first));
  assert.notEqual(manifestDigest({ ...second, shift: describeShift([{ family: 'frost', severity: 5 }]) }), manifestDigest(first));
  assert.notEqual(manifestDigest({ ...second, space: { ...second.space!, dimension: 512 } }), manifestDigest(first));
});

test('plain .npy folders have no space; a manifest that no longer fits its matrices is an error', () => {
  const directory = mkdtempSync(join(tmpdir(), 'emishift-plain-'));
  writeSplitFolder(directory, syntheticSet(5, 8, 1));
  const set = readSplitFolder(directory);
  assert.equal(set.space, undefined);
  assert.deepEqual(set.origin, { directory, manifestDigest: null });
  writeFileSync(join(directory, 'manifest.json'), JSON.stringify({ format: 'emishift-split-embeddings', version: 1, rows: 9, columns: {}, inProgress: {} }));
  assert.throws(
    () => readSplitFolder(directory),
    (error: unknown) => isInputError(error) && /manifest\.json: describes 9 rows but t\.npy has 5: the matrices were replaced after embedding/.test(error.message),
  );
  assert.ok(readFileSync(join(directory, 't.npy')).length > 0);
});
