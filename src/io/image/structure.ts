/**
 * A check that encoded image bytes are a whole PNG or JPEG file, without decoding their pixels:
 * what a loader can afford for every image of a question file before anything is embedded or
 * sent (decoding each image twice, here and in the embedder, would double the cost of reading
 * images). PNG: every chunk inside the file with a matching CRC-32, an IHDR first, IDAT, and
 * IEND; so truncation and any changed byte are caught. JPEG: every marker segment up to the
 * scan inside the file, a frame header (SOF), a scan (SOS), and an end-of-image marker after it;
 * truncation is caught, a corrupted entropy-coded scan only by the decoder.
 */
import { InputError } from '../../errors';
import { crc32 } from '../torch/zip';
import { detectImageFormat } from './codec';

function fail(message: string, where: string | undefined): never {
  throw new InputError(message, { field: where });
}

function checkPng(bytes: Uint8Array, where: string | undefined): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 8;
  let index = 0;
  let sawData = false;
  while (offset < bytes.length) {
    if (offset + 12 > bytes.length) fail(`truncated PNG image: the chunk at byte ${offset} is cut off (${bytes.length} bytes in all)`, where);
    const length = view.getUint32(offset, false);
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    const end = offset + 12 + length;
    if (end > bytes.length) fail(`truncated PNG image: chunk ${type} at byte ${offset} needs ${length} bytes of data, the file ends first (${bytes.length} bytes in all)`, where);
    if (index === 0 && type !== 'IHDR') fail(`corrupt PNG image: the first chunk is ${JSON.stringify(type)}, not IHDR`, where);
    const stored = view.getUint32(end - 4, false);
    if (crc32(bytes.subarray(offset + 4, end - 4)) !== stored) fail(`corrupt PNG image: chunk ${type} at byte ${offset} fails its CRC-32 check`, where);
    if (type === 'IDAT') sawData = true;
    if (type === 'IEND') {
      if (!sawData) fail('corrupt PNG image: no IDAT (pixel data) chunk before IEND', where);
      return;
    }
    offset = end;
    index += 1;
  }
  fail(`truncated PNG image: no IEND chunk (${bytes.length} bytes)`, where);
}

/** Markers without a length: TEM, RST0–7, and SOI/EOI. */
function isStandalone(marker: number): boolean {
  return marker === 0x01 || (marker >= 0xd0 && marker <= 0xd9);
}

function checkJpeg(bytes: Uint8Array, where: string | undefined): void {
  let offset = 2;
  let sawFrame = false;
  while (offset < bytes.length) {
    if (bytes[offset] !== 0xff) fail(`corrupt JPEG image: expected a marker at byte ${offset}, found 0x${bytes[offset].toString(16).padStart(2, '0')}`, where);
    // Fill bytes (0xFF repeated) may precede a marker.
    while (offset + 1 < bytes.length && bytes[offset + 1] === 0xff) offset += 1;
    if (offset + 1 >= bytes.length) break;
    const marker = bytes[offset + 1];
    if (marker === 0xd9) fail('corrupt JPEG image: end-of-image marker before any scan', where);
    if (isStandalone(marker)) {
      offset += 2;
      continue;
    }
    if (offset + 4 > bytes.length) break;
    const length = (bytes[offset + 2] << 8) | bytes[offset + 3];
    if (length < 2 || offset + 2 + length > bytes.length) fail(`truncated JPEG image: the segment at byte ${offset} needs ${length} bytes, the file ends first (${bytes.length} bytes in all)`, where);
    // SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) sawFrame = true;
    if (marker === 0xda) {
      if (!sawFrame) fail('corrupt JPEG image: a scan (SOS) before any frame header (SOF)', where);
      // The entropy-coded data runs to the end; an EOI marker must close it (trailing bytes after it are allowed).
      for (let i = bytes.length - 2; i >= offset + 2 + length; i--) if (bytes[i] === 0xff && bytes[i + 1] === 0xd9) return;
      fail(`truncated JPEG image: no end-of-image marker after the scan (${bytes.length} bytes)`, where);
    }
    offset += 2 + length;
  }
  fail(`truncated JPEG image: the file ends before its scan (${bytes.length} bytes)`, where);
}

/**
 * Throws an InputError (naming `where`) unless `bytes` are a whole PNG or JPEG file (see the
 * module comment); other formats are refused as `decodeImage` refuses them.
 */
export function verifyImageStructure(bytes: Uint8Array, where?: string): void {
  const format = detectImageFormat(bytes);
  if (format === undefined) {
    if (bytes.length === 0) fail('empty image (0 bytes)', where);
    const hex = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
    fail(`unrecognised image format (first bytes ${hex}); only PNG and JPEG are supported`, where);
  }
  if (typeof format === 'object') fail(`${format.unsupported} images are not supported (only PNG and JPEG); convert the image first`, where);
  if (format === 'png') checkPng(bytes, where);
  else checkJpeg(bytes, where);
}
