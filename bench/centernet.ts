/**
 * The COCO-trained CenterNet detector (MobileNetV3 backbone, github.com/610265158/mobilenetv3_centernet)
 * that `@vladmandic/human` ships as `models/centernet.json` + `centernet.bin` (a tfjs graph model,
 * float16 weights), run as an image encoder candidate for bench/encoderChoice.ts. It is no
 * dependency of emishift: the folder holding the two files comes from EMISHIFT_CENTERNET_DIR,
 * and the bench says so when it is unset.
 *
 * The feature node is `tower_0/extern1/hard_swish/mul_1`: the backbone's last map (the
 * 1 × 1 convolution from MobileNetV3's last block, 120 → 480 channels, with hard-swish, stride
 * 32). Everything downstream of it is the CenternetHead: the c5 → c2 upsampling path that merges
 * the lateral maps of blocks 3, 5 and 11 into a 128-channel stride-4 map for the heatmaps, so
 * this node is the deepest one that is still the backbone's. Its map is averaged over space
 * (global average pooling) and the 480 values L2-normalised.
 *
 * Input as human feeds it: RGB in 0…255 (the graph's first convolution has the normalisation
 * folded in: its weights average 0.004 in magnitude, its biases up to 15), resized bilinearly to
 * the graph's 512 × 512. Checked on a photograph of a person (matplotlib's grace_hopper.jpg):
 * the full detector finds `person` with score 0.74 on 0…255 input and 0.01 on 0…1. The Placeholder's fixed shape [1, 512, 512, 3] is relaxed to
 * [−1, −1, −1, 3] before loading, so images go in batches and a smaller side can be measured:
 * the backbone is fully convolutional (its squeeze-excite blocks are spatial means).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as TfTypes from '@tensorflow/tfjs';
import { loadTfjs } from '../src/backend/tfjs';
import type { RgbImage } from '../src/io/image';

/** The environment variable naming the folder with `centernet.json` and `centernet.bin`. */
export const CENTERNET_DIR_VARIABLE = 'EMISHIFT_CENTERNET_DIR';
/** The backbone's last feature map (see the module comment). */
export const CENTERNET_FEATURE_NODE = 'tower_0/extern1/hard_swish/mul_1';
/** The side the detector was trained and is fed at. */
export const CENTERNET_SIDE = 512;
const IMAGES_PER_RUN = 8;

interface GraphNode {
  name: string;
  op: string;
  attr?: { shape?: { shape?: { dim?: { size: string }[] } } };
}

interface CenternetJson {
  format?: string;
  generatedBy?: string;
  convertedBy?: string;
  signature?: object;
  modelTopology: { node: GraphNode[] };
  weightsManifest: { paths: string[]; weights: TfTypes.io.WeightsManifestEntry[] }[];
}

/** The folder from EMISHIFT_CENTERNET_DIR when it holds both files; otherwise why it cannot be used. */
export function centernetDirectory(): { directory: string } | { missing: string } {
  const directory = process.env[CENTERNET_DIR_VARIABLE];
  if (!directory) return { missing: `${CENTERNET_DIR_VARIABLE} is not set: point it at a folder with @vladmandic/human's models/centernet.json and centernet.bin` };
  for (const file of ['centernet.json', 'centernet.bin']) {
    if (!existsSync(join(directory, file))) return { missing: `${join(directory, file)} not found (${CENTERNET_DIR_VARIABLE}=${directory})` };
  }
  return { directory };
}

/**
 * An IO handler over the two files (no fetch, no file:// URL): the topology with its input
 * shape relaxed (see the module comment) and the weights as one buffer, as the manifest lists them.
 */
function centernetHandler(directory: string): TfTypes.io.IOHandler {
  return {
    load: async () => {
      const json = JSON.parse(readFileSync(join(directory, 'centernet.json'), 'utf8')) as CenternetJson;
      const input = json.modelTopology.node.find((node) => node.op === 'Placeholder');
      const dims = input?.attr?.shape?.shape?.dim;
      if (!dims || dims.length !== 4) throw new Error(`${join(directory, 'centernet.json')}: expected one 4-d Placeholder input`);
      for (const dim of dims.slice(0, 3)) dim.size = '-1';
      const bytes = Buffer.concat(json.weightsManifest.flatMap((group) => group.paths.map((path) => readFileSync(join(directory, path)))));
      return {
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        signature: json.signature,
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest.flatMap((group) => group.weights),
        weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
      };
    },
  };
}

let loaded: Promise<TfTypes.GraphModel> | undefined;

/** The pooled, L2-normalised 480 backbone features of each image, fed at `side` × `side`. */
export async function centernetFeatures(directory: string, images: readonly RgbImage[], side = CENTERNET_SIDE): Promise<Float32Array[]> {
  const { tf } = await loadTfjs();
  loaded ??= tf.loadGraphModel(centernetHandler(directory));
  const model = await loaded;
  const rows: Float32Array[] = [];
  for (let start = 0; start < images.length; start += IMAGES_PER_RUN) {
    const batch = images.slice(start, start + IMAGES_PER_RUN);
    const pooled = tf.tidy(() => {
      const pixels = tf.stack(batch.map((image) => tf.tensor3d(Float32Array.from(image.data), [image.height, image.width, 3]))) as TfTypes.Tensor4D;
      const map = model.execute(tf.image.resizeBilinear(pixels, [side, side]), CENTERNET_FEATURE_NODE) as TfTypes.Tensor4D;
      return tf.mean(map, [1, 2]) as TfTypes.Tensor2D;
    });
    const values = await pooled.data();
    pooled.dispose();
    const width = values.length / batch.length;
    for (let i = 0; i < batch.length; i++) {
      const row = Float32Array.from(values.subarray(i * width, (i + 1) * width));
      let norm = 0;
      for (const value of row) norm += value * value;
      norm = Math.sqrt(norm) || 1;
      for (let k = 0; k < row.length; k++) row[k] /= norm;
      rows.push(row);
    }
  }
  return rows;
}
