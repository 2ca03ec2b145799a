import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BuiltinImageEmbedder, BUILTIN_IMAGE_DIMENSION, builtinImageProjection, embedImageBuiltin } from '../../src/embed/builtinImage';
import { blur, encodeJpeg, encodePng, noise, rowDot, rowNorm, scene } from './fixtures';

test('identical images → identical vectors; corrupted versions closer than a different image', async () => {
  const original = scene(320, 240, 11);
  const other = scene(320, 240, 12);
  const images = [
    encodePng(original),
    encodePng(original),
    encodePng(blur(original, 2)),
    encodePng(noise(original, 12, 5)),
    encodeJpeg(original, 90),
    encodePng(other),
  ];
  const embedder = new BuiltinImageEmbedder();
  const matrix = await embedder.embedImages(images);
  assert.equal(matrix.rows, 6);
  assert.equal(matrix.cols, BUILTIN_IMAGE_DIMENSION);
  for (let i = 0; i < 6; i++) assert.ok(Math.abs(rowNorm(matrix, i) - 1) < 1e-6);
  assert.deepEqual(Array.from(matrix.data.subarray(0, 768)), Array.from(matrix.data.subarray(768, 1536)));
  const different = rowDot(matrix, 0, 5);
  assert.ok(rowDot(matrix, 0, 2) > different + 0.3, `blurred ${rowDot(matrix, 0, 2)} vs different ${different}`);
  assert.ok(rowDot(matrix, 0, 3) > different + 0.3, `noised ${rowDot(matrix, 0, 3)} vs different ${different}`);
  assert.ok(rowDot(matrix, 0, 4) > 0.98, `PNG vs JPEG of the same picture: ${rowDot(matrix, 0, 4)}`);
  // More blur moves further away: the edge statistics see the severity.
  const heavier = await embedder.embedImages([encodePng(blur(original, 5))]);
  const heavierDot = Array.from(heavier.data).reduce((s, v, k) => s + v * matrix.data[k], 0);
  assert.ok(heavierDot < rowDot(matrix, 0, 2), `blur 5 ${heavierDot} vs blur 2 ${rowDot(matrix, 0, 2)}`);
});

test('the projection is fixed by its seed, and tiny or large images work', () => {
  const projection = builtinImageProjection();
  // Pins the seeded draw (IMAGE_PROJECTION_SEED through createRng): the first entries of the
  // ternary matrix, computed once. A change here changes every built-in image embedding.
  assert.deepEqual(Array.from(projection.subarray(0, 16)), [0, 0, -1, 0, -1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
  // And a few components of one picture's vector, pinning the feature definition as well.
  const pinned = embedImageBuiltin(encodePng(scene(64, 48, 5)));
  const expected: [number, number][] = [
    [0, 0.05512302741408348],
    [1, -0.02520482987165451],
    [500, -0.04171421751379967],
    [767, 0.049241214990615845],
  ];
  for (const [index, value] of expected) assert.ok(Math.abs(pinned[index] - value) < 1e-6, `component ${index}: ${pinned[index]} vs ${value}`);
  const nonzero = projection.reduce((count, v) => count + (v !== 0 ? 1 : 0), 0) / projection.length;
  assert.ok(Math.abs(nonzero - 1 / 3) < 0.01, `density ${nonzero}`);
  for (const [w, h] of [
    [1, 1],
    [2, 5],
    [1200, 900],
  ]) {
    const vector = embedImageBuiltin(encodePng(scene(w, h, w + h)));
    const norm = Math.sqrt(vector.reduce((s, v) => s + v * v, 0));
    assert.ok(Math.abs(norm - 1) < 1e-6, `${w}×${h}`);
  }
});

test('embedTexts is refused: the image embedder embeds images only', async () => {
  await assert.rejects(new BuiltinImageEmbedder().embedTexts(), /images only/);
});

test('decoded pixels embed exactly as their PNG does; bad pixels are an InputError naming the image', async () => {
  const pictures = [scene(64, 64, 21), scene(300, 120, 22), scene(3, 7, 23)];
  const embedder = new BuiltinImageEmbedder();
  const fromPng = await embedder.embedImages(pictures.map(encodePng));
  const fromPixels = await embedder.embedImages(pictures);
  assert.deepEqual(Array.from(fromPixels.data), Array.from(fromPng.data));
  // Mixed inputs in one call, in order.
  const mixed = await embedder.embedImages([pictures[0], encodePng(pictures[1])]);
  assert.deepEqual(Array.from(mixed.data), Array.from(fromPng.data.subarray(0, 2 * BUILTIN_IMAGE_DIMENSION)));
  await assert.rejects(embedder.embedImages([pictures[0], { width: 4, height: 4, data: new Uint8Array(47) }]), /image 1: image buffer holds 47 bytes but 4 × 4 × 3 needs 48/);
});
