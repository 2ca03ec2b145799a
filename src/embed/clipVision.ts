/**
 * CLIP ViT-B/32's vision tower, the paper's z_v, run locally through transformers.js from a
 * model folder (see modelDirectory.ts; e.g. a copy of `Xenova/clip-vit-base-patch32`, which
 * ships `onnx/vision_model.onnx` and `preprocessor_config.json`). The image is preprocessed by
 * the model's own CLIP image processor (resize, centre crop 224, normalise) and the ONNX vision
 * model's `last_hidden_state` (the encoder output, before the post-LayerNorm, as the
 * reference's `hidden_states[-1]`) is averaged over the 49 patch tokens, CLS excluded.
 * transformers.js resizes with sharp rather than PIL, so pixel values, and therefore
 * embeddings, differ slightly from the Python pipeline's.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type * as TransformersModule from '@huggingface/transformers';
import { InputError } from '../errors';
import type { EncoderDescription, Matrix } from '../interface';
import { PAPER_IMAGE_POOLING } from '../data/embeddingSpace';
import { imagePixels, type ImageInput } from '../io/image';
import type { ImageEmbedder } from './embedder';
import { describeModelDirectory, loadTransformers, readModelJson, resolveModelDirectory, type ModelLocationOptions } from './modelDirectory';
import { l2NormalizeRows, meanExcludingFirstToken } from './pooling';

export interface TransformersImageEmbedderOptions extends ModelLocationOptions {
  /** Images per forward pass. Default 8. */
  batchSize?: number | undefined;
  /** ONNX weights variant (transformers.js dtype): 'fp32' (default, `onnx/vision_model.onnx`), 'fp16', 'q8', ... */
  dtype?: 'fp32' | 'fp16' | 'q8' | 'int8' | 'uint8' | 'q4' | 'bnb4' | 'q4f16' | undefined;
  /** ONNX file base name under `onnx/`. Default 'vision_model'. */
  modelFileName?: string | undefined;
  /** ONNX Runtime intra-op threads. Default: ONNX Runtime's choice. */
  threads?: number | undefined;
}

/**
 * CLIP vision-tower embeddings (the paper's z_v): mean of the last hidden state over patch
 * tokens, CLS excluded, L2-normalised. `model` needs `config.json`, `preprocessor_config.json`
 * and `onnx/<modelFileName>.onnx` whose outputs include `last_hidden_state` (or
 * `hidden_states.<n>`, the last of which is then used).
 */
export class ClipVisionEmbedder implements ImageEmbedder {
  readonly id: string;
  readonly family = 'transformers';
  readonly encoder: EncoderDescription;
  readonly dimension: number;
  readonly directory: string;
  private readonly options: TransformersImageEmbedderOptions;
  private loading?: Promise<{ processor: TransformersModule.ImageProcessor; model: TransformersModule.PreTrainedModel }>;

  constructor(model: string, options: TransformersImageEmbedderOptions = {}) {
    this.directory = resolveModelDirectory(model, options);
    this.options = options;
    const config = readModelJson(join(this.directory, 'config.json'));
    const vision = (config.vision_config ?? config) as Record<string, unknown>;
    if (typeof vision.hidden_size !== 'number') {
      throw new InputError('config.json has no vision_config.hidden_size (is this a CLIP model?)', { file: join(this.directory, 'config.json') });
    }
    this.dimension = vision.hidden_size;
    const fileName = options.modelFileName ?? 'vision_model';
    const dtype = options.dtype ?? 'fp32';
    if (dtype === 'fp32' && !existsSync(join(this.directory, 'onnx', `${fileName}.onnx`))) {
      throw new InputError(
        `no onnx/${fileName}.onnx: the CLIP vision tower must be an ONNX export (e.g. Xenova/clip-vit-base-patch32)`,
        { file: this.directory },
      );
    }
    if (options.batchSize !== undefined && !(Number.isInteger(options.batchSize) && options.batchSize >= 1)) {
      throw new InputError(`batchSize must be a positive integer, got ${options.batchSize}`, { field: 'batchSize' });
    }
    this.id = `transformers:clip-vision-patch-mean(${dtype}):${describeModelDirectory(this.directory)}`;
    this.encoder = { model: describeModelDirectory(this.directory), pooling: PAPER_IMAGE_POOLING };
  }

  ready(): Promise<void> {
    return this.load().then(() => undefined);
  }

  private load(): Promise<{ processor: TransformersModule.ImageProcessor; model: TransformersModule.PreTrainedModel }> {
    this.loading ??= (async () => {
      const { AutoImageProcessor, CLIPVisionModel, env, LogLevel } = loadTransformers();
      // transformers.js warns "Model type for 'clip' not found, assuming encoder-only" when the
      // vision tower is loaded from a full CLIP config; encoder-only is exactly right here, so
      // the warning would only alarm users. Errors still surface.
      const logLevel = env.logLevel;
      env.logLevel = Math.max(logLevel, LogLevel.ERROR);
      try {
        const processor = await AutoImageProcessor.from_pretrained(this.directory, { local_files_only: true });
        const model = await CLIPVisionModel.from_pretrained(this.directory, {
          local_files_only: true,
          device: 'cpu',
          dtype: this.options.dtype ?? 'fp32',
          model_file_name: this.options.modelFileName ?? 'vision_model',
          session_options: this.options.threads ? { intraOpNumThreads: this.options.threads, interOpNumThreads: 1 } : {},
        });
        return { processor, model };
      } catch (error) {
        throw new InputError(`could not load the CLIP vision model: ${error instanceof Error ? error.message : String(error)}`, { file: this.directory });
      } finally {
        env.logLevel = logLevel;
      }
    })();
    this.loading.catch(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  async embedTexts(): Promise<Matrix> {
    throw new InputError('the CLIP vision embedder embeds images only; use the XLM-R embedder for text');
  }

  async embedImages(images: readonly ImageInput[]): Promise<Matrix> {
    const { processor, model } = await this.load();
    const { RawImage } = loadTransformers();
    const batchSize = this.options.batchSize ?? 8;
    const out = new Float32Array(images.length * this.dimension);
    for (let start = 0; start < images.length; start += batchSize) {
      const batch = images.slice(start, start + batchSize).map((image, i) => {
        const decoded = imagePixels(image, { where: `image ${start + i}` });
        return new RawImage(new Uint8ClampedArray(decoded.data.buffer, decoded.data.byteOffset, decoded.data.byteLength), decoded.width, decoded.height, 3);
      });
      const inputs = (await processor(batch)) as { pixel_values: TransformersModule.Tensor };
      const outputs = (await model({ pixel_values: inputs.pixel_values })) as Record<string, TransformersModule.Tensor>;
      const raw = lastHiddenState(outputs);
      const hidden = raw.type === 'float32' ? raw : raw.to('float32');
      const [batchCount, tokens, dim] = hidden.dims;
      if (batchCount !== batch.length || dim !== this.dimension) {
        throw new Error(`CLIP vision model returned shape [${hidden.dims}] for ${batch.length} images of dimension ${this.dimension}`);
      }
      const pooled = meanExcludingFirstToken({ data: hidden.data as Float32Array, batch: batchCount, tokens, dim });
      out.set(l2NormalizeRows(pooled, batchCount, dim), start * dim);
    }
    return { rows: images.length, cols: this.dimension, data: out };
  }

  async dispose(): Promise<void> {
    const loading = this.loading;
    this.loading = undefined;
    if (loading) await (await loading).model.dispose();
  }
}

/** `last_hidden_state`, or the highest-numbered `hidden_states.<n>` of a custom export. */
function lastHiddenState(outputs: Record<string, TransformersModule.Tensor>): TransformersModule.Tensor {
  if (outputs.last_hidden_state) return outputs.last_hidden_state;
  const numbered = Object.keys(outputs)
    .map((name) => /^hidden_states\.(\d+)$/.exec(name))
    .filter((match): match is RegExpExecArray => match !== null)
    .sort((a, b) => Number(b[1]) - Number(a[1]));
  if (numbered.length > 0) return outputs[numbered[0][0]];
  throw new Error(`the vision model outputs ${Object.keys(outputs).join(', ')}, but no last_hidden_state`);
}
