/**
 * The `pretrained` image encoder: MobileNetV2 (width 1.4, 224 × 224), the TF-Hub
 * `mobilenet_v2_140_224/feature_vector` backbone that the npm package `nsfwjs` ships as its
 * `mobilenet_v2_mid` tfjs graph model (weights as base64 strings in `dist/models/…/*.min.js`,
 * 8-bit quantized), fine-tuned by nsfwjs's authors for their 5-class task. The features are the
 * backbone's global average pool, the node ending `predict/feature_vector/SpatialSqueeze`:
 * 1792 non-negative values (after ReLU6). It was chosen over the package's Inception V3 and
 * small MobileNetV2 by measurement (bench/encoderChoice.ts, 16 benchmark scenes × 5 shifted
 * views): shifted views nearer their own scene (mean AUC of own-versus-other cosines 0.80
 * against 0.68 and 0.71) and different scenes further apart (mean cosine 0.63 against 0.90 and
 * 0.66), at a tenth of Inception's cost.
 *
 * Definition (changing any of it changes the embedder id):
 * 1. Decode (PNG/JPEG) to RGB and resize to 224 × 224 by exact area averaging on each axis
 *    (the aspect ratio is not kept, as nsfwjs and TF-Hub's image modules feed it), values / 255,
 *    so in [0, 1] as the module expects (it scales to [−1, 1] itself).
 * 2. The 1792 pooled features (`imageFeatures`).
 * 3. Project to 512 dimensions, the text encoder's, with a fixed ternary random matrix (entries
 *    +1, −1, 0 with probabilities 1/6, 1/6, 2/3, drawn from `createRng(PRETRAINED_IMAGE_PROJECTION_SEED)`
 *    row-major): the query embedding (z_v + z_t) / 2 needs one dimension, and random projection
 *    keeps angles between feature vectors to within a few per cent (Johnson–Lindenstrauss), so
 *    no direction of the backbone's space is favoured. Then L2-normalise.
 *
 * The graph runs on ONNX Runtime when onnxruntime-node is installed (converted once per process
 * by `convertTfjsConvGraph`; about 2.5 × the throughput per core of tfjs's WASM backend), else
 * on tfjs. The two engines agree to about 1e-5 per feature, far below what changes a result,
 * so they share one id.
 */
import { join } from 'node:path';
import { InputError } from '../errors';
import type { EncoderDescription, Matrix } from '../interface';
import { createRng } from '../random';
import { areaAverageWeights, imagePixels, type ImageInput, type RgbImage } from '../io/image';
import { loadTfjs } from '../backend/tfjs';
import { isOnnxRuntimeAvailable, defaultThreadCount } from '../backend/onnx/runtime';
import { createHostedSession, type HostedSession } from '../backend/onnx/sessionHost';
import { convertTfjsConvGraph, type TfjsGraphNode, type TfjsWeight } from '../backend/onnx/fromTfjsGraph';
import type { ImageEmbedder } from './embedder';
import { pretrainedPackage } from './pretrainedPackages';
import { PRETRAINED_TEXT_DIMENSION } from './pretrainedText';
import { projectToUnitLength } from './randomProjection';

/** The side the backbone takes. */
export const PRETRAINED_IMAGE_SIDE = 224;
/** Pooled backbone features per image. */
export const PRETRAINED_IMAGE_FEATURES = 1792;
/** Seed of the 1792 → 512 projection. Part of the embedder's definition: never change it silently. */
export const PRETRAINED_IMAGE_PROJECTION_SEED = 0x4d32_0512;
/** The backbone's model folder inside nsfwjs, and its feature node. */
const BACKBONE = 'mobilenet_v2_mid';
const FEATURE_NODE = 'StatefulPartitionedCall/sequential/keras_layer/StatefulPartitionedCall/StatefulPartitionedCall/StatefulPartitionedCall/predict/feature_vector/SpatialSqueeze';
/** Images per forward pass: ~19 MB of float input, and large enough that per-call overhead vanishes. */
const IMAGES_PER_RUN = 32;

/** Which engine runs the backbone. */
export type PretrainedImageEngine = 'onnxruntime' | 'tfjs';

interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; min?: number; scale?: number };
}

interface GraphModelJson {
  modelTopology: { node: TfjsGraphNode[] };
  weightsManifest: { paths: string[]; weights: WeightSpec[] }[];
}

/** Reads nsfwjs's model: the topology (a JS module exporting the JSON) and the base64 shards decoded with Buffer. */
function readBackbone(): { json: GraphModelJson; bytes: Buffer; version: string } {
  const { directory, version } = pretrainedPackage('image');
  const folder = join(directory, 'dist', 'models', BACKBONE);
  // Absolute paths: the package's `exports` does not list its model files.
  const json = require(join(folder, 'model.min.js')) as GraphModelJson;
  const shards = json.weightsManifest.flatMap((group) => group.paths.map((path) => Buffer.from(require(join(folder, `${path}.min.js`)) as string, 'base64')));
  return { json, bytes: Buffer.concat(shards), version };
}

/** The float values of a graph model's weights: 8-bit quantized ones as min + scale · q, float32 ones as stored. */
export function dequantizeWeights(specs: readonly WeightSpec[], bytes: Uint8Array): Map<string, TfjsWeight> {
  const weights = new Map<string, TfjsWeight>();
  let offset = 0;
  for (const spec of specs) {
    const size = spec.shape.reduce((product, dim) => product * dim, 1);
    const data = new Float32Array(size);
    const q = spec.quantization;
    if (q && q.dtype === 'uint8' && q.min !== undefined && q.scale !== undefined) {
      for (let i = 0; i < size; i++) data[i] = q.min + q.scale * bytes[offset + i];
      offset += size;
    } else if (!q && spec.dtype === 'float32') {
      const view = new DataView(bytes.buffer, bytes.byteOffset + offset, size * 4);
      for (let i = 0; i < size; i++) data[i] = view.getFloat32(i * 4, true);
      offset += size * 4;
    } else {
      throw new Error(`weight '${spec.name}': ${spec.dtype} stored as ${q?.dtype ?? spec.dtype} is not supported`);
    }
    weights.set(spec.name, { data, shape: spec.shape });
  }
  if (offset !== bytes.length) throw new Error(`the weights manifest describes ${offset} bytes, the shards hold ${bytes.length}`);
  return weights;
}

/**
 * Step 1 of the module comment for one image: written as planes (NCHW: all R, then G, then B)
 * into `out` from `offset`, or interleaved (NHWC) when `layout` says so.
 */
export function backbonePixels(image: RgbImage, out: Float32Array, offset: number, layout: 'nchw' | 'nhwc'): void {
  const side = PRETRAINED_IMAGE_SIDE;
  const xs = areaAverageWeights(image.width, side);
  const ys = areaAverageWeights(image.height, side);
  const rows = new Float64Array(side * image.height * 3);
  for (let y = 0; y < image.height; y++) {
    for (let ox = 0; ox < side; ox++) {
      const { start, weights } = xs[ox];
      let r = 0;
      let g = 0;
      let b = 0;
      for (let k = 0; k < weights.length; k++) {
        const i = (y * image.width + start + k) * 3;
        r += image.data[i] * weights[k];
        g += image.data[i + 1] * weights[k];
        b += image.data[i + 2] * weights[k];
      }
      const o = (y * side + ox) * 3;
      rows[o] = r;
      rows[o + 1] = g;
      rows[o + 2] = b;
    }
  }
  const plane = side * side;
  for (let oy = 0; oy < side; oy++) {
    const { start, weights } = ys[oy];
    for (let ox = 0; ox < side; ox++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let k = 0; k < weights.length; k++) {
        const i = ((start + k) * side + ox) * 3;
        r += rows[i] * weights[k];
        g += rows[i + 1] * weights[k];
        b += rows[i + 2] * weights[k];
      }
      const pixel = oy * side + ox;
      if (layout === 'nchw') {
        out[offset + pixel] = r / 255;
        out[offset + plane + pixel] = g / 255;
        out[offset + 2 * plane + pixel] = b / 255;
      } else {
        out[offset + pixel * 3] = r / 255;
        out[offset + pixel * 3 + 1] = g / 255;
        out[offset + pixel * 3 + 2] = b / 255;
      }
    }
  }
}

/** Runs the backbone on a batch of preprocessed images. */
interface BackboneRunner {
  readonly engine: PretrainedImageEngine;
  readonly layout: 'nchw' | 'nhwc';
  features(pixels: Float32Array, count: number): Promise<Float32Array>;
}

async function onnxRunner(): Promise<BackboneRunner> {
  const { json, bytes } = readBackbone();
  const weights = dequantizeWeights(json.weightsManifest.flatMap((group) => group.weights), bytes);
  const converted = convertTfjsConvGraph({ nodes: json.modelTopology.node, weights, inputNode: 'input', height: PRETRAINED_IMAGE_SIDE, width: PRETRAINED_IMAGE_SIDE, channels: 3, outputNode: FEATURE_NODE });
  if (converted.outputSize !== PRETRAINED_IMAGE_FEATURES) throw new Error(`the backbone gives ${converted.outputSize} features, expected ${PRETRAINED_IMAGE_FEATURES}`);
  // Every core: the caller's thread only decodes and resizes between runs.
  const session: HostedSession = createHostedSession(converted.model, { threads: defaultThreadCount() });
  return {
    engine: 'onnxruntime',
    layout: 'nchw',
    async features(pixels, count) {
      const outputs = await session.run({ [converted.inputName]: { data: pixels, dims: [count, 3, PRETRAINED_IMAGE_SIDE, PRETRAINED_IMAGE_SIDE] } });
      return outputs[converted.outputName];
    },
  };
}

async function tfjsRunner(): Promise<BackboneRunner> {
  const { json, bytes } = readBackbone();
  const { tf } = await loadTfjs();
  const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const model = await tf.loadGraphModel(
    tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest.flatMap((group) => group.weights), weightData } as Parameters<typeof tf.io.fromMemory>[0]),
  );
  return {
    engine: 'tfjs',
    layout: 'nhwc',
    async features(pixels, count) {
      const input = tf.tensor4d(pixels, [count, PRETRAINED_IMAGE_SIDE, PRETRAINED_IMAGE_SIDE, 3]);
      try {
        const output = model.execute(input, FEATURE_NODE) as import('@tensorflow/tfjs').Tensor;
        try {
          return Float32Array.from((await output.data()) as Float32Array);
        } finally {
          output.dispose();
        }
      } finally {
        input.dispose();
      }
    },
  };
}

const runners = new Map<PretrainedImageEngine, Promise<BackboneRunner>>();

function runner(engine: PretrainedImageEngine): Promise<BackboneRunner> {
  let loading = runners.get(engine);
  if (!loading) {
    loading = engine === 'onnxruntime' ? onnxRunner() : tfjsRunner();
    runners.set(engine, loading);
    loading.catch(() => runners.delete(engine));
  }
  return loading;
}

let projection: Int8Array | undefined;

/** The 512 × 1792 ternary projection matrix, row-major, drawn once from the documented seed. */
export function pretrainedImageProjection(): Int8Array {
  if (projection) return projection;
  const rng = createRng(PRETRAINED_IMAGE_PROJECTION_SEED);
  const matrix = new Int8Array(PRETRAINED_TEXT_DIMENSION * PRETRAINED_IMAGE_FEATURES);
  for (let i = 0; i < matrix.length; i++) {
    const u = rng.next();
    matrix[i] = u < 1 / 6 ? 1 : u < 2 / 6 ? -1 : 0;
  }
  projection = matrix;
  return matrix;
}

/** Step 3 of the module comment: projected to 512 dimensions and L2-normalised. */
export function projectPretrainedImageFeatures(features: ArrayLike<number>, out: Float32Array = new Float32Array(PRETRAINED_TEXT_DIMENSION)): Float32Array {
  // An all-black image can pool to exact zeros; projectToUnitLength then returns a fixed unit vector.
  return projectToUnitLength(pretrainedImageProjection(), PRETRAINED_TEXT_DIMENSION, PRETRAINED_IMAGE_FEATURES, features, out);
}

/** Settings of the pretrained image embedder. */
export interface PretrainedImageEmbedderOptions {
  /** The engine; default ONNX Runtime when onnxruntime-node loads, else tfjs. */
  engine?: PretrainedImageEngine | undefined;
}

/** The `pretrained` image embedder: MobileNetV2-1.4 pooled features, projected to 512-d (see the module comment). */
export class PretrainedImageEmbedder implements ImageEmbedder {
  readonly id: string;
  readonly family = 'pretrained';
  readonly encoder: EncoderDescription;
  readonly dimension = PRETRAINED_TEXT_DIMENSION;
  /** The engine this embedder runs the backbone on. */
  readonly engine: PretrainedImageEngine;

  constructor(options: PretrainedImageEmbedderOptions = {}) {
    const { version } = pretrainedPackage('image');
    this.engine = options.engine ?? (isOnnxRuntimeAvailable() ? 'onnxruntime' : 'tfjs');
    this.id = `mobilenet-v2-140-224 (nsfwjs@${version} mobilenet_v2_mid, 1792 pooled → 512, projection seed 0x4d320512)`;
    this.encoder = {
      model: `mobilenet_v2_140_224 feature vector (nsfwjs@${version} ${BACKBONE}, fine-tuned)`,
      pooling: `global average pool of the last feature map (1792-d, 224 × 224 input), seeded ternary projection to 512-d (seed 0x4d320512), L2-normalised`,
    };
  }

  async ready(): Promise<void> {
    await runner(this.engine);
  }

  async embedTexts(): Promise<Matrix> {
    throw new InputError('the pretrained image embedder embeds images only; use the pretrained text embedder for text');
  }

  /** The 1792 pooled backbone features of each image (step 2), before projection and normalisation. */
  async imageFeatures(images: readonly ImageInput[], onBatch?: (done: number) => void): Promise<Matrix> {
    const backbone = await runner(this.engine);
    const per = 3 * PRETRAINED_IMAGE_SIDE * PRETRAINED_IMAGE_SIDE;
    const data = new Float32Array(images.length * PRETRAINED_IMAGE_FEATURES);
    const prepare = (from: number): { from: number; count: number; pixels: Float32Array } => {
      const count = Math.min(IMAGES_PER_RUN, images.length - from);
      const pixels = new Float32Array(count * per);
      for (let i = 0; i < count; i++) backbonePixels(imagePixels(images[from + i], { where: `image ${from + i}` }), pixels, i * per, backbone.layout);
      return { from, count, pixels };
    };
    // One run ahead: the next batch is decoded and resized here while the engine runs this one
    // (same batches, same runs, so the same numbers as one at a time).
    let running: { from: number; count: number; features: Promise<Float32Array> } | undefined;
    for (let from = 0; from < images.length || running; from += IMAGES_PER_RUN) {
      let next: typeof running;
      if (from < images.length) {
        const batch = prepare(from);
        next = { from: batch.from, count: batch.count, features: backbone.features(batch.pixels, batch.count) };
        next.features.catch(() => undefined);
      }
      if (running) {
        const { from: done, count } = running;
        const features = await running.features;
        if (features.length !== count * PRETRAINED_IMAGE_FEATURES) throw new Error(`the backbone returned ${features.length} values for ${count} images`);
        data.set(features, done * PRETRAINED_IMAGE_FEATURES);
        onBatch?.(done + count);
      }
      running = next;
    }
    return { rows: images.length, cols: PRETRAINED_IMAGE_FEATURES, data };
  }

  async embedImages(images: readonly ImageInput[]): Promise<Matrix> {
    const features = await this.imageFeatures(images);
    const data = new Float32Array(images.length * PRETRAINED_TEXT_DIMENSION);
    for (let i = 0; i < images.length; i++) {
      projectPretrainedImageFeatures(features.data.subarray(i * PRETRAINED_IMAGE_FEATURES, (i + 1) * PRETRAINED_IMAGE_FEATURES), data.subarray(i * PRETRAINED_TEXT_DIMENSION, (i + 1) * PRETRAINED_TEXT_DIMENSION));
    }
    return { rows: images.length, cols: PRETRAINED_TEXT_DIMENSION, data };
  }
}
