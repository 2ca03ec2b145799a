/**
 * Why MobileNetV2-1.4 (`mobilenet_v2_mid`) is the pretrained image backbone: each candidate
 * shipped in nsfwjs (and the built-in statistics, for scale) embeds benchmark scenes (64 × 64,
 * seeds 1000…) and five shifted views of each (mirror, defocus blur 1 and 3, frost 1, Gaussian
 * noise 1). Per view: the mean cosine with the scene's own original and with the other scenes'
 * originals, the AUC of own-versus-other cosines (`rocAuc`), and top-1 retrieval (the nearest
 * original is the scene's own). `scenes_cos` is the mean cosine between different originals:
 * lower keeps scenes apart. Inception V3 and the small MobileNetV2 run as tfjs layers models
 * (their graphs are Keras, not converted to ONNX), at about 1 image/s on the WASM backend.
 * `centernet` is the COCO-trained CenterNet (MobileNetV3) detector of `@vladmandic/human`, read
 * from EMISHIFT_CENTERNET_DIR (bench/centernet.ts; reported as skipped when unset), fed at its
 * 512 × 512; `centernet256` feeds it at 256 × 256 (a quarter of the pixels, for speed).
 * With `--probe`, each candidate also gets `answer_probe`: how well its frozen features, with the
 * question's, predict the shipped benchmark answering model's answers on the ID split and on
 * shifted splits (bench/answerProbe.ts), next to `question_only` (the same probe without image
 * features), and `probe_data` says what the probe ran on.
 * `--probe-train=N` trains the probe on N generated clean queries instead of the shipped 400.
 * Measured (16 scenes, shared two-core machine): CenterNet does not beat mobilenet_v2_mid. At its
 * 512 × 512, mean AUC 0.77 and top-1 0.45 against 0.80 and 0.54, with different scenes at cosine
 * 0.89 against 0.63; at 256 × 256, AUC 0.81 and top-1 0.53 (level with mid) but scenes at 0.86.
 * The probe puts no candidate clearly ahead: with the shipped 400 rows every one is within 0.035 of
 * the question alone (0.227 pooled over 450 shifted rows, standard error 0.02); with 1,200
 * rows, builtin 0.287, mid 0.282, CenterNet 256 0.260, CenterNet 512 0.229, question alone 0.238.
 * `node dist/bench/encoderChoice.js [SCENES] [candidates] [--probe] [--probe-train=N]`, e.g.
 * `16 builtin,mid,small,centernet --probe`; `npm run -s bench -- --only encoders` runs 16 scenes,
 * builtin, mid, small and centernet (when EMISHIFT_CENTERNET_DIR is set) with the probe.
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
import { CENTERNET_DIR_VARIABLE, CENTERNET_FEATURE_NODE, CENTERNET_SIDE, centernetDirectory, centernetFeatures } from './centernet';
import { probeCoverage, probeData, questionFeatures, runAnswerProbe, IMAGE_COMPONENTS, PENALTIES, PROBE_SEED, TEXT_COMPONENTS, type ProbeData, type ProbeFeatures } from './answerProbe';
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

const layersFeatureModels = new Map<string, Promise<import('@tensorflow/tfjs').LayersModel>>();

/** The Keras model in nsfwjs's `folder`, cut at its flatten layer; loaded once per process. */
function layersFeatureModel(folder: string): Promise<import('@tensorflow/tfjs').LayersModel> {
  let model = layersFeatureModels.get(folder);
  if (!model) {
    model = loadLayersFeatureModel(folder);
    layersFeatureModels.set(folder, model);
  }
  return model;
}

async function loadLayersFeatureModel(folder: string): Promise<import('@tensorflow/tfjs').LayersModel> {
  const { tf } = await loadTfjs();
  const directory = join(pretrainedPackage('image').directory, 'dist', 'models', folder);
  const json = require(join(directory, 'model.min.js')) as { modelTopology: object; weightsManifest: { paths: string[]; weights: object[] }[] };
  const bytes = Buffer.concat(json.weightsManifest[0].paths.map((path) => Buffer.from(require(join(directory, `${path}.min.js`)) as string, 'base64')));
  const model = await tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) } as Parameters<typeof tf.io.fromMemory>[0]),
  );
  return tf.model({ inputs: model.inputs, outputs: model.getLayer('flatten_1').output as import('@tensorflow/tfjs').SymbolicTensor });
}

/** Features of a Keras model in nsfwjs at its flatten layer (the pooled backbone). */
async function layersModelFeatures(folder: string, side: number, images: readonly RgbImage[]): Promise<Float32Array[]> {
  const { tf } = await loadTfjs();
  const features = await layersFeatureModel(folder);
  const rows: Float32Array[] = [];
  // Batches of 16: one image per call left the layers model at about 1 image/s.
  for (let start = 0; start < images.length; start += 16) {
    const batch = images.slice(start, start + 16);
    const input = tf.tidy(() => tf.stack(batch.map((image) => tf.image.resizeBilinear(tf.tensor3d(image.data, [image.height, image.width, 3]).toFloat().div(255) as import('@tensorflow/tfjs').Tensor3D, [side, side]))));
    const output = features.predict(input) as import('@tensorflow/tfjs').Tensor;
    const values = await output.data();
    const width = values.length / batch.length;
    for (let i = 0; i < batch.length; i++) rows.push(Float32Array.from(values.subarray(i * width, (i + 1) * width)));
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

const rowsOf = (m: Matrix): Float32Array[] => Array.from({ length: m.rows }, (_, i) => Float32Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));

type Encoder = (images: readonly RgbImage[]) => Promise<Float32Array[]>;

/** The candidates by name; CenterNet only when its folder is given (else the reason it is not). */
function candidateEncoders(): { encoders: Record<string, Encoder>; centernetMissing?: string } {
  const pretrained = createEmbedder('pretrained').image as PretrainedImageEmbedder;
  const encoders: Record<string, Encoder> = {
    builtin: async (images) => rowsOf(await (createEmbedder('builtin').image as NonNullable<ReturnType<typeof createEmbedder>['image']>).embedImages(images)),
    mid: async (images) => rowsOf(await pretrained.imageFeatures(images)),
    mid512: async (images) => rowsOf(await pretrained.embedImages(images)),
    small: (images) => layersModelFeatures('mobilenet_v2', 224, images),
    inception: (images) => layersModelFeatures('inception_v3', 299, images),
  };
  const centernet = centernetDirectory();
  if ('missing' in centernet) return { encoders, centernetMissing: centernet.missing };
  encoders.centernet = (images) => centernetFeatures(centernet.directory, images, CENTERNET_SIDE);
  encoders.centernet256 = (images) => centernetFeatures(centernet.directory, images, 256);
  return { encoders };
}

/** How the comparison runs: with `probe`, each candidate is also probed on the benchmark at `benchmarkDir`. */
export interface EncoderChoiceOptions {
  probe?: boolean | undefined;
  /** The shipped benchmark folder the probe reads (default: the repository's data/benchmark). */
  benchmarkDir?: string | undefined;
  /** Train the probe on this many generated clean queries instead of the shipped training queries (see `probeData`). */
  probeTrainQueries?: number | undefined;
}

/** The comparison (see the module comment), one entry per candidate. */
export async function runEncoderChoice(sceneCount = 16, candidates = ['builtin', 'mid', 'mid512', 'small', 'inception'], options: EncoderChoiceOptions = {}): Promise<Record<string, object>> {
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
  const { encoders, centernetMissing } = candidateEncoders();
  const report: Record<string, object> = {};
  let probe: { data: ProbeData; questions: ProbeFeatures } | undefined;
  if (options.probe) {
    const started = performance.now();
    const data = await probeData(options.benchmarkDir ?? join(__dirname, '..', '..', 'data', 'benchmark'), options.probeTrainQueries);
    const questions = await questionFeatures(data);
    probe = { data, questions };
    report.probe_data = {
      source: data.source,
      target: "the image-decided part of the answering model's answer (colour, count, position, yes/no, a description's background), with the question kind",
      question_features: 'builtin text embedder',
      probe: `multinomial logistic regression on [u, v, u ⊗ v], u: ${IMAGE_COMPONENTS} whitened PCA components of the image features, v: ${TEXT_COMPONENTS} of the question features; zero start, full-batch Adam; L2 penalty from ${PENALTIES.join(', ')} on a held-out quarter (seed ${PROBE_SEED})`,
      classes: new Set(data.train.labels).size,
      splits: probeCoverage(data),
      seconds: round((performance.now() - started) / 1000),
    };
    report.question_only = { answer_probe: await runAnswerProbe(data, questions, undefined) };
    process.stderr.write(`encoder choice: question_only ${JSON.stringify(report.question_only)}\n`);
  }
  const originals = meta.flatMap((entry, i) => (entry.view === 'original' ? [i] : []));
  for (const name of candidates) {
    if (name.startsWith('centernet') && centernetMissing) {
      report[name] = { skipped: centernetMissing };
      continue;
    }
    const encoder = encoders[name];
    if (!encoder) throw new Error(`unknown candidate ${JSON.stringify(name)}; expected one of ${[...Object.keys(encoders), 'centernet', 'centernet256'].filter((v, i, all) => all.indexOf(v) === i).join(', ')}`);
    const started = performance.now();
    const rows = await encoder(images);
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
    const entry: Record<string, unknown> = { seconds: round((performance.now() - started) / 1000), scenes_cos: round(mean(between)), mean_auc: round(mean(aucs)), mean_top1: round(mean(top1s)), views };
    if (name.startsWith('centernet')) entry.feature_node = `${CENTERNET_FEATURE_NODE}, global average pool, L2-normalised (${CENTERNET_DIR_VARIABLE})`;
    if (probe) {
      const probeStarted = performance.now();
      const features = { train: await encoder(probe.data.train.images), splits: [] as Float32Array[][] };
      for (const split of probe.data.splits) features.splits.push(await encoder(split.images));
      const embedSeconds = (performance.now() - probeStarted) / 1000;
      const imagesEmbedded = probe.data.train.images.length + probe.data.splits.reduce((sum, split) => sum + split.images.length, 0);
      entry.answer_probe = { ...(await runAnswerProbe(probe.data, probe.questions, features)), images: imagesEmbedded, embed_seconds: round(embedSeconds), seconds: round((performance.now() - probeStarted) / 1000) };
    }
    report[name] = entry;
    // Each candidate as it finishes, so a long run that is stopped still leaves its figures.
    process.stderr.write(`encoder choice: ${name} ${JSON.stringify(entry)}\n`);
  }
  return report;
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const [scenes, candidates] = args.filter((arg) => !arg.startsWith('--'));
  const probeTrain = args.find((arg) => arg.startsWith('--probe-train='));
  runEncoderChoice(scenes ? Number(scenes) : undefined, candidates ? candidates.split(',') : undefined, {
    probe: args.includes('--probe') || probeTrain !== undefined,
    probeTrainQueries: probeTrain ? Number(probeTrain.slice('--probe-train='.length)) : undefined,
  })
    .then((report) => process.stdout.write(`${JSON.stringify(report, null, 2)}\n`))
    .catch((error) => {
      process.stderr.write(`${(error as Error).stack ?? error}\n`);
      process.exitCode = 1;
    });
}
