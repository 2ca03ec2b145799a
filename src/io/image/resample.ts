/**
 * Resampling of decoded images by exact area averaging: each output pixel is the mean of the
 * input area it covers, fractional edges weighted. Every consumer (the built-in image embedder's
 * working copies, the benchmark model's cell patches) needs colour statistics kept and no
 * aliasing, which is what area averaging gives.
 */
import type { RgbImage } from './pixels';

/**
 * Shrinks an image by exact area averaging (each output pixel is the mean of the input area it
 * covers, fractional edges weighted) so that neither side exceeds `maxSide`. Area averaging,
 * unlike point sampling, keeps colour statistics of the shrunk image equal to the original's and
 * does not alias fine texture into spurious edges. Images already small enough are returned
 * unchanged; nothing is enlarged.
 */
export function downsampleToFit(image: RgbImage, maxSide: number): RgbImage {
  const { width, height } = image;
  const scale = Math.min(1, maxSide / Math.max(width, height));
  if (scale >= 1) return image;
  const outWidth = Math.max(1, Math.round(width * scale));
  const outHeight = Math.max(1, Math.round(height * scale));
  const xWeights = areaAverageWeights(width, outWidth);
  const yWeights = areaAverageWeights(height, outHeight);
  // Separable: rows first into a float buffer (outWidth × height), then columns.
  const horizontal = new Float32Array(outWidth * height * 3);
  for (let y = 0; y < height; y++) {
    const rowIn = y * width * 3;
    const rowOut = y * outWidth * 3;
    for (let ox = 0; ox < outWidth; ox++) {
      const { start, weights } = xWeights[ox];
      let r = 0;
      let g = 0;
      let b = 0;
      for (let k = 0; k < weights.length; k++) {
        const i = rowIn + (start + k) * 3;
        const w = weights[k];
        r += image.data[i] * w;
        g += image.data[i + 1] * w;
        b += image.data[i + 2] * w;
      }
      horizontal[rowOut + ox * 3] = r;
      horizontal[rowOut + ox * 3 + 1] = g;
      horizontal[rowOut + ox * 3 + 2] = b;
    }
  }
  const out = new Uint8Array(outWidth * outHeight * 3);
  for (let oy = 0; oy < outHeight; oy++) {
    const { start, weights } = yWeights[oy];
    for (let ox = 0; ox < outWidth; ox++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let k = 0; k < weights.length; k++) {
        const i = ((start + k) * outWidth + ox) * 3;
        const w = weights[k];
        r += horizontal[i] * w;
        g += horizontal[i + 1] * w;
        b += horizontal[i + 2] * w;
      }
      const o = (oy * outWidth + ox) * 3;
      out[o] = Math.min(255, Math.max(0, Math.round(r)));
      out[o + 1] = Math.min(255, Math.max(0, Math.round(g)));
      out[o + 2] = Math.min(255, Math.max(0, Math.round(b)));
    }
  }
  return { width: outWidth, height: outHeight, data: out };
}

/**
 * Area averaging along one axis of `inSize` pixels resampled to `outSize` (shrinking or
 * enlarging): for each output pixel, the first input pixel it covers and the overlap weights of
 * that pixel and the following ones (summing to 1).
 */
export function areaAverageWeights(inSize: number, outSize: number): { start: number; weights: Float64Array }[] {
  const ratio = inSize / outSize;
  const cells: { start: number; weights: Float64Array }[] = [];
  for (let o = 0; o < outSize; o++) {
    const from = o * ratio;
    const to = Math.min(inSize, (o + 1) * ratio);
    const start = Math.floor(from);
    const end = Math.min(inSize, Math.ceil(to));
    const weights = new Float64Array(end - start);
    for (let i = start; i < end; i++) weights[i - start] = (Math.min(to, i + 1) - Math.max(from, i)) / ratio;
    cells.push({ start, weights });
  }
  return cells;
}
