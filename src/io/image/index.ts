/**
 * Images, one of each: the RGB and RGBA pixel layouts and their conversions (`pixels.ts`),
 * PNG/JPEG decoding and PNG encoding (`codec.ts`), and area-averaging resampling (`resample.ts`).
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
