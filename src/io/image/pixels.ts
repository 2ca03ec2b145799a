/**
 * Decoded images: the two pixel layouts emishift uses and the conversions between them.
 * - `RgbImage`, 3 bytes per pixel: what decoding a PNG or JPEG gives and what image embedders
 *   read (alpha dropped, as PIL's `convert('RGB')` does in the reference pipeline).
 * - `RgbaImage`, 4 bytes per pixel: what the benchmark renders and the image shifts transform
 *   (they copy alpha unchanged).
 * An image handed to an embedder is an `ImageInput`: encoded bytes or decoded RGB pixels.
 */
import { InputError } from '../../errors';

/** An 8-bit RGB image: row-major, 3 bytes per pixel, so pixel (x, y) starts at byte `3 * (y * width + x)`. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/**
 * An 8-bit RGBA image: row-major, 4 bytes per pixel in R, G, B, A order, so pixel (x, y)
 * starts at byte `4 * (y * width + x)`.
 */
export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  readonly rgba: Uint8Array;
}

/**
 * One image as an embedder receives it: encoded bytes (PNG, JPEG, ...; decoded by the embedder)
 * or pixels already decoded, which skip the encode/decode round trip of generated images.
 */
export type ImageInput = Uint8Array | RgbImage;

/** Whether an image input is encoded bytes (otherwise it is decoded RGB pixels). */
export function isEncodedImage(image: ImageInput): image is Uint8Array {
  return image instanceof Uint8Array;
}

/** Whether an image input holds anything: bytes, or at least one pixel. */
export function isEmptyImage(image: ImageInput): boolean {
  return isEncodedImage(image) ? image.length === 0 : image.width * image.height === 0;
}

function checkLayout(width: number, height: number, length: number, channels: number, where: string | undefined): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new InputError(`image dimensions must be positive integers, got ${width} × ${height}`, { field: where });
  }
  if (length !== width * height * channels) {
    throw new InputError(`image buffer holds ${length} bytes but ${width} × ${height} × ${channels} needs ${width * height * channels}`, { field: where });
  }
}

/**
 * Refuses anything but `{ width, height, data }` whose buffer holds exactly width × height × 3
 * bytes; `where` names the image in the message.
 */
export function checkRgbImage(image: RgbImage, where?: string): void {
  if (image === null || typeof image !== 'object' || !(image.data instanceof Uint8Array)) {
    throw new InputError('image must be { width, height, data: Uint8Array } (RGB, 3 bytes per pixel) or encoded bytes', { field: where });
  }
  checkLayout(image.width, image.height, image.data.length, 3, where);
}

/**
 * Refuses anything but `{ width, height, rgba }` whose buffer holds exactly width × height × 4
 * bytes; `where` names the image in the message.
 */
export function checkRgbaImage(image: RgbaImage, where?: string): void {
  if (image === null || typeof image !== 'object' || !(image.rgba instanceof Uint8Array)) {
    throw new InputError('image must be { width, height, rgba: Uint8Array }', { field: where });
  }
  checkLayout(image.width, image.height, image.rgba.length, 4, where);
}

/** Adds an opaque alpha channel, so decoded RGB images can be shifted. */
export function rgbToRgba(image: RgbImage): RgbaImage {
  checkRgbImage(image);
  const pixels = image.width * image.height;
  const rgba = new Uint8Array(pixels * 4);
  for (let p = 0; p < pixels; p++) {
    rgba[4 * p] = image.data[3 * p];
    rgba[4 * p + 1] = image.data[3 * p + 1];
    rgba[4 * p + 2] = image.data[3 * p + 2];
    rgba[4 * p + 3] = 255;
  }
  return { width: image.width, height: image.height, rgba };
}

/** Drops alpha without compositing, exactly as decoding a PNG (and PIL's convert('RGB')) does. */
export function rgbaToRgb(image: RgbaImage): RgbImage {
  checkRgbaImage(image);
  const pixels = image.width * image.height;
  const data = new Uint8Array(pixels * 3);
  for (let p = 0; p < pixels; p++) {
    data[3 * p] = image.rgba[4 * p];
    data[3 * p + 1] = image.rgba[4 * p + 1];
    data[3 * p + 2] = image.rgba[4 * p + 2];
  }
  return { width: image.width, height: image.height, data };
}
