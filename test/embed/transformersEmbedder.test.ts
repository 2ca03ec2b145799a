import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { ClipVisionEmbedder } from '../../src/embed/clipVision';
import { describeModelDirectory, loadTransformers, resolveModelDirectory } from '../../src/embed/modelDirectory';
import { XlmRobertaEmbeddingLayerEmbedder } from '../../src/embed/xlmRoberta';
import { scanOnnxInitializers } from '../../src/io/onnxInitializers';
import { scanSafetensors } from '../../src/io/safetensors';
import { l2NormalizeRows, meanExcludingFirstToken, poolXlmRobertaEmbeddingLayer } from '../../src/embed/pooling';
import { decodeImage } from '../../src/io/image';
import { isInputError } from '../../src/errors';
import {
  encodeJpeg,
  encodePng,
  rowDot,
  rowNorm,
  scene,
  TINY_CLIP_HIDDEN,
  TINY_HIDDEN,
  tinyXlmrWeights,
  writeTinyClip,
  writeTinyTokenizer,
  writeTinyXlmrOnnx,
  writeTinyXlmrSafetensors,
  type TinyXlmrWeights,
} from './fixtures';

const root = mkdtempSync(join(tmpdir(), 'emishift-transformers-'));

/** Tables over the fixture weights in memory: the expected values, independent of file reading. */
function memoryTables(weights: TinyXlmrWeights) {
  const dim = TINY_HIDDEN;
  return {
    dim,
    paddingIdx: 1,
    layerNormEps: 1e-5,
    wordRow: (id: number) => weights.word.subarray(id * dim, (id + 1) * dim),
    positionRow: (p: number) => weights.position.subarray(p * dim, (p + 1) * dim),
    tokenType: weights.tokenType,
    layerNormWeight: weights.lnWeight,
    layerNormBias: weights.lnBias,
  };
}

test('transformers.js is locked to local files', () => {
  const { env } = loadTransformers();
  assert.equal(env.allowRemoteModels, false);
  assert.equal(env.allowLocalModels, true);
});

test('model directories: a path, a name under modelRoot, or a hub id in the HF cache layout', () => {
  const direct = join(root, 'direct');
  mkdirSync(direct, { recursive: true });
  assert.equal(resolveModelDirectory(direct), direct);
  assert.equal(resolveModelDirectory('direct', { modelRoot: root }), direct);

  const hub = join(root, 'hub');
  const repo = join(hub, 'models--FacebookAI--xlm-roberta-base');
  mkdirSync(join(repo, 'snapshots', 'e73636d4f797dec63c3081bb6ed5c7b0bb3f2089'), { recursive: true });
  mkdirSync(join(repo, 'snapshots', 'older'), { recursive: true });
  mkdirSync(join(repo, 'refs'), { recursive: true });
  writeFileSync(join(repo, 'refs', 'main'), 'e73636d4f797dec63c3081bb6ed5c7b0bb3f2089\n');
  const snapshot = resolveModelDirectory('FacebookAI/xlm-roberta-base', { hfCacheDir: hub });
  assert.equal(snapshot, join(repo, 'snapshots', 'e73636d4f797dec63c3081bb6ed5c7b0bb3f2089'));
  assert.equal(describeModelDirectory(snapshot), 'FacebookAI/xlm-roberta-base@e73636d4f797');

  assert.throws(
    () => resolveModelDirectory('openai/clip-vit-base-patch32', { hfCacheDir: hub }),
    (error: unknown) => isInputError(error) && /not found locally .*never downloads/.test(error.message),
  );
});

test('XLM-R embedding layer from model.safetensors equals the recipe on the same weights', async () => {
  const weights = tinyXlmrWeights();
  const directory = join(root, 'xlmr-safetensors');
  writeTinyXlmrSafetensors(directory, weights);
  const tensors = scanSafetensors(join(directory, 'model.safetensors'));
  assert.deepEqual((tensors.get('roberta.embeddings.word_embeddings.weight') as unknown as { shape: number[] }).shape, [weights.vocab, TINY_HIDDEN]);

  const embedder = new XlmRobertaEmbeddingLayerEmbedder(directory);
  assert.equal(embedder.dimension, TINY_HIDDEN);
  assert.match(embedder.id, /^transformers:xlm-roberta-embedding-layer-mean\(max 18\):xlmr-safetensors$/);
  const texts = ['the cat sat on the mat', '你好', 'zzz', ''];
  const ids = await embedder.tokenize(texts);
  assert.deepEqual(ids[0], [0, 5, 6, 7, 8, 5, 9, 2]);
  assert.equal(ids[3].length, 2); // <s> </s>
  const matrix = await embedder.embedTexts(texts);
  assert.equal(matrix.rows, 4);
  assert.equal(matrix.cols, TINY_HIDDEN);
  const expected = poolXlmRobertaEmbeddingLayer(ids, memoryTables(weights));
  for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(matrix.data[i] - expected[i]) < 1e-6, `[${i}]`);
  for (let i = 0; i < 4; i++) assert.ok(Math.abs(rowNorm(matrix, i) - 1) < 1e-6);
  await embedder.dispose();
});

test('the same tables read from ONNX initializers (Xenova layout) and from float16 safetensors', async () => {
  const weights = tinyXlmrWeights();
  const fromSafetensors = join(root, 'xlmr-reference');
  writeTinyXlmrSafetensors(fromSafetensors, weights, '');
  const reference = await new XlmRobertaEmbeddingLayerEmbedder(fromSafetensors).embedTexts(['the cat sat', 'a mat on the cat']);

  const onnxDirectory = join(root, 'xlmr-onnx');
  writeTinyXlmrOnnx(onnxDirectory, weights);
  const initializers = scanOnnxInitializers(join(onnxDirectory, 'onnx', 'model.onnx'));
  assert.ok(initializers.has('embeddings.LayerNorm.bias'));
  const fromOnnx = await new XlmRobertaEmbeddingLayerEmbedder(onnxDirectory).embedTexts(['the cat sat', 'a mat on the cat']);
  assert.deepEqual(Array.from(fromOnnx.data), Array.from(reference.data));
  // A safetensors file that is only a Git LFS pointer does not hide the usable ONNX file.
  writeFileSync(join(onnxDirectory, 'model.safetensors'), 'version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 1\n');
  const pastPointer = await new XlmRobertaEmbeddingLayerEmbedder(onnxDirectory).embedTexts(['the cat sat', 'a mat on the cat']);
  assert.deepEqual(Array.from(pastPointer.data), Array.from(reference.data));

  const halfDirectory = join(root, 'xlmr-f16');
  writeTinyXlmrSafetensors(halfDirectory, weights, 'roberta.', 'F16');
  const fromHalf = await new XlmRobertaEmbeddingLayerEmbedder(halfDirectory).embedTexts(['the cat sat', 'a mat on the cat']);
  for (let i = 0; i < reference.data.length; i++) assert.ok(Math.abs(fromHalf.data[i] - reference.data[i]) < 5e-3, `[${i}]`);
});

test('long texts are truncated as the reference does: first tokens, then the closing </s>', async () => {
  const directory = join(root, 'xlmr-truncate');
  writeTinyXlmrSafetensors(directory, tinyXlmrWeights());
  const embedder = new XlmRobertaEmbeddingLayerEmbedder(directory, { maxLength: 6 });
  const [ids] = await embedder.tokenize(['the cat sat on the mat the cat sat on the mat']);
  assert.deepEqual(ids, [0, 5, 6, 7, 8, 2]);
  // Positions beyond the table are impossible: maxLength is capped by max_position_embeddings.
  const capped = new XlmRobertaEmbeddingLayerEmbedder(directory, { maxLength: 4096 });
  const long = await capped.embedTexts(['the cat '.repeat(100)]);
  assert.equal(long.rows, 1);
});

test('missing weights or tensors are InputErrors that say what was looked for', async () => {
  const bare = join(root, 'xlmr-bare');
  writeTinyTokenizer(bare);
  await assert.rejects(new XlmRobertaEmbeddingLayerEmbedder(bare).embedTexts(['x']), /no weights found: expected model\.safetensors/);

  const partial = join(root, 'xlmr-partial');
  writeTinyTokenizer(partial);
  const { writeSafetensors } = await import('./fixtures');
  writeSafetensors(join(partial, 'model.safetensors'), {
    'embeddings.word_embeddings.weight': { dtype: 'F32', shape: [2, TINY_HIDDEN], data: new Float32Array(2 * TINY_HIDDEN) },
  });
  await assert.rejects(
    new XlmRobertaEmbeddingLayerEmbedder(partial).embedTexts(['x']),
    (error: unknown) => isInputError(error) && /missing or unreadable embeddings\.position_embeddings\.weight/.test(error.message),
  );
  assert.throws(() => new XlmRobertaEmbeddingLayerEmbedder(join(root, 'nowhere')), /not found locally/);
});

test('CLIP vision: the processor + ONNX last_hidden_state, mean over patches without CLS', async () => {
  const directory = join(root, 'clip');
  writeTinyClip(directory);
  const embedder = new ClipVisionEmbedder(directory, { batchSize: 2, threads: 1 });
  assert.equal(embedder.dimension, TINY_CLIP_HIDDEN);
  const images = [encodePng(scene(300, 200, 1)), encodeJpeg(scene(120, 160, 2)), encodePng(scene(224, 224, 3))];
  const matrix = await embedder.embedImages(images);
  assert.equal(matrix.rows, 3);
  assert.equal(matrix.cols, TINY_CLIP_HIDDEN);

  // The same pipeline by hand: transformers.js's CLIP processor, the ONNX graph run directly.
  const { AutoImageProcessor, RawImage } = loadTransformers();
  const processor = await AutoImageProcessor.from_pretrained(directory, { local_files_only: true });
  const raw = images.map((bytes) => {
    const decoded = decodeImage(bytes);
    return new RawImage(new Uint8ClampedArray(decoded.data), decoded.width, decoded.height, 3);
  });
  const { pixel_values } = (await processor(raw)) as { pixel_values: { data: Float32Array; dims: number[] } };
  const session = await ort.InferenceSession.create(join(directory, 'onnx', 'vision_model.onnx'));
  const output = await session.run({ pixel_values: new ort.Tensor('float32', pixel_values.data, pixel_values.dims) });
  const hidden = output.last_hidden_state;
  const [batch, tokens, dim] = hidden.dims as number[];
  const expected = l2NormalizeRows(meanExcludingFirstToken({ data: hidden.data as Float32Array, batch, tokens, dim }), batch, dim);
  for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(matrix.data[i] - expected[i]) < 1e-5, `[${i}] ${matrix.data[i]} vs ${expected[i]}`);
  // Including the CLS token would give a visibly different vector.
  const data = hidden.data as Float32Array;
  const withCls = new Float64Array(dim);
  for (let t = 0; t < tokens; t++) for (let d = 0; d < dim; d++) withCls[d] += data[t * dim + d] / tokens;
  const withClsUnit = l2NormalizeRows(withCls, 1, dim);
  assert.ok(withClsUnit.reduce((s, v, d) => s + v * expected[d], 0) < 0.999);
  await session.release();

  await assert.rejects(embedder.embedImages([new Uint8Array([0x47, 0x49, 0x46, 0x38, 0x39, 0x61])]), /GIF images are not supported/);
  await embedder.dispose();
});

test('a CLIP directory without an ONNX vision model is refused up front', () => {
  const directory = join(root, 'clip-pytorch-only');
  mkdirSync(directory, { recursive: true });
  writeFileSync(join(directory, 'config.json'), JSON.stringify({ model_type: 'clip', vision_config: { hidden_size: 768 } }));
  assert.throws(() => new ClipVisionEmbedder(directory), /no onnx\/vision_model\.onnx: the CLIP vision tower must be an ONNX export/);
});

const clipDir = process.env.EMISHIFT_CLIP_DIR;
const xlmrDir = process.env.EMISHIFT_XLMR_DIR;
const skipReason =
  clipDir && xlmrDir
    ? false
    : `SKIPPED: set EMISHIFT_CLIP_DIR (e.g. a local copy of Xenova/clip-vit-base-patch32) and EMISHIFT_XLMR_DIR (FacebookAI/xlm-roberta-base or Xenova/xlm-roberta-base) to run the full-path test with the real encoders`;
if (skipReason) console.log(`# transformers integration test ${skipReason}`);

test('full path with the real CLIP ViT-B/32 and XLM-RoBERTa-base (768-d)', { skip: skipReason }, async () => {
  const text = new XlmRobertaEmbeddingLayerEmbedder(xlmrDir as string);
  const image = new ClipVisionEmbedder(clipDir as string);
  assert.equal(text.dimension, 768);
  assert.equal(image.dimension, 768);
  const texts = await text.embedTexts([
    'What is the man holding in his hand?',
    'What is the man holding in his hands?',
    'Was hält der Mann in seiner Hand?',
    'Explain the economic causes of inflation.',
  ]);
  assert.equal(texts.cols, 768);
  for (let i = 0; i < 4; i++) assert.ok(Math.abs(rowNorm(texts, i) - 1) < 1e-5);
  assert.ok(rowDot(texts, 0, 1) > rowDot(texts, 0, 3));
  const images = await image.embedImages([encodePng(scene(320, 240, 1)), encodeJpeg(scene(320, 240, 1)), encodePng(scene(320, 240, 9))]);
  assert.equal(images.cols, 768);
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(rowNorm(images, i) - 1) < 1e-5);
  assert.ok(rowDot(images, 0, 1) > rowDot(images, 0, 2));
  await text.dispose();
  await image.dispose();
});

test.after(() => rmSync(root, { recursive: true, force: true }));
