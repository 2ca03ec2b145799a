/**
 * Why MobileNetV2-1.4 (`mobilenet_v2_mid`) is the pretrained image backbone: each candidate
 * shipped in nsfwjs (and the built-in statistics, for scale) embeds benchmark scenes (64 × 64,
 * seeds 1000…) and five shifted views of each (mirror, defocus blur 1 and 3, frost 1, Gaussian
 * noise 1). Per view: the mean cosine with the scene's own original and with the other scenes'
 * originals, the AUC of own-versus-other cosines (`rocAuc`), and top-1 retrieval (the nearest
 * original is the scene's own). `scenes_cos` is the mean cosine between different originals:
 * lower keeps scenes apart. Inception V3 and the small MobileNetV2 run as tfjs layers models
 * (their graphs are Keras, not converted to ONNX), at about 1 image/s on the WASM backend.
 * `node dist/bench/encoderChoice.js [SCENES] [candidates]`, e.g. `16 builtin,mid,small,inception`.
 */
import { join } from 'node:path';
import { createEmbedder } from '../src/embed/index';
import type { PretrainedImageEmbedder } from '../src/embed/pretrainedImage';
import { pretrainedPackage } from '../src/embed/pretrainedPackages';
import { generateScene, renderScene } from '../src/benchmark/scenes';
import { applyImageShift } from '../src/shifts/index';
import { rgbaToRgb, type RgbaImage, type RgbImage } from '../src/io/image';
import { rocAuc } from '../src/stats/rankTests';
import { loadTfjs } from '../src/backend/tfjs';
import type { Matrix } from '../src/interface';

function mirror(image: RgbaImage): RgbaImage {
  const { width, height, rgba } = image;
  const out = new Uint8Array(rgba.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) out.set(rgba.subarray((y * width + width - 1 - x) * 4, (y * width + width - x) * 4), (y * width + x) * 4);
  }
  return { width, height, rgba: out };
}

const VIEWS: readonly [string, (image: RgbaImage, seed: number) => RgbaImage][] = [
  ['mirror', (image) => mirror(image)],
  ['blur1', (image, seed) => applyImageShift('defocus_blur', image, 1, seed)],
  ['blur3', (image, seed) => applyImageShift('defocus_blur', image, 3, seed)],
  ['frost1', (image, seed) => applyImageShift('frost', image, 1, seed)],
  ['noise1', (image, seed) => applyImageShift('gaussian_noise', image, 1, seed)],
];

/** Features of a Keras model in nsfwjs at its flatten layer (the pooled backbone). */
async function layersModelFeatures(folder: string, side: number, images: readonly RgbImage[]): Promise<Float32Array[]> {
  const { tf } = await loadTfjs();
  const directory = join(pretrainedPackage('image').directory, 'dist', 'models', folder);
  const json = require(join(directory, 'model.min.js')) as { modelTopology: object; weightsManifest: { paths: string[]; weights: object[] }[] };
  const bytes = Buffer.concat(json.weightsManifest[0].paths.map((path) => Buffer.from(require(join(directory, `${path}.min.js`)) as string, 'base64')));
  const model = await tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) } as Parameters<typeof tf.io.fromMemory>[0]),
  );
  const features = tf.model({ inputs: model.inputs, outputs: model.getLayer('flatten_1').output as import('@tensorflow/tfjs').SymbolicTensor });
  const rows: Float32Array[] = [];
  for (const image of images) {
    const input = tf.tidy(() => tf.image.resizeBilinear(tf.tensor3d(image.data, [image.height, image.width, 3]).toFloat().div(255) as import('@tensorflow/tfjs').Tensor3D, [side, side]).expandDims(0));
    const output = features.predict(input) as import('@tensorflow/tfjs').Tensor;
    rows.push(Float32Array.from(await output.data()));
    input.dispose();
    output.dispose();
  }
  return rows;
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return dot / Math.sqrt(aa * bb);
}

const mean = (values: readonly number[]): number => values.reduce((sum, value) => sum + value, 0) / values.length;
const round = (value: number): number => Number(value.toFixed(3));

/** The comparison (see the module comment), one entry per candidate. */
export async function runEncoderChoice(sceneCount = 16, candidates = ['builtin', 'mid', 'mid512', 'small', 'inception']): Promise<Record<string, object>> {
  const scenes = Array.from({ length: sceneCount }, (_, i) => renderScene(generateScene(1000 + i)));
  const images: RgbImage[] = [];
  const meta: { scene: number; view: string }[] = [];
  scenes.forEach((scene, s) => {
    images.push(rgbaToRgb(scene));
    meta.push({ scene: s, view: 'original' });
    for (const [view, shift] of VIEWS) {
      images.push(rgbaToRgb(shift(scene, 7 + s)));
      meta.push({ scene: s, view });
    }
  });
  const pretrained = createEmbedder('pretrained').image as PretrainedImageEmbedder;
  const rowsOf = (m: Matrix): Float32Array[] => Array.from({ length: m.rows }, (_, i) => Float32Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));
  const encoders: Record<string, () => Promise<Float32Array[]>> = {
    builtin: async () => rowsOf(await (createEmbedder('builtin').image as NonNullable<ReturnType<typeof createEmbedder>['image']>).embedImages(images)),
    mid: async () => rowsOf(await pretrained.imageFeatures(images)),
    mid512: async () => rowsOf(await pretrained.embedImages(images)),
    small: () => layersModelFeatures('mobilenet_v2', 224, images),
    inception: () => layersModelFeatures('inception_v3', 299, images),
  };
  const originals = meta.flatMap((entry, i) => (entry.view === 'original' ? [i] : []));
  const report: Record<string, object> = {};
  for (const name of candidates) {
    const started = performance.now();
    const rows = await encoders[name]();
    const views: Record<string, object> = {};
    const aucs: number[] = [];
    const top1s: number[] = [];
    for (const [view] of VIEWS) {
      const own: number[] = [];
      const other: number[] = [];
      let retrieved = 0;
      meta.forEach((entry, i) => {
        if (entry.view !== view) return;
        let best = -Infinity;
        let bestScene = -1;
        for (const o of originals) {
          const c = cosine(rows[i], rows[o]);
          (meta[o].scene === entry.scene ? own : other).push(c);
          if (c > best) {
            best = c;
            bestScene = meta[o].scene;
          }
        }
        if (bestScene === entry.scene) retrieved++;
      });
      const auc = rocAuc(own, other);
      aucs.push(auc);
      top1s.push(retrieved / sceneCount);
      views[view] = { own: round(mean(own)), other: round(mean(other)), auc: round(auc), top1: round(retrieved / sceneCount) };
    }
    const between: number[] = [];
    for (const a of originals) for (const b of originals) if (a < b) between.push(cosine(rows[a], rows[b]));
    report[name] = { seconds: round((performance.now() - started) / 1000), scenes_cos: round(mean(between)), mean_auc: round(mean(aucs)), mean_top1: round(mean(top1s)), views };
  }
  return report;
}

if (require.main === module) {
  const [scenes, candidates] = process.argv.slice(2);
  runEncoderChoice(scenes ? Number(scenes) : undefined, candidates ? candidates.split(',') : undefined)
    .then((report) => process.stdout.write(`${JSON.stringify(report, null, 2)}\n`))
    .catch((error) => {
      process.stderr.write(`${(error as Error).stack ?? error}\n`);
      process.exitCode = 1;
    });
}
