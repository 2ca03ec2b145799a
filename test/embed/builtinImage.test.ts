import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
import { BuiltinImageEmbedder, BUILTIN_IMAGE_DIMENSION, builtinImageProjection, embedImageBuiltin } from '../../src/embed/builtinImage';
import { decodeImage, detectImageFormat, downsampleToFit } from '../../src/embed/imageDecode';
import { isInputError } from '../../src/errors';
import { blur, encodeJpeg, encodePng, noise, rowDot, rowNorm, scene } from './fixtures';

test('decodes PNG and JPEG by magic bytes to RGB', () => {
  const picture = scene(40, 30, 1);
  const png = decodeImage(encodePng(picture));
  assert.equal(png.width, 40);
  assert.equal(png.height, 30);
  assert.deepEqual(Array.from(png.data), Array.from(picture.data));
  const jpeg = decodeImage(encodeJpeg(picture, 95));
  assert.equal(jpeg.width, 40);
  let error = 0;
  for (let i = 0; i < picture.data.length; i++) error += Math.abs(jpeg.data[i] - picture.data[i]);
  assert.ok(error / picture.data.length < 12, `mean JPEG error ${error / picture.data.length}`);
  assert.equal(detectImageFormat(encodePng(picture)), 'png');
  assert.equal(detectImageFormat(encodeJpeg(picture)), 'jpeg');
});

test('drops PNG alpha without compositing, as PIL convert("RGB") does', () => {
  const png = new PNG({ width: 2, height: 1 });
  png.data = Buffer.from([10, 20, 30, 0, 200, 100, 50, 128]);
  const decoded = decodeImage(new Uint8Array(PNG.sync.write(png)));
  assert.deepEqual(Array.from(decoded.data), [10, 20, 30, 200, 100, 50]);
});

test('refuses other formats and undecodable bytes with an InputError naming the format', () => {
  const cases: [Uint8Array, RegExp][] = [
    [new Uint8Array(Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1')), /GIF images are not supported/],
    [new Uint8Array(Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WEBPVP8 ')])), /WebP images are not supported/],
    [new Uint8Array(Buffer.from('BM\x00\x00\x00\x00', 'latin1')), /BMP images/],
    [new Uint8Array([0, 0, 0, 0x1c, 0x66, 0x74, 0x79, 0x70, 0x68, 0x65, 0x69, 0x63]), /HEIF\/HEIC images/],
    [new Uint8Array([1, 2, 3, 4, 5]), /unrecognised image format \(first bytes 01 02 03 04 05\)/],
    [new Uint8Array(0), /empty image/],
    [encodePng(scene(8, 8, 2)).subarray(0, 60), /undecodable PNG image/],
    [new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 0, 0, 0, 0, 0]), /undecodable JPEG image/],
  ];
  for (const [bytes, pattern] of cases) {
    assert.throws(
      () => decodeImage(bytes, { where: 'question_id 7' }),
      (error: unknown) => isInputError(error) && pattern.test(error.message) && error.message.startsWith('question_id 7: '),
      String(pattern),
    );
  }
});

test('refuses images over the pixel limit before decoding them', () => {
  const bytes = encodePng(scene(50, 40, 3));
  assert.throws(() => decodeImage(bytes, { maxMegapixels: 0.001 }), /50 × 40, more than the 0.001-megapixel limit/);
  assert.throws(() => decodeImage(encodeJpeg(scene(50, 40, 3)), { maxMegapixels: 0.001 }), /maxResolutionInMP limit exceeded/);
});

test('area downsampling keeps the mean colour and bounds the size', () => {
  const picture = scene(301, 157, 4);
  const small = downsampleToFit({ width: picture.width, height: picture.height, data: picture.data }, 64);
  assert.equal(small.width, 64);
  assert.equal(small.height, 33);
  const mean = (data: Uint8Array) => data.reduce((s, v) => s + v, 0) / data.length;
  assert.ok(Math.abs(mean(small.data) - mean(picture.data)) < 0.6);
  const unchanged = { width: 10, height: 10, data: new Uint8Array(300) };
  assert.equal(downsampleToFit(unchanged, 64), unchanged);
});

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
