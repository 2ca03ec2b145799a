import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../src/errors';
import { createRng } from '../../src/random';
import {
  applyImageShift,
  contrast,
  defocusBlur,
  frost,
  gaussianNoise,
  IMAGE_SHIFT_NAMES,
} from '../../src/shifts/index';
import type { RgbaImage } from '../../src/io/image';

/** Edges, a gradient, texture and a half-transparent region: something every shift can act on. */
function sampleImage(width = 48, height = 40, seed = 3): RgbaImage {
  const rng = createRng(seed);
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = 4 * (y * width + x);
      const checker = ((x >> 3) + (y >> 3)) & 1 ? 200 : 40;
      rgba[p] = checker;
      rgba[p + 1] = Math.round((255 * x) / (width - 1));
      rgba[p + 2] = rng.int(256);
      rgba[p + 3] = x < width / 2 ? 255 : 128;
    }
  }
  return { width, height, rgba };
}

function meanAbsDiff(a: RgbaImage, b: RgbaImage): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < a.rgba.length; i++) {
    if ((i & 3) === 3) continue;
    sum += Math.abs(a.rgba[i] - b.rgba[i]);
    n++;
  }
  return sum / n;
}

function meanAbsGradient(image: RgbaImage): number {
  const { width, height, rgba } = image;
  let sum = 0;
  let n = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        const p = 4 * (y * width + x) + c;
        if (x + 1 < width) {
          sum += Math.abs(rgba[p + 4] - rgba[p]);
          n++;
        }
        if (y + 1 < height) {
          sum += Math.abs(rgba[p + 4 * width] - rgba[p]);
          n++;
        }
      }
    }
  }
  return sum / n;
}

const SEEDS = [1, 7, 12345];

test('severity 0 is the identity for every shift, as a fresh buffer', () => {
  const image = sampleImage();
  for (const name of IMAGE_SHIFT_NAMES) {
    const out = applyImageShift(name, image, 0, 9);
    assert.deepEqual(out, image, name);
    assert.notEqual(out.rgba, image.rgba, name);
  }
});

test('same seed gives identical bytes; another seed differs for the random shifts', () => {
  const image = sampleImage();
  for (const name of IMAGE_SHIFT_NAMES) {
    assert.deepEqual(applyImageShift(name, image, 3, 5), applyImageShift(name, image, 3, 5), name);
  }
  for (const name of ['frost', 'gaussian_noise']) {
    assert.notDeepEqual(applyImageShift(name, image, 3, 5).rgba, applyImageShift(name, image, 3, 6).rgba, name);
  }
});

test('input image is not mutated and alpha is carried through', () => {
  const image = sampleImage();
  const before = Uint8Array.from(image.rgba);
  for (const name of IMAGE_SHIFT_NAMES) {
    for (const severity of [1, 3, 5]) {
      const out = applyImageShift(name, image, severity, 11);
      assert.equal(out.width, image.width);
      assert.equal(out.height, image.height);
      assert.equal(out.rgba.length, image.rgba.length);
      for (let i = 3; i < out.rgba.length; i += 4) assert.equal(out.rgba[i], image.rgba[i]);
    }
  }
  assert.deepEqual(image.rgba, before);
});

test('distance from the original grows across severities 1 < 3 < 5 for every shift and seed', () => {
  for (const seed of SEEDS) {
    const image = sampleImage(48, 40, seed);
    for (const name of IMAGE_SHIFT_NAMES) {
      const [d1, d3, d5] = [1, 3, 5].map((s) => meanAbsDiff(applyImageShift(name, image, s, seed), image));
      assert.ok(d1 > 0 && d1 < d3 && d3 < d5, `${name} seed ${seed}: ${d1}, ${d3}, ${d5}`);
    }
  }
});

test('defocus blur lowers high-frequency energy monotonically with severity', () => {
  const image = sampleImage();
  const gradients = [0, 1, 2, 3, 4, 5].map((s) => meanAbsGradient(defocusBlur(image, s)));
  for (let s = 1; s < gradients.length; s++) {
    assert.ok(gradients[s] < gradients[s - 1], `severity ${s}: ${gradients.join(', ')}`);
  }
});

test('defocus blur keeps a flat image flat (the disk kernel is normalised, borders reflect)', () => {
  const flat: RgbaImage = { width: 20, height: 15, rgba: new Uint8Array(20 * 15 * 4).fill(77) };
  for (const severity of [1, 3, 5]) assert.deepEqual(defocusBlur(flat, severity), flat);
});

test('defocus blur handles images smaller than its kernel', () => {
  for (const [w, h] of [
    [1, 1],
    [3, 2],
    [1, 9],
  ]) {
    const image = sampleImage(w, h);
    const out = defocusBlur(image, 5);
    assert.equal(out.rgba.length, image.rgba.length);
  }
});

test('frost changes the image more with severity, pixel by pixel, and brightens it', () => {
  for (const seed of SEEDS) {
    const image = sampleImage(64, 48, seed);
    const outs = [1, 2, 3, 4, 5].map((s) => frost(image, s, seed));
    for (let s = 1; s < outs.length; s++) {
      for (let i = 0; i < image.rgba.length; i++) {
        if ((i & 3) === 3) continue;
        const lower = Math.abs(outs[s - 1].rgba[i] - image.rgba[i]);
        const higher = Math.abs(outs[s].rgba[i] - image.rgba[i]);
        // rounding to bytes may cost one level
        assert.ok(higher + 1 >= lower, `seed ${seed} severity ${s + 1} byte ${i}`);
      }
    }
    const black: RgbaImage = { width: 64, height: 48, rgba: new Uint8Array(64 * 48 * 4) };
    const frosted = frost(black, 5, seed);
    let mean = 0;
    for (let i = 0; i < frosted.rgba.length; i++) if ((i & 3) !== 3) mean += frosted.rgba[i];
    mean /= 64 * 48 * 3;
    assert.ok(mean > 60 && mean < 230, `frost on black has mean ${mean}`);
  }
});

test('frost overlay has crystalline structure: brighter streaks over a haze', () => {
  const black: RgbaImage = { width: 96, height: 96, rgba: new Uint8Array(96 * 96 * 4) };
  const out = frost(black, 5, 4);
  const values = Array.from({ length: 96 * 96 }, (_, p) => out.rgba[4 * p + 2]).sort((a, b) => a - b);
  const median = values[values.length >> 1];
  const top = values[Math.floor(values.length * 0.99)];
  assert.ok(top - median > 40, `99th percentile ${top} vs median ${median}`);
});

test('gaussian noise and contrast follow ImageNet-C on a flat and a two-tone image', () => {
  const grey: RgbaImage = { width: 64, height: 64, rgba: new Uint8Array(64 * 64 * 4).fill(128) };
  // at severity 2 (σ = 0.12 × 255) clipping at 0 and 255 is negligible around mid-grey
  const noisy = gaussianNoise(grey, 2, 3);
  let sum = 0;
  let sq = 0;
  for (let i = 0; i < noisy.rgba.length; i++) {
    if ((i & 3) === 3) continue;
    sum += noisy.rgba[i] - 128;
    sq += (noisy.rgba[i] - 128) ** 2;
  }
  const n = 64 * 64 * 3;
  const sd = Math.sqrt(sq / n);
  assert.ok(Math.abs(sd - 0.12 * 255) < 1, `sd ${sd}`);
  assert.ok(Math.abs(sum / n) < 1, `mean shift ${sum / n}`);

  const twoTone: RgbaImage = { width: 2, height: 1, rgba: Uint8Array.from([0, 0, 0, 255, 200, 200, 200, 255]) };
  assert.deepEqual(Array.from(contrast(twoTone, 1).rgba), [60, 60, 60, 255, 140, 140, 140, 255]);
});

test('values saturate at 0 and 255 instead of wrapping around the byte range', () => {
  const white: RgbaImage = { width: 32, height: 32, rgba: new Uint8Array(32 * 32 * 4).fill(255) };
  const black: RgbaImage = { width: 32, height: 32, rgba: new Uint8Array(32 * 32 * 4) };
  for (const name of IMAGE_SHIFT_NAMES) {
    for (const severity of [1, 3, 5]) {
      const onWhite = applyImageShift(name, white, severity, 2).rgba;
      const onBlack = applyImageShift(name, black, severity, 2).rgba;
      // a wrapped value would land at the opposite end of the range
      if (name === 'gaussian_noise') {
        // half the draws push past the end of the range and must stop there
        const atEnd = (bytes: Uint8Array, end: number): number =>
          bytes.filter((v, i) => (i & 3) !== 3 && v === end).length / (bytes.length * 0.75);
        assert.ok(atEnd(onWhite, 255) > 0.45 && atEnd(onBlack, 0) > 0.45, `noise ${severity}`);
        continue;
      }
      for (let i = 0; i < onWhite.length; i++) {
        if ((i & 3) === 3) continue;
        assert.ok(onWhite[i] >= 128, `${name} ${severity} on white: ${onWhite[i]}`);
        if (name !== 'frost') assert.ok(onBlack[i] <= 127, `${name} ${severity} on black: ${onBlack[i]}`);
      }
    }
  }
});

test('bad severities, shapes, seeds and names are InputErrors', () => {
  const image = sampleImage();
  for (const severity of [-1, 6, 2.5, NaN]) {
    for (const name of IMAGE_SHIFT_NAMES) {
      assert.throws(() => applyImageShift(name, image, severity, 1), InputError, `${name} ${severity}`);
    }
  }
  assert.throws(() => defocusBlur({ width: 4, height: 4, rgba: new Uint8Array(10) }, 1), InputError);
  assert.throws(() => contrast({ width: 0, height: 4, rgba: new Uint8Array(0) }, 1), InputError);
  assert.throws(() => frost(image, 2, NaN), InputError);
  assert.throws(() => applyImageShift('fog', image, 1, 1), /unknown image shift 'fog'/);
});
