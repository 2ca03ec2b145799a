import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BuiltinImageEmbedder } from '../../src/embed/builtinImage';
import { BuiltinTextEmbedder } from '../../src/embed/builtinText';
import { embedSplit } from '../../src/embed/embedSplit';
import { readSplitManifest, type SplitColumn } from '../../src/data/splitManifest';
import type { Embedder, ImageEmbedder } from '../../src/embed/embedder';
import type { ImageInput } from '../../src/io/image';
import type { SplitTable } from '../../src/data/splitRow';
import { readNpyMatrix } from '../../src/io/npy';
import { readSplitFolder } from '../../src/data/splitDirectory';
import { isInputError } from '../../src/errors';
import type { Matrix } from '../../src/interface';
import { encodeJpeg, encodePng, scene } from './fixtures';

const root = mkdtempSync(join(tmpdir(), 'emishift-embed-split-'));
let counter = 0;
const freshDir = (): string => join(root, `split-${counter++}`);

/** Wraps an embedder to count its work and, optionally, die after some calls (a killed run). */
class Recording implements ImageEmbedder {
  calls = 0;
  rows = 0;
  constructor(
    private readonly inner: Embedder & Partial<ImageEmbedder>,
    private readonly dieAfterCalls = Infinity,
    readonly id = inner.id,
  ) {}
  get dimension(): number {
    return this.inner.dimension;
  }
  get family(): string {
    return this.inner.family;
  }
  get encoder() {
    return this.inner.encoder;
  }
  private tick(count: number): void {
    if (this.calls >= this.dieAfterCalls) throw new Error('killed');
    this.calls++;
    this.rows += count;
  }
  async embedTexts(texts: readonly string[]): Promise<Matrix> {
    this.tick(texts.length);
    return this.inner.embedTexts(texts);
  }
  async embedImages(images: readonly ImageInput[]): Promise<Matrix> {
    this.tick(images.length);
    if (!this.inner.embedImages) throw new Error(`${this.inner.id} embeds no images`);
    return this.inner.embedImages(images);
  }
}

function table(rows = 10, options: { images?: boolean; answerSuffix?: string } = {}): SplitTable {
  return {
    name: 'llava_bench_coco_test',
    source: 'memory://test',
    rows: Array.from({ length: rows }, (_, i) => ({
      question_id: i + 100,
      question: `What is in picture ${i}? Describe the objects.`,
      reference_answer: `Picture ${i} shows ${i % 3 === 0 ? 'a cat' : 'a dog'} on a sofa.`,
      model_answer: `It shows an animal number ${i}.${options.answerSuffix ?? ''}`,
      ...(options.images ? { image: i % 2 === 0 ? encodePng(scene(48, 32, i)) : encodeJpeg(scene(48, 32, i)) } : {}),
    })),
  };
}

test('writes t/yhat/y/v.npy and a manifest; the folder reads back as a split', async () => {
  const directory = freshDir();
  const split = table(10, { images: true });
  const progress: number[] = [];
  const result = await embedSplit(split, directory, {
    textEmbedder: new BuiltinTextEmbedder(),
    imageEmbedder: new BuiltinImageEmbedder(),
    batchSize: 4,
    expectedDimension: 768,
    onProgress: ({ done, total }) => {
      assert.equal(total, 40);
      progress.push(done);
    },
  });
  assert.deepEqual(result.embedded, ['text', 'response', 'reference', 'image']);
  assert.deepEqual(result.reused, []);
  assert.deepEqual(progress, [...progress].sort((a, b) => a - b));
  assert.equal(progress[progress.length - 1], 40);
  const set = readSplitFolder(directory);
  assert.deepEqual(result.set, readSplitFolder(directory, split.name), 'the returned set is what the folder holds');
  assert.equal(set.text.rows, 10);
  assert.equal(set.image?.cols, 768);
  const direct = await new BuiltinTextEmbedder().embedTexts(split.rows.map((row) => row.model_answer as string));
  assert.deepEqual(Array.from(set.response.data), Array.from(direct.data));
  const images = await new BuiltinImageEmbedder().embedImages(split.rows.map((row) => row.image as Uint8Array));
  assert.deepEqual(Array.from(set.image?.data ?? []), Array.from(images.data));

  const manifest = readSplitManifest(directory);
  assert.ok(manifest);
  assert.equal(manifest.rows, 10);
  assert.equal(manifest.dimension, 768);
  assert.deepEqual(manifest.questionIds, split.rows.map((row) => row.question_id));
  assert.equal(manifest.embedders.text, new BuiltinTextEmbedder().id);
  assert.equal(manifest.embedders.image, new BuiltinImageEmbedder().id);
  assert.deepEqual(Object.keys(manifest.columns).sort(), ['image', 'reference', 'response', 'text']);
  assert.equal(manifest.columns.text?.input, 'question');
  assert.match(manifest.columns.text?.contentHash ?? '', /^sha256:[0-9a-f]{64}$/);
  assert.notEqual(manifest.columns.text?.contentHash, manifest.columns.reference?.contentHash);
  assert.deepEqual(manifest.inProgress, {});
  assert.ok(!Number.isNaN(Date.parse(manifest.created ?? '')));
  assert.equal(existsSync(join(directory, '.partial')), false);
});

test('a rerun reuses everything; a changed column alone is re-embedded; a tampered file is redone', async () => {
  const directory = freshDir();
  const first = new Recording(new BuiltinTextEmbedder());
  await embedSplit(table(), directory, { textEmbedder: first });
  assert.equal(first.rows, 30);
  const created = readSplitManifest(directory)?.created;

  const again = new Recording(new BuiltinTextEmbedder());
  const rerun = await embedSplit(table(), directory, { textEmbedder: again });
  assert.equal(again.calls, 0);
  assert.deepEqual(rerun.reused, ['text', 'response', 'reference']);
  assert.deepEqual(rerun.embedded, []);
  assert.equal(readSplitManifest(directory)?.created, created);

  const changed = new Recording(new BuiltinTextEmbedder());
  const result = await embedSplit(table(10, { answerSuffix: ' (v2)' }), directory, { textEmbedder: changed });
  assert.deepEqual(result.embedded, ['response']);
  assert.equal(changed.rows, 10);
  const direct = await new BuiltinTextEmbedder().embedTexts(table(10, { answerSuffix: ' (v2)' }).rows.map((r) => r.model_answer as string));
  assert.deepEqual(Array.from(readNpyMatrix(join(directory, 'yhat.npy')).data), Array.from(direct.data));

  // A file replaced behind the manifest's back no longer matches its recorded hash.
  writeFileSync(join(directory, 'y.npy'), readFileSync(join(directory, 't.npy')));
  const repaired = new Recording(new BuiltinTextEmbedder());
  assert.deepEqual((await embedSplit(table(10, { answerSuffix: ' (v2)' }), directory, { textEmbedder: repaired })).embedded, ['reference']);

  // Another embedder id invalidates every column it produced.
  const other = new Recording(new BuiltinTextEmbedder(), Infinity, 'another-model');
  assert.deepEqual((await embedSplit(table(10, { answerSuffix: ' (v2)' }), directory, { textEmbedder: other })).embedded, ['text', 'response', 'reference']);
  const forced = new Recording(new BuiltinTextEmbedder(), Infinity, 'another-model');
  await embedSplit(table(10, { answerSuffix: ' (v2)' }), directory, { textEmbedder: forced, force: true });
  assert.equal(forced.rows, 30);
});

test('a killed run resumes where it stopped, and never leaves a partial .npy', async () => {
  const directory = freshDir();
  const split = table(10);
  // Batches of 3: text takes 4 calls; dying on call 6 leaves text done and 1 response batch saved.
  const dying = new Recording(new BuiltinTextEmbedder(), 5);
  await assert.rejects(embedSplit(split, directory, { textEmbedder: dying, batchSize: 3 }), /killed/);
  assert.ok(existsSync(join(directory, 't.npy')));
  assert.equal(existsSync(join(directory, 'yhat.npy')), false);
  const manifest = readSplitManifest(directory);
  assert.equal(manifest?.inProgress.response?.rowsDone, 3);
  assert.ok(manifest?.columns.text);
  // A batch interrupted mid-write leaves stray bytes past the recorded rows; they are cut off.
  appendFileSync(join(directory, '.partial', 'response.f32'), Buffer.alloc(1000, 7));

  const resumed = new Recording(new BuiltinTextEmbedder());
  const progress: number[] = [];
  const result = await embedSplit(split, directory, { textEmbedder: resumed, batchSize: 3, onProgress: ({ done }) => progress.push(done) });
  assert.deepEqual(result.reused, ['text']);
  assert.deepEqual(result.embedded, ['response', 'reference']);
  assert.equal(resumed.rows, 7 + 10);
  assert.equal(progress[0], 3);
  // The resumed column's set rows include the ones saved before the kill.
  assert.deepEqual(result.set.response.data, readNpyMatrix(join(directory, 'yhat.npy')).data);
  const fresh = freshDir();
  await embedSplit(split, fresh, { textEmbedder: new BuiltinTextEmbedder() });
  for (const file of ['t.npy', 'yhat.npy', 'y.npy']) {
    assert.deepEqual(Array.from(readNpyMatrix(join(directory, file)).data), Array.from(readNpyMatrix(join(fresh, file)).data), file);
  }
  assert.deepEqual(readSplitManifest(directory)?.inProgress, {});
  assert.equal(existsSync(join(directory, '.partial')), false);
});

test('a killed re-embedding of a changed column keeps the previous good matrix in place', async () => {
  const directory = freshDir();
  await embedSplit(table(), directory, { textEmbedder: new BuiltinTextEmbedder() });
  const before = readFileSync(join(directory, 'yhat.npy'));
  const dying = new Recording(new BuiltinTextEmbedder(), 1);
  await assert.rejects(embedSplit(table(10, { answerSuffix: '!' }), directory, { textEmbedder: dying, batchSize: 4 }), /killed/);
  assert.deepEqual(readFileSync(join(directory, 'yhat.npy')), before);
  assert.equal(readNpyMatrix(join(directory, 'yhat.npy')).rows, 10);
  const manifest = readSplitManifest(directory);
  assert.equal(manifest?.columns.response, undefined, 'the stale column is no longer vouched for');
  assert.equal(manifest?.inProgress.response?.rowsDone, 4);
});

test('missing model answers are an InputError naming the question_ids', async () => {
  const split = table(15);
  for (const i of [2, 5, 11]) delete split.rows[i].model_answer;
  await assert.rejects(
    embedSplit(split, freshDir(), { textEmbedder: new BuiltinTextEmbedder() }),
    (error: unknown) => isInputError(error) && /3 of 15 rows have no model_answer \(question_id 102, 105, 111\)/.test(error.message),
  );
});

test('an embedder of the wrong dimension is an InputError', async () => {
  const small: Embedder = {
    id: 'small',
    family: 'test',
    encoder: { model: 'constant', pooling: 'none' },
    dimension: 16,
    embedTexts: async (texts) => ({ rows: texts.length, cols: 16, data: new Float32Array(texts.length * 16).fill(0.25) }),
  };
  await assert.rejects(
    embedSplit(table(), freshDir(), { textEmbedder: small, expectedDimension: 768 }),
    (error: unknown) => isInputError(error) && /produces 16-dimensional embeddings, expected 768/.test(error.message),
  );
  // A dimension only revealed by the output is caught too.
  const liar: Embedder = { ...small, id: 'liar', dimension: 0 };
  await assert.rejects(embedSplit(table(), freshDir(), { textEmbedder: liar, expectedDimension: 768 }), /16-dimensional embeddings, expected 768/);
  await assert.rejects(
    embedSplit(table(4, { images: true }), freshDir(), { textEmbedder: small, imageEmbedder: new BuiltinImageEmbedder() }),
    /needs one dimension/,
  );
});

test('text-only splits write no v.npy (and remove a stale one); partial images are refused', async () => {
  const directory = freshDir();
  await embedSplit(table(6, { images: true }), directory, { textEmbedder: new BuiltinTextEmbedder(), imageEmbedder: new BuiltinImageEmbedder() });
  assert.ok(existsSync(join(directory, 'v.npy')));
  const result = await embedSplit(table(6), directory, { textEmbedder: new BuiltinTextEmbedder(), imageEmbedder: new BuiltinImageEmbedder() });
  assert.deepEqual(result.reused.sort(), ['reference', 'response', 'text'] as SplitColumn[]);
  assert.equal(existsSync(join(directory, 'v.npy')), false);
  assert.equal(readSplitManifest(directory)?.embedders.image, null);
  assert.equal(readSplitFolder(directory).image, undefined);

  const mixed = table(6, { images: true });
  delete mixed.rows[1].image;
  delete mixed.rows[4].image;
  await assert.rejects(
    embedSplit(mixed, freshDir(), { textEmbedder: new BuiltinTextEmbedder(), imageEmbedder: new BuiltinImageEmbedder() }),
    /2 of 6 rows have no image \(question_id 101, 104\)/,
  );
});

test('an undecodable image is reported with its question_id', async () => {
  const split = table(6, { images: true });
  split.rows[3].image = new Uint8Array(Buffer.from('GIF89a......', 'latin1'));
  await assert.rejects(
    embedSplit(split, freshDir(), { textEmbedder: new BuiltinTextEmbedder(), imageEmbedder: new BuiltinImageEmbedder(), batchSize: 4 }),
    (error: unknown) => isInputError(error) && /memory:\/\/test: image: question_id 103: .*GIF images are not supported/.test(error.message),
  );
});

test.after(() => rmSync(root, { recursive: true, force: true }));
