/**
 * Test inputs for the embedders, made on the fly: synthetic pictures with their corrupted
 * versions, and tiny stand-ins for model directories (a real XLM-R or CLIP is hundreds of MB and
 * not available offline), shaped exactly like the real ones so the loading code is exercised.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import * as jpeg from 'jpeg-js';
import { createRng } from '../../src/random';
import { GraphBuilder } from '../../src/backend/onnx/modelBuilder';
import type { Matrix } from '../../src/interface';
import type { RgbImage } from '../../src/io/image';
import { writeSafetensors as writeSafetensorsFile, type SafetensorsTensorInput } from '../../src/io/safetensors';

/** A test picture: decoded RGB pixels, so it is also an image input as it is. */
export type Picture = RgbImage;

/** A gradient background with textured rectangles and discs, different for every seed. */
export function scene(width: number, height: number, seed: number): Picture {
  const rng = createRng(seed);
  const colour = (): number[] => [rng.int(256), rng.int(256), rng.int(256)];
  const top = colour();
  const bottom = colour();
  const frequency = 0.1 + rng.next() * 0.3;
  const shapes = Array.from({ length: 6 }, () => ({
    x: rng.next() * width,
    y: rng.next() * height,
    r: 6 + (rng.next() * width) / 4,
    c: colour(),
    square: rng.next() < 0.5,
  }));
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const t = y / height;
      let pixel = [0, 1, 2].map((k) => top[k] * (1 - t) + bottom[k] * t + 20 * Math.sin(x * frequency + y * 0.17));
      for (const s of shapes) {
        const dx = x - s.x;
        const dy = y - s.y;
        const inside = s.square ? Math.abs(dx) < s.r && Math.abs(dy) < s.r * 0.6 : dx * dx + dy * dy < s.r * s.r;
        if (inside) pixel = s.c.map((v) => v + 10 * Math.sin(x * 0.9));
      }
      for (let k = 0; k < 3; k++) data[(y * width + x) * 3 + k] = Math.max(0, Math.min(255, Math.round(pixel[k])));
    }
  }
  return { width, height, data };
}

/** Box blur of radius r (a stand-in for defocus blur). */
export function blur(picture: Picture, radius: number): Picture {
  const { width, height, data } = picture;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let k = 0; k < 3; k++) {
        let sum = 0;
        let count = 0;
        for (let dy = -radius; dy <= radius; dy++) {
          for (let dx = -radius; dx <= radius; dx++) {
            const xx = x + dx;
            const yy = y + dy;
            if (xx < 0 || yy < 0 || xx >= width || yy >= height) continue;
            sum += data[(yy * width + xx) * 3 + k];
            count++;
          }
        }
        out[(y * width + x) * 3 + k] = Math.round(sum / count);
      }
    }
  }
  return { width, height, data: out };
}

/** Additive Gaussian noise of standard deviation `sd` (in 0..255 units). */
export function noise(picture: Picture, sd: number, seed: number): Picture {
  const rng = createRng(seed);
  return { ...picture, data: picture.data.map((v) => Math.max(0, Math.min(255, Math.round(v + sd * rng.normal())))) };
}

function rgba(picture: Picture): Buffer {
  const out = Buffer.alloc(picture.width * picture.height * 4);
  for (let i = 0; i < picture.width * picture.height; i++) {
    out[4 * i] = picture.data[3 * i];
    out[4 * i + 1] = picture.data[3 * i + 1];
    out[4 * i + 2] = picture.data[3 * i + 2];
    out[4 * i + 3] = 255;
  }
  return out;
}

export function encodePng(picture: Picture): Uint8Array {
  const png = new PNG({ width: picture.width, height: picture.height });
  png.data = rgba(picture);
  return new Uint8Array(PNG.sync.write(png));
}

export function encodeJpeg(picture: Picture, quality = 90): Uint8Array {
  return new Uint8Array(jpeg.encode({ width: picture.width, height: picture.height, data: rgba(picture) }, quality).data);
}

export function rowDot(matrix: Matrix, i: number, j: number): number {
  let sum = 0;
  for (let k = 0; k < matrix.cols; k++) sum += matrix.data[i * matrix.cols + k] * matrix.data[j * matrix.cols + k];
  return sum;
}

export function rowNorm(matrix: Matrix, i: number): number {
  return Math.sqrt(rowDot(matrix, i, i));
}

// ---------------------------------------------------------------------------------------------
// A miniature XLM-R directory: a real Unigram tokenizer.json in XLM-R's layout (Metaspace,
// <s> A </s> template, pad id 1), a config.json, and embedding tables of hidden size 8.

export const TINY_PIECES = ['▁', '▁the', '▁cat', '▁sat', '▁on', '▁mat', 'a', 'b', 'c', 'd', 'e', 'h', 't', 's', 'o', 'n', 'm', '▁a', '你', '好', '▁你好'];
export const TINY_HIDDEN = 8;
export const TINY_MAX_POSITIONS = 20;

export interface TinyXlmrWeights {
  word: Float32Array;
  position: Float32Array;
  tokenType: Float32Array;
  lnWeight: Float32Array;
  lnBias: Float32Array;
  vocab: number;
}

export function tinyXlmrWeights(seed = 7): TinyXlmrWeights {
  const rng = createRng(seed);
  const vocab = 4 + TINY_PIECES.length + 1;
  const fill = (n: number, scale = 1, offset = 0): Float32Array => Float32Array.from({ length: n }, () => offset + scale * rng.normal());
  return {
    vocab,
    word: fill(vocab * TINY_HIDDEN),
    position: fill(TINY_MAX_POSITIONS * TINY_HIDDEN, 0.5),
    tokenType: fill(TINY_HIDDEN, 0.3),
    lnWeight: fill(TINY_HIDDEN, 0.1, 1),
    lnBias: fill(TINY_HIDDEN, 0.1),
  };
}

export function writeTinyTokenizer(directory: string): void {
  mkdirSync(directory, { recursive: true });
  const vocab: [string, number][] = [
    ['<s>', 0],
    ['<pad>', 0],
    ['</s>', 0],
    ['<unk>', 0],
  ];
  TINY_PIECES.forEach((piece, i) => vocab.push([piece, -1 - i * 0.1]));
  vocab.push(['<mask>', 0]);
  const special = (content: string, id: number) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  const s = { SpecialToken: { id: '<s>', type_id: 0 } };
  const e = { SpecialToken: { id: '</s>', type_id: 0 } };
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special('<s>', 0), special('<pad>', 1), special('</s>', 2), special('<unk>', 3), special('<mask>', vocab.length - 1)],
    normalizer: null,
    pre_tokenizer: { type: 'Metaspace', replacement: '▁', add_prefix_space: true, prepend_scheme: 'always' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [s, { Sequence: { id: 'A', type_id: 0 } }, e],
      pair: [s, { Sequence: { id: 'A', type_id: 0 } }, e, e, { Sequence: { id: 'B', type_id: 0 } }, e],
      special_tokens: { '<s>': { id: '<s>', ids: [0], tokens: ['<s>'] }, '</s>': { id: '</s>', ids: [2], tokens: ['</s>'] } },
    },
    decoder: { type: 'Metaspace', replacement: '▁', add_prefix_space: true, prepend_scheme: 'always' },
    model: { type: 'Unigram', unk_id: 3, vocab },
  };
  writeFileSync(join(directory, 'tokenizer.json'), JSON.stringify(tokenizer));
  writeFileSync(
    join(directory, 'tokenizer_config.json'),
    JSON.stringify({
      model_max_length: 512,
      tokenizer_class: 'XLMRobertaTokenizer',
      bos_token: '<s>',
      eos_token: '</s>',
      pad_token: '<pad>',
      unk_token: '<unk>',
      mask_token: '<mask>',
      cls_token: '<s>',
      sep_token: '</s>',
    }),
  );
  writeFileSync(
    join(directory, 'config.json'),
    JSON.stringify({
      model_type: 'xlm-roberta',
      hidden_size: TINY_HIDDEN,
      pad_token_id: 1,
      layer_norm_eps: 1e-5,
      max_position_embeddings: TINY_MAX_POSITIONS,
      type_vocab_size: 1,
      vocab_size: vocab.length,
    }),
  );
}

/** A safetensors file with `format: pt` metadata, as `safetensors.torch.save_file` writes; F16 tensors are rounded to half precision. */
export function writeSafetensors(file: string, tensors: Record<string, { dtype: 'F32' | 'F16'; shape: number[]; data: Float32Array }>): void {
  const entries: SafetensorsTensorInput[] = Object.entries(tensors).map(([name, tensor]) =>
    tensor.dtype === 'F32' ? { name, dtype: 'F32', shape: tensor.shape, data: tensor.data } : { name, dtype: 'F16', shape: tensor.shape, data: Uint16Array.from(tensor.data, floatToHalf) },
  );
  writeSafetensorsFile(file, entries, { format: 'pt' });
}

/** Round-to-nearest float16 bits, enough for test weights of moderate magnitude. */
export function floatToHalf(value: number): number {
  const f32 = new Float32Array([value]);
  const bits = new Uint32Array(f32.buffer)[0];
  const sign = (bits >>> 16) & 0x8000;
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  const mantissa = bits & 0x7fffff;
  if (exponent <= 0) return sign;
  if (exponent >= 31) return sign | 0x7c00;
  let half = sign | (exponent << 10) | (mantissa >> 13);
  if (mantissa & 0x1000) half++;
  return half;
}

export function writeTinyXlmrSafetensors(directory: string, weights: TinyXlmrWeights, prefix = 'roberta.', dtype: 'F32' | 'F16' = 'F32'): void {
  writeTinyTokenizer(directory);
  writeSafetensors(join(directory, 'model.safetensors'), {
    [`${prefix}embeddings.word_embeddings.weight`]: { dtype, shape: [weights.vocab, TINY_HIDDEN], data: weights.word },
    [`${prefix}embeddings.position_embeddings.weight`]: { dtype, shape: [TINY_MAX_POSITIONS, TINY_HIDDEN], data: weights.position },
    [`${prefix}embeddings.token_type_embeddings.weight`]: { dtype, shape: [1, TINY_HIDDEN], data: weights.tokenType },
    [`${prefix}embeddings.LayerNorm.weight`]: { dtype, shape: [TINY_HIDDEN], data: weights.lnWeight },
    [`${prefix}embeddings.LayerNorm.bias`]: { dtype, shape: [TINY_HIDDEN], data: weights.lnBias },
    // A head whose name also ends in a matching suffix must not be picked up.
    [`lm_head.${prefix}embeddings.LayerNorm.weight`]: { dtype, shape: [TINY_HIDDEN], data: new Float32Array(TINY_HIDDEN).fill(99) },
  });
}

/** The same tables as initializers of an ONNX model (a trivial graph that uses them). */
export function writeTinyXlmrOnnx(directory: string, weights: TinyXlmrWeights): void {
  writeTinyTokenizer(directory);
  const graph = new GraphBuilder('xlmr');
  const ids = graph.input('input_ids', 'int64', ['batch', 'sequence']);
  const word = graph.initializer('embeddings.word_embeddings.weight', weights.word, [weights.vocab, TINY_HIDDEN]);
  graph.initializer('embeddings.position_embeddings.weight', weights.position, [TINY_MAX_POSITIONS, TINY_HIDDEN]);
  graph.initializer('embeddings.token_type_embeddings.weight', weights.tokenType, [1, TINY_HIDDEN]);
  graph.initializer('embeddings.LayerNorm.weight', weights.lnWeight, [TINY_HIDDEN]);
  graph.initializer('embeddings.LayerNorm.bias', weights.lnBias, [TINY_HIDDEN]);
  graph.op('Gather', [word, ids], { axis: 0 }, 'last_hidden_state');
  graph.output('last_hidden_state', 'float32', ['batch', 'sequence', TINY_HIDDEN]);
  mkdirSync(join(directory, 'onnx'), { recursive: true });
  writeFileSync(join(directory, 'onnx', 'model.onnx'), graph.toModel());
}

// ---------------------------------------------------------------------------------------------
// A miniature CLIP vision tower: pixel_values [b, 3, 224, 224] → last_hidden_state [b, 50, D]
// from a 32 × 32 stride-32 patch convolution (49 patch tokens), with a "CLS" token at index 0
// that is deliberately far from the patch mean, so pooling that included it would show.

export const TINY_CLIP_HIDDEN = 6;

export function tinyClipPatchWeights(): Float32Array {
  return Float32Array.from({ length: TINY_CLIP_HIDDEN * 3 * 32 * 32 }, (_, i) => Math.sin(i * 0.37) * 0.01);
}

export function writeTinyClip(directory: string): void {
  const graph = new GraphBuilder('clip_vision');
  const pixels = graph.input('pixel_values', 'float32', ['batch', 3, 224, 224]);
  const weight = graph.initializer('vision_model.embeddings.patch_embedding.weight', tinyClipPatchWeights(), [TINY_CLIP_HIDDEN, 3, 32, 32]);
  const conv = graph.op('Conv', [pixels, weight], { strides: [32, 32], kernel_shape: [32, 32] });
  const flat = graph.op('Reshape', [conv, graph.int64Constant([0, TINY_CLIP_HIDDEN, 49])]);
  const patches = graph.op('Transpose', [flat], { perm: [0, 2, 1] });
  const max = graph.op('ReduceMax', [patches], { axes: [1], keepdims: 1 });
  const cls = graph.op('Add', [graph.op('Mul', [max, graph.constant(100)]), graph.constant(5)]);
  graph.op('Concat', [cls, patches], { axis: 1 }, 'last_hidden_state');
  graph.output('last_hidden_state', 'float32', ['batch', 50, TINY_CLIP_HIDDEN]);
  mkdirSync(join(directory, 'onnx'), { recursive: true });
  writeFileSync(join(directory, 'onnx', 'vision_model.onnx'), graph.toModel());
  writeFileSync(
    join(directory, 'config.json'),
    JSON.stringify({ model_type: 'clip', vision_config: { hidden_size: TINY_CLIP_HIDDEN, image_size: 224, patch_size: 32 }, text_config: { hidden_size: 4 } }),
  );
  writeFileSync(
    join(directory, 'preprocessor_config.json'),
    JSON.stringify({
      crop_size: 224,
      do_center_crop: true,
      do_normalize: true,
      do_resize: true,
      do_convert_rgb: true,
      feature_extractor_type: 'CLIPFeatureExtractor',
      image_processor_type: 'CLIPImageProcessor',
      image_mean: [0.48145466, 0.4578275, 0.40821073],
      image_std: [0.26862954, 0.26130258, 0.27577711],
      resample: 3,
      size: 224,
    }),
  );
}
