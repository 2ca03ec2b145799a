import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
import { InputError, isInputError } from '../../src/errors';
import {
  areaAverageWeights,
  decodeImage,
  detectImageFormat,
  downsampleToFit,
  encodePng as encodeRgbaPng,
  imagePixels,
  isEmptyImage,
  isEncodedImage,
  rgbaToRgb,
  rgbToRgba,
  type RgbaImage,
} from '../../src/io/image';
import { encodeJpeg, encodePng, scene } from '../embed/fixtures';

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

test('RGB ↔ RGBA converters round-trip and make an opaque alpha', () => {
  const rgb = { width: 2, height: 1, data: Uint8Array.from([1, 2, 3, 4, 5, 6]) };
  const rgba = rgbToRgba(rgb);
  assert.deepEqual(Array.from(rgba.rgba), [1, 2, 3, 255, 4, 5, 6, 255]);
  assert.deepEqual(rgbaToRgb(rgba), rgb);
  assert.throws(() => rgbToRgba({ width: 2, height: 2, data: new Uint8Array(6) }), InputError);
  assert.throws(() => rgbaToRgb({ width: 2, height: 2, rgba: new Uint8Array(15) }), /image buffer holds 15 bytes but 2 × 2 × 4 needs 16/);
});

test('encodePng is lossless: decoding its bytes gives the RGBA image without alpha', () => {
  const rgba = new Uint8Array(5 * 3 * 4);
  for (let i = 0; i < rgba.length; i++) rgba[i] = (i * 37 + 11) % 256;
  const image: RgbaImage = { width: 5, height: 3, rgba };
  const bytes = encodeRgbaPng(image);
  assert.equal(detectImageFormat(bytes), 'png');
  assert.deepEqual(decodeImage(bytes), rgbaToRgb(image));
  assert.deepEqual(encodeRgbaPng(image), bytes, 'fixed encoder settings: the same pixels give the same bytes');
  assert.throws(() => encodeRgbaPng({ width: 2, height: 2, rgba: new Uint8Array(15) }), InputError);
  assert.throws(() => encodeRgbaPng({ width: 0, height: 2, rgba: new Uint8Array(0) }), /dimensions must be positive integers, got 0 × 2/);
});

test('imagePixels decodes encoded bytes and passes checked pixels through unchanged', () => {
  const picture = scene(12, 9, 5);
  const decoded = imagePixels(encodePng(picture));
  assert.deepEqual(decoded, picture);
  assert.equal(imagePixels(picture), picture);
  assert.throws(
    () => imagePixels({ width: 3, height: 3, data: new Uint8Array(26) }, { where: 'question_id 4' }),
    (error: unknown) => isInputError(error) && error.message === 'question_id 4: image buffer holds 26 bytes but 3 × 3 × 3 needs 27',
  );
  assert.throws(() => imagePixels({ width: 3, height: 3, rgba: new Uint8Array(36) } as never), /image must be \{ width, height, data: Uint8Array \}/);
  assert.throws(() => imagePixels(new Uint8Array([1, 2, 3])), /unrecognised image format/);
});

test('an image input is encoded bytes or pixels, and empty when it holds nothing', () => {
  const picture = scene(2, 2, 1);
  assert.equal(isEncodedImage(encodePng(picture)), true);
  assert.equal(isEncodedImage(Buffer.from(encodePng(picture))), true);
  assert.equal(isEncodedImage(picture), false);
  assert.equal(isEmptyImage(new Uint8Array(0)), true);
  assert.equal(isEmptyImage({ width: 0, height: 0, data: new Uint8Array(0) }), true);
  assert.equal(isEmptyImage(picture), false);
  assert.equal(isEmptyImage(encodePng(picture)), false);
});

test('area-average weights cover each output cell exactly once, shrinking or enlarging', () => {
  for (const [inSize, outSize] of [
    [64, 36],
    [301, 64],
    [36, 36],
    [7, 20],
    [1, 5],
  ]) {
    const cells = areaAverageWeights(inSize, outSize);
    assert.equal(cells.length, outSize);
    // Every input pixel's weights over all cells add up to outSize / inSize of a cell: nothing lost or counted twice.
    const coverage = new Float64Array(inSize);
    for (const { start, weights } of cells) {
      assert.ok(start >= 0 && start + weights.length <= inSize, `${inSize} → ${outSize}: range`);
      const sum = weights.reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - 1) < 1e-12, `${inSize} → ${outSize}: a cell's weights sum to ${sum}`);
      weights.forEach((weight, k) => {
        assert.ok(weight > 0, `${inSize} → ${outSize}: zero weight`);
        coverage[start + k] += weight;
      });
    }
    for (const value of coverage) assert.ok(Math.abs(value - outSize / inSize) < 1e-12, `${inSize} → ${outSize}: coverage ${value}`);
  }
  // A flat image stays flat at any size.
  const flat = { width: 50, height: 30, data: new Uint8Array(50 * 30 * 3).fill(93) };
  const small = downsampleToFit(flat, 16);
  assert.deepEqual([small.width, small.height], [16, 10]);
  assert.ok(small.data.every((value) => value === 93));
});
