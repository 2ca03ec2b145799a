import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeImage, verifyImageStructure } from '../../src/io/image';
import { InputError } from '../../src/errors';
import { encodeJpeg, encodePng, scene } from '../embed/fixtures';

const refused = (bytes: Uint8Array, message: string) =>
  assert.throws(() => verifyImageStructure(bytes, 'x.png'), (error: Error) => error instanceof InputError && error.message === `x.png: ${message}`, message);

test('whole PNG and JPEG files pass, as the decoder reads them; trailing bytes after a JPEG end are allowed', () => {
  for (let seed = 0; seed < 5; seed++) {
    const png = encodePng(scene(30 + seed, 20, seed));
    const jpeg = encodeJpeg(scene(30 + seed, 20, seed), 60 + seed * 8);
    verifyImageStructure(png);
    verifyImageStructure(jpeg);
    assert.equal(decodeImage(jpeg).width, 30 + seed);
    verifyImageStructure(new Uint8Array([...jpeg, 0, 0, 0]));
  }
});

test('truncated or altered PNGs, truncated JPEGs and other formats are refused with what is wrong', () => {
  const png = encodePng(scene(32, 24, 1));
  const idat = Buffer.from(png).indexOf('IDAT') - 4;
  const idatLength = Buffer.from(png).readUInt32BE(idat);
  refused(png.subarray(0, 60), `truncated PNG image: chunk IDAT at byte ${idat} needs ${idatLength} bytes of data, the file ends first (60 bytes in all)`);
  refused(png.subarray(0, 40), `truncated PNG image: the chunk at byte ${idat} is cut off (40 bytes in all)`);
  refused(png.subarray(0, png.length - 12), `truncated PNG image: no IEND chunk (${png.length - 12} bytes)`);
  refused(png.subarray(0, png.length - 3), `truncated PNG image: the chunk at byte ${png.length - 12} is cut off (${png.length - 3} bytes in all)`);
  // One bit flipped inside the pixel data: the decoder might even read it; the CRC does not.
  const flipped = new Uint8Array(png);
  flipped[idat + 8 + Math.floor(idatLength / 2)] ^= 0x10;
  refused(flipped, `corrupt PNG image: chunk IDAT at byte ${idat} fails its CRC-32 check`);

  const jpeg = encodeJpeg(scene(32, 24, 2), 80);
  refused(jpeg.subarray(0, jpeg.length - 2), `truncated JPEG image: no end-of-image marker after the scan (${jpeg.length - 2} bytes)`);
  refused(jpeg.subarray(0, 30), 'truncated JPEG image: the segment at byte 20 needs 132 bytes, the file ends first (30 bytes in all)');
  refused(new Uint8Array([0xff, 0xd8, 0xff, 0xd9]), 'corrupt JPEG image: end-of-image marker before any scan');
  refused(new Uint8Array(0), 'empty image (0 bytes)');
  refused(new TextEncoder().encode('GIF89a....'), 'GIF images are not supported (only PNG and JPEG); convert the image first');
});
