/**
 * The content-addressed embedding cache: a counting embedder behind it sees each distinct input
 * once, across calls, splits and a reopened cache; the sets embedded through it are bit for bit
 * those embedded without it; a torn or corrupted file costs only its bad tail; and the job
 * (`runJob`) embeds each distinct image and text of its splits once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BuiltinImageEmbedder } from '../../src/embed/builtinImage';
import { BuiltinTextEmbedder } from '../../src/embed/builtinText';
import { embed } from '../../src/embed/embed';
import { EmbeddingCache, imageContentKey, textContentKey } from '../../src/embed/embeddingCache';
import type { Embedder, ImageEmbedder } from '../../src/embed/embedder';
import type { Matrix } from '../../src/interface';
import { isInputError } from '../../src/errors';
import type { SplitTable } from '../../src/data/splitRow';
import { generateQueries } from '../../src/benchmark/questions';
import { shiftedQueries } from '../../src/benchmark/splitGrid';
import { encodePng, rgbaToRgb, type ImageInput } from '../../src/io/image';
import { runJob } from '../../src/pipeline/runJob';

const root = mkdtempSync(join(tmpdir(), 'emishift-embedding-cache-'));

/** The built-in embedders, recording every input they are handed (by content key). */
function countingPair(): { text: Embedder; image: ImageEmbedder; seen: { texts: string[]; images: string[] } } {
  const seen = { texts: [] as string[], images: [] as string[] };
  const text = new BuiltinTextEmbedder();
  const image = new BuiltinImageEmbedder();
  const countingText: Embedder = {
    id: text.id,
    family: text.family,
    encoder: text.encoder,
    dimension: text.dimension,
    embedTexts: async (texts: readonly string[]): Promise<Matrix> => {
      seen.texts.push(...texts.map((t) => textContentKey(t).toString('hex')));
      return text.embedTexts(texts);
    },
  };
  const countingImage: ImageEmbedder = {
    id: image.id,
    family: image.family,
    encoder: image.encoder,
    dimension: image.dimension,
    embedTexts: (texts) => text.embedTexts(texts),
    embedImages: async (images: readonly ImageInput[]): Promise<Matrix> => {
      seen.images.push(...images.map((i) => imageContentKey(i).toString('hex')));
      return image.embedImages(images);
    },
  };
  return { text: countingText, image: countingImage, seen };
}

/**
 * Benchmark-like splits of 10 queries: the ID split, a text-shifted one (same images), an
 * image-shifted one (same questions) and both; answers repeat within and across splits.
 */
function grid(): SplitTable<ImageInput>[] {
  const queries = generateQueries(10, 11);
  const specs = [
    { name: 'shift_none' },
    { name: 'shift_keyboard_typos_3', text: { name: 'keyboard_typos' as const, severity: 3 } },
    { name: 'shift_frost_3', image: { name: 'frost' as const, severity: 3 } },
    { name: 'shift_frost_3_keyboard_typos_3', image: { name: 'frost' as const, severity: 3 }, text: { name: 'keyboard_typos' as const, severity: 3 } },
  ];
  return specs.map((spec) => ({
    name: spec.name,
    source: 'generated (test)',
    rows: shiftedQueries(queries, spec).map((item, i) => ({
      question_id: item.query.question_id,
      question: item.question,
      reference_answer: item.query.reference_answer,
      model_answer: i % 3 === 0 ? 'Yes.' : item.query.reference_answer,
      image: rgbaToRgb(item.image),
    })),
  }));
}

function distinct(values: readonly string[]): number {
  return new Set(values).size;
}

test('behind the cache, each distinct text and image reaches the embedder once, and every set is identical to embedding without it', async () => {
  const tables = grid();
  const { text, image, seen } = countingPair();
  const cache = EmbeddingCache.inMemory();
  const cached = cache.wrap({ text, image });
  const plain = { text: new BuiltinTextEmbedder(), image: new BuiltinImageEmbedder() };
  const allTexts = tables.flatMap((table) => table.rows.flatMap((row) => [row.question, row.model_answer as string, row.reference_answer]));
  const allImages = tables.flatMap((table) => table.rows.map((row) => imageContentKey(row.image as ImageInput).toString('hex')));
  for (const table of tables) {
    // Batches of 4 so duplicates fall both within one call and across calls.
    const withCache = await embed(table, cached, { batchSize: 4 });
    const without = await embed(table, plain, { batchSize: 4 });
    for (const key of ['text', 'response', 'reference', 'image'] as const) assert.deepEqual(withCache[key]?.data, without[key]?.data, `${table.name} ${key}`);
    assert.deepEqual(withCache.space, without.space, table.name);
  }
  assert.equal(seen.texts.length, distinct(seen.texts), 'a text reached the embedder twice');
  assert.equal(seen.images.length, distinct(seen.images), 'an image reached the embedder twice');
  assert.equal(seen.texts.length, distinct(allTexts.map((t) => textContentKey(t).toString('hex'))));
  // 10 ID scenes and their 10 frosted copies; the text-shifted splits reuse them.
  assert.equal(seen.images.length, 20);
  assert.equal(distinct(allImages), 20);
  assert.deepEqual(cache.counts.images, { embedded: 20, reused: allImages.length - 20 });
  assert.equal(cache.counts.texts.embedded + cache.counts.texts.reused, allTexts.length);
  // The wrapped embedders keep the identity manifests and spaces are built from.
  assert.equal(cached.text.id, text.id);
  assert.equal(cached.image?.id, image.id);
  assert.equal(cached.text.dimension, 768);
});

test('an encoded image and its pixels have different keys; the same pixels in another shape too', () => {
  const [item] = shiftedQueries(generateQueries(1, 3), { name: 'shift_none' });
  const pixels = rgbaToRgb(item.image);
  assert.notDeepEqual(imageContentKey(encodePng(item.image)), imageContentKey(pixels));
  const reshaped = { width: pixels.height * 2, height: pixels.width / 2, data: pixels.data };
  assert.notDeepEqual(imageContentKey(reshaped), imageContentKey(pixels));
  assert.deepEqual(imageContentKey({ ...pixels, data: Uint8Array.from(pixels.data) }), imageContentKey(pixels));
  assert.notDeepEqual(textContentKey('a'), textContentKey('a '));
});

test('a reopened cache serves from disk; a torn tail or a corrupted record costs only the records from there on', async () => {
  const directory = join(root, 'disk');
  const texts = Array.from({ length: 12 }, (_, i) => `sentence number ${i}`);
  const first = countingPair();
  const written = await EmbeddingCache.open(directory).wrapText(first.text).embedTexts(texts);
  assert.equal(first.seen.texts.length, 12);
  const [file] = readdirSync(directory);
  assert.match(file, /^[0-9a-f]{16}\.vectors$/);

  const second = countingPair();
  const reopened = EmbeddingCache.open(directory);
  const again = await reopened.wrapText(second.text).embedTexts(texts);
  assert.equal(second.seen.texts.length, 0, 'a reopened cache called the embedder');
  assert.deepEqual(again.data, written.data);
  assert.deepEqual(reopened.counts.texts, { embedded: 0, reused: 12 });

  // An interrupted append: half a record at the end. It is ignored, then cut off by the next append.
  const path = join(directory, file);
  const size = statSync(path).size;
  appendFileSync(path, Buffer.alloc(100, 7));
  const third = countingPair();
  const torn = EmbeddingCache.open(directory).wrapText(third.text);
  await torn.embedTexts([...texts, 'a new one']);
  assert.deepEqual(third.seen.texts, [textContentKey('a new one').toString('hex')]);
  const record = 32 + 768 * 4 + 8;
  assert.equal(statSync(path).size, size + record, 'the torn bytes were not cut before appending');

  // A flipped byte inside the 5th record: records 5 onward fail their check and are embedded again.
  const bytes = readFileSync(path);
  const header = bytes.indexOf(0x0a) + 1;
  bytes[header + 4 * record + 40] ^= 0xff;
  writeFileSync(path, bytes);
  const fourth = countingPair();
  await EmbeddingCache.open(directory).wrapText(fourth.text).embedTexts(texts);
  assert.equal(fourth.seen.texts.length, 8);

  // Another embedder id has its own file: nothing is served across ids.
  const other: Embedder = { ...countingPair().text, id: 'another-embedder' };
  let calls = 0;
  const counted: Embedder = { ...other, embedTexts: async (t) => (calls++, new BuiltinTextEmbedder().embedTexts(t)) };
  await EmbeddingCache.open(directory).wrapText(counted).embedTexts(texts);
  assert.equal(calls, 1);
  assert.equal(readdirSync(directory).length, 2);
});

test('runJob embeds each distinct image and text of its splits once, and a rerun embeds nothing', async () => {
  const tables = grid();
  const outDir = join(root, 'job');
  const { text, image, seen } = countingPair();
  const club = { epochs: 3, hiddenDim: 8 };
  const result = await runJob(tables, { outDir, idSplit: 'shift_none', embedders: { text, image }, club, warn: () => {} });
  assert.equal(seen.images.length, 20);
  assert.equal(seen.texts.length, distinct(seen.texts));
  assert.equal(result.embeddingCounts.images.embedded, 20);
  const rerun = await runJob(tables, { outDir, idSplit: 'shift_none', embedders: countingPair(), club, warn: () => {} });
  assert.deepEqual(rerun.embeddingCounts, { texts: { embedded: 0, reused: 0 }, images: { embedded: 0, reused: 0 } });
  assert.deepEqual(rerun.results.EMID, result.results.EMID);
  // A fresh output folder with the first job's cache copied in: the split folders are new, the vectors are not.
  const copied = join(root, 'job-copy');
  const cacheDir = join(outDir, 'embedding-cache');
  const { cpSync } = await import('node:fs');
  cpSync(cacheDir, join(copied, 'embedding-cache'), { recursive: true });
  const fresh = countingPair();
  const third = await runJob(tables, { outDir: copied, idSplit: 'shift_none', embedders: { text: fresh.text, image: fresh.image }, club, warn: () => {} });
  assert.equal(fresh.seen.texts.length + fresh.seen.images.length, 0);
  assert.deepEqual(third.results.EMID, result.results.EMID);
});

test('keys tell apart texts that UTF-8 would merge (lone surrogates), and bad input is an InputError naming the row, before anything is hashed', async () => {
  assert.notDeepEqual(textContentKey('a\uD800'), textContentKey('a\uFFFD'));
  assert.notDeepEqual(textContentKey('a\uDC00b'), textContentKey('a\uFFFDb'));
  const pair = EmbeddingCache.inMemory().wrap({ text: new BuiltinTextEmbedder(), image: new BuiltinImageEmbedder() });
  await assert.rejects(pair.text.embedTexts(['fine', null as unknown as string]), (error: unknown) => isInputError(error) && error.field === 'texts[1]' && /expected a string, got null/.test(error.message));
  await assert.rejects(pair.image!.embedImages([{ width: 2, height: 2 } as unknown as ImageInput]), (error: unknown) => isInputError(error) && error.field === 'images[0]');
});

test('the cache folder appears with the first vector; a vector file of another dimension than the embedder declares starts afresh; an unwritable folder costs the persistence, not the run', async () => {
  const directory = join(root, 'lazy');
  const cache = EmbeddingCache.open(directory);
  const text = cache.wrapText(new BuiltinTextEmbedder());
  assert.equal(existsSync(directory), false);
  const first = await text.embedTexts(['one', 'two']);
  assert.equal(existsSync(directory), true);
  // Rewrite the store's header to claim another dimension: the reopened cache must not serve it.
  const [file] = readdirSync(directory);
  const bytes = readFileSync(join(directory, file));
  const newline = bytes.indexOf(0x0a);
  const header = JSON.parse(bytes.subarray(0, newline).toString('utf8').replace(/^emishift-embedding-cache 1 /, '')) as { embedder: string; dimension: number };
  writeFileSync(join(directory, file), Buffer.concat([Buffer.from(`emishift-embedding-cache 1 ${JSON.stringify({ ...header, dimension: header.dimension + 1 })}\n`), bytes.subarray(newline + 1)]));
  const reopened = EmbeddingCache.open(directory);
  const again = await reopened.wrapText(new BuiltinTextEmbedder()).embedTexts(['one', 'two']);
  assert.deepEqual(reopened.counts.texts, { embedded: 2, reused: 0 });
  assert.deepEqual(again.data, first.data);
  // A folder path that is a file: no cache can be written there, and the vectors still come back.
  const blocked = join(root, 'blocked-by-a-file');
  writeFileSync(blocked, 'not a folder');
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (message: string) => warnings.push(message);
  try {
    const result = await EmbeddingCache.open(join(blocked, 'cache')).wrapText(new BuiltinTextEmbedder()).embedTexts(['one', 'two', 'one']);
    assert.deepEqual(result.data.subarray(0, 2 * result.cols), first.data);
  } finally {
    console.warn = warn;
  }
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /cannot write the embedding cache .*keeps its vectors in memory only/);
});
