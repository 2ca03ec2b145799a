/**
 * Images, one of each: the RGB and RGBA pixel layouts and their conversions (`pixels.ts`),
 * PNG/JPEG decoding and PNG encoding (`codec.ts`), area-averaging resampling (`resample.ts`), and
 * a check that bytes are a whole PNG or JPEG without decoding them (`structure.ts`).
 */
export {
  checkRgbImage,
  checkRgbaImage,
  isEmptyImage,
  isEncodedImage,
  rgbToRgba,
  rgbaToRgb,
  type ImageInput,
  type RgbImage,
  type RgbaImage,
} from './pixels';
export { decodeImage, detectImageFormat, encodePng, imagePixels, type DecodeImageOptions, type ImageFormat } from './codec';
export { areaAverageWeights, downsampleToFit } from './resample';
export { verifyImageStructure } from './structure';
