/**
 * Encoded images: decoding PNG (pngjs) and JPEG (jpeg-js) into 8-bit RGB, recognised by their
 * magic bytes rather than by a file name, because split tables carry images as bare bytes, and
 * encoding RGBA as PNG. Every other format is refused with an InputError that names it, so a
 * WebP or GIF in a dataset is reported as such instead of as "corrupt data".
 *
 * Alpha is dropped, not composited, exactly as PIL's `Image.convert('RGB')` does in the
 * reference pipeline, so both see the same pixels for transparent PNGs.
 */
import { PNG } from 'pngjs';
import * as jpeg from 'jpeg-js';
import { InputError } from '../../errors';
import { checkRgbaImage, checkRgbImage, isEncodedImage, rgbaToRgb, type ImageInput, type RgbaImage, type RgbImage } from './pixels';

export type ImageFormat = 'png' | 'jpeg';

export interface DecodeImageOptions {
  /** Names the image in error messages (e.g. `split.parquet: question_id 12`). */
  where?: string | undefined;
  /**
   * Refuse images with more pixels than this (in megapixels) before allocating their buffers,
   * so one hostile or mistaken 20000 × 20000 file cannot exhaust memory. Default 64.
   */
  maxMegapixels?: number | undefined;
}

const DEFAULT_MAX_MEGAPIXELS = 64;

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function startsWith(bytes: Uint8Array, prefix: readonly number[], offset = 0): boolean {
  if (bytes.length < offset + prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[offset + i] !== prefix[i]) return false;
  return true;
}

function ascii(text: string): number[] {
  return Array.from(text, (c) => c.charCodeAt(0));
}

/**
 * The format of encoded image bytes: 'png' or 'jpeg' when decodable here, otherwise a
 * human-readable name of what was recognised (for the error message), or undefined.
 */
export function detectImageFormat(bytes: Uint8Array): ImageFormat | { unsupported: string } | undefined {
  if (startsWith(bytes, PNG_MAGIC)) return 'png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(bytes, ascii('GIF87a')) || startsWith(bytes, ascii('GIF89a'))) return { unsupported: 'GIF' };
  if (startsWith(bytes, ascii('RIFF')) && startsWith(bytes, ascii('WEBP'), 8)) return { unsupported: 'WebP' };
  if (startsWith(bytes, ascii('BM'))) return { unsupported: 'BMP' };
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) return { unsupported: 'TIFF' };
  if (startsWith(bytes, ascii('ftyp'), 4)) {
    const brand = String.fromCharCode(...bytes.subarray(8, 12));
    if (/^avi[fs]$/.test(brand)) return { unsupported: 'AVIF' };
    if (/^(heic|heix|hevc|hevx|heim|heis|mif1|msf1)$/.test(brand)) return { unsupported: 'HEIF/HEIC' };
    return { unsupported: `ISO media (brand '${brand}')` };
  }
  if (startsWith(bytes, [0x00, 0x00, 0x01, 0x00])) return { unsupported: 'ICO' };
  if (startsWith(bytes, [0xff, 0x0a]) || startsWith(bytes, [0x00, 0x00, 0x00, 0x0c, 0x4a, 0x58, 0x4c, 0x20])) return { unsupported: 'JPEG XL' };
  if (startsWith(bytes, [0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20]) || startsWith(bytes, [0xff, 0x4f, 0xff, 0x51])) {
    return { unsupported: 'JPEG 2000' };
  }
  const head = bytes.subarray(0, 64);
  if (head.length > 0 && /^\s*<(\?xml|svg)/i.test(Buffer.from(head).toString('latin1'))) return { unsupported: 'SVG/XML' };
  return undefined;
}

function describeUnknown(bytes: Uint8Array): string {
  if (bytes.length === 0) return 'empty image (0 bytes)';
  const hex = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
  return `unrecognised image format (first bytes ${hex}); only PNG and JPEG are supported`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Width and height from a PNG's IHDR chunk, read before decoding to enforce the pixel limit. */
function pngDimensions(bytes: Uint8Array): { width: number; height: number } | undefined {
  if (bytes.length < 24 || !startsWith(bytes, ascii('IHDR'), 12)) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16, false), height: view.getUint32(20, false) };
}

/**
 * Decodes PNG or JPEG bytes to RGB. Anything else, or bytes the decoder rejects, raises an
 * InputError naming the format and `options.where`.
 */
export function decodeImage(bytes: Uint8Array, options: DecodeImageOptions = {}): RgbImage {
  const where = options.where;
  const fail = (message: string): never => {
    throw new InputError(message, { field: where });
  };
  const maxMegapixels = options.maxMegapixels ?? DEFAULT_MAX_MEGAPIXELS;
  const format = detectImageFormat(bytes);
  if (format === undefined) return fail(describeUnknown(bytes));
  if (typeof format === 'object') return fail(`${format.unsupported} images are not supported (only PNG and JPEG); convert the image first`);
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (format === 'png') {
    const size = pngDimensions(bytes);
    if (size === undefined) return fail('PNG image without a valid IHDR header');
    if (size.width === 0 || size.height === 0) return fail(`PNG image has an empty size ${size.width} × ${size.height}`);
    if (size.width * size.height > maxMegapixels * 1e6) {
      return fail(`PNG image is ${size.width} × ${size.height}, more than the ${maxMegapixels}-megapixel limit`);
    }
    let png: PNG;
    try {
      png = PNG.sync.read(buffer);
    } catch (error) {
      return fail(`undecodable PNG image: ${messageOf(error)}`);
    }
    return rgbaToRgb({ width: png.width, height: png.height, rgba: png.data });
  }
  let decoded: { width: number; height: number; data: Uint8Array };
  try {
    decoded = jpeg.decode(buffer, {
      useTArray: true,
      formatAsRGBA: true,
      maxResolutionInMP: maxMegapixels,
      maxMemoryUsageInMB: Math.max(512, Math.ceil(maxMegapixels * 12)),
    });
  } catch (error) {
    return fail(`undecodable JPEG image: ${messageOf(error)}`);
  }
  if (decoded.width === 0 || decoded.height === 0) return fail(`JPEG image has an empty size ${decoded.width} × ${decoded.height}`);
  return rgbaToRgb({ width: decoded.width, height: decoded.height, rgba: decoded.data });
}

/**
 * The RGB pixels of an image input: encoded bytes are decoded (as `decodeImage`), decoded pixels
 * are checked and passed through unchanged, so both give an embedder the same pixels.
 */
export function imagePixels(image: ImageInput, options: DecodeImageOptions = {}): RgbImage {
  if (isEncodedImage(image)) return decodeImage(image, options);
  checkRgbImage(image, options.where);
  return image;
}

/** Encodes an RGBA image as PNG bytes, with fixed encoder settings so the same pixels always give the same bytes. */
export function encodePng(image: RgbaImage): Uint8Array {
  checkRgbaImage(image);
  const { width, height, rgba } = image;
  const png = new PNG({ width, height });
  png.data = Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength);
  // Fixed encoder settings: the defaults could change between pngjs versions, the bytes must not.
  const bytes = PNG.sync.write(png, { colorType: 6, inputColorType: 6, bitDepth: 8, deflateLevel: 9, filterType: 4 });
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
