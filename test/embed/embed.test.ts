import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BuiltinImageEmbedder } from '../../src/embed/builtinImage';
import { BuiltinTextEmbedder } from '../../src/embed/builtinText';
import { embed } from '../../src/embed/embed';
import { columnContentHash, embedSplit } from '../../src/embed/embedSplit';
import { readSplitFolder } from '../../src/data/splitDirectory';
import { readSplitManifest } from '../../src/data/splitManifest';
import type { SplitTable } from '../../src/data/splitRow';
import { describeShift } from '../../src/data/shiftFamilies';
import { generateQueries } from '../../src/benchmark/questions';
import { shiftedQueries } from '../../src/benchmark/splitGrid';
import { isInputError } from '../../src/errors';
import { encodePng, rgbaToRgb, type ImageInput, type RgbImage } from '../../src/io/image';

const root = mkdtempSync(join(tmpdir(), 'emishift-embed-'));
const embedders = () => ({ text: new BuiltinTextEmbedder(), image: new BuiltinImageEmbedder() });

/** A benchmark split as the job builds it, its images as PNG bytes or as the rendered pixels. */
function benchmarkTable(images: 'png' | 'pixels', count = 12): SplitTable<ImageInput> {
  const spec = { name: 'shift_frost_3_keyboard_typos_1', image: { name: 'frost' as const, severity: 3 }, text: { name: 'keyboard_typos' as const, severity: 1 } };
  const shifted = shiftedQueries(generateQueries(count, 5), spec);
  return {
    name: spec.name,
    source: 'generated (test)',
    shift: describeShift([{ family: 'frost', severity: 3, modality: 'image' }]),
    rows: shifted.map((item) => ({
      question_id: item.query.question_id,
      question: item.question,
      reference_answer: item.query.reference_answer,
      model_answer: `${item.query.reference_answer} (maybe)`,
      image: images === 'png' ? encodePng(item.image) : rgbaToRgb(item.image),
    })),
  };
}

test('embed is the in-memory set: what embedSplit writes and readSplitFolder reads back, bit for bit', async () => {
  const table = benchmarkTable('png');
  const set = await embed(table, embedders(), { batchSize: 5 });
  assert.equal(set.name, table.name);
  assert.deepEqual(set.shift, table.shift);
  assert.deepEqual([set.text.rows, set.text.cols, set.image?.rows, set.image?.cols], [12, 768, 12, 768]);
  const direct = await new BuiltinTextEmbedder().embedTexts(table.rows.map((row) => row.model_answer as string));
  assert.deepEqual(set.response.data, direct.data);
  for (let r = 0; r < 12; r++) {
    const norm = Math.hypot(...(set.image as { data: Float32Array }).data.subarray(r * 768, (r + 1) * 768));
    assert.ok(Math.abs(norm - 1) < 1e-6, `row ${r} norm ${norm}`);
  }

  const directory = join(root, 'written');
  const result = await embedSplit(table, directory, { textEmbedder: new BuiltinTextEmbedder(), imageEmbedder: new BuiltinImageEmbedder(), batchSize: 5 });
  const readBack = readSplitFolder(directory, table.name);
  // The returned set is the folder's own: same matrices, space, shift and origin as reading it.
  assert.deepEqual(result.set, readBack);
  for (const key of ['image', 'text', 'response', 'reference'] as const) assert.deepEqual(result.set[key]?.data, set[key]?.data, key);
  assert.deepEqual(set.space, readBack.space);
  assert.equal(result.set.origin?.directory, directory);

  // A rerun reuses every column and still hands back the same set.
  const rerun = await embedSplit(table, directory, { textEmbedder: new BuiltinTextEmbedder(), imageEmbedder: new BuiltinImageEmbedder() });
  assert.deepEqual(rerun.reused, ['text', 'response', 'reference', 'image']);
  assert.deepEqual(rerun.set, readBack);
});

test('benchmark images handed over as pixels embed exactly as their PNG bytes did', async () => {
  const fromPng = await embed(benchmarkTable('png'), embedders());
  const fromPixels = await embed(benchmarkTable('pixels'), embedders());
  assert.deepEqual(fromPixels.image?.data, fromPng.image?.data);
  assert.deepEqual(fromPixels.space, fromPng.space);

  // Through the cache: pixels and PNG hash differently (so switching re-embeds the image column
  // once) but the file written is byte-identical.
  const pixelsDir = join(root, 'pixels');
  const pngDir = join(root, 'png');
  await embedSplit(benchmarkTable('pixels'), pixelsDir, { textEmbedder: new BuiltinTextEmbedder(), imageEmbedder: new BuiltinImageEmbedder() });
  await embedSplit(benchmarkTable('png'), pngDir, { textEmbedder: new BuiltinTextEmbedder(), imageEmbedder: new BuiltinImageEmbedder() });
  assert.deepEqual(readFileSync(join(pixelsDir, 'v.npy')), readFileSync(join(pngDir, 'v.npy')));
  assert.notEqual(readSplitManifest(pixelsDir)?.columns.image?.contentHash, readSplitManifest(pngDir)?.columns.image?.contentHash);
  assert.equal(readSplitManifest(pixelsDir)?.columns.text?.contentHash, readSplitManifest(pngDir)?.columns.text?.contentHash);
  const switched = await embedSplit(benchmarkTable('png'), pixelsDir, { textEmbedder: new BuiltinTextEmbedder(), imageEmbedder: new BuiltinImageEmbedder() });
  assert.deepEqual(switched.embedded, ['image']);
  assert.deepEqual(readFileSync(join(pixelsDir, 'v.npy')), readFileSync(join(pngDir, 'v.npy')));
});

test('the content hash of decoded pixels covers their shape and every byte, and never equals an encoded image', () => {
  const pixels: RgbImage = { width: 2, height: 3, data: Uint8Array.from({ length: 18 }, (_, i) => i * 13) };
  const hash = columnContentHash([pixels]);
  assert.match(hash, /^sha256:[0-9a-f]{64}$/);
  assert.equal(columnContentHash([{ width: 2, height: 3, data: Uint8Array.from(pixels.data) }]), hash, 'a copy hashes alike');
  assert.notEqual(columnContentHash([{ width: 3, height: 2, data: pixels.data }]), hash, 'the shape counts');
  const changed = Uint8Array.from(pixels.data);
  changed[17] ^= 1;
  assert.notEqual(columnContentHash([{ width: 2, height: 3, data: changed }]), hash, 'every byte counts');
  assert.notEqual(columnContentHash([pixels.data]), hash, 'pixels are not the same bytes as an encoded image');
  // The documented definition: the item is the header line, then the pixel bytes.
  assert.equal(columnContentHash([Buffer.concat([Buffer.from('emishift-rgb8 2x3\n'), pixels.data])]), hash);
  // Texts and encoded images hash as they always did: length-prefixed items after a version line.
  assert.notEqual(columnContentHash(['ab', 'c']), columnContentHash(['a', 'bc']));
});

test('embed refuses what embedSplit refuses, and reports progress per batch', async () => {
  const table = benchmarkTable('pixels', 6);
  delete table.rows[2].model_answer;
  await assert.rejects(embed(table, embedders()), (error: unknown) => isInputError(error) && /1 of 6 rows have no model_answer \(question_id 2\)/.test(error.message));
  const partial = benchmarkTable('pixels', 6);
  delete partial.rows[4].image;
  await assert.rejects(embed(partial, embedders()), /1 of 6 rows have no image \(question_id 4\)/);
  const broken = benchmarkTable('pixels', 6);
  broken.rows[3].image = { width: 64, height: 64, data: new Uint8Array(10) };
  await assert.rejects(embed(broken, embedders()), /generated \(test\): image: question_id 3: .*image buffer holds 10 bytes/);

  const done: number[] = [];
  const textOnly = await embed(benchmarkTable('pixels', 6), { text: new BuiltinTextEmbedder() }, { batchSize: 4, onProgress: (progress) => done.push(progress.done) });
  assert.equal(textOnly.image, undefined);
  assert.equal(textOnly.space?.image, null);
  assert.deepEqual(done, [0, 4, 6, 6, 10, 12, 12, 16, 18]);
});

test.after(() => rmSync(root, { recursive: true, force: true }));
