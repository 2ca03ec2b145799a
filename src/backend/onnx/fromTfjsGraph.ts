/**
 * Converts a TensorFlow.js convolutional graph model (the ops a TF-Hub MobileNet feature vector
 * uses once the tfjs converter has fused it) into an ONNX model, so ONNX Runtime's native
 * convolution kernels run it: on two cores several times faster than tfjs's WASM backend.
 *
 * Supported ops, the only ones such graphs hold: Placeholder, Const, Identity, Mul and Sub by a
 * constant, `_FusedConv2D` and `FusedDepthwiseConv2dNative` (fused BiasAdd, optionally Relu or
 * Relu6), Conv2D, DepthwiseConv2dNative, AddV2/Add, AvgPool, Squeeze of the spatial axes. Anything
 * else is an Error naming the op. TensorFlow's NHWC is converted to ONNX's NCHW at the edges:
 * the ONNX graph takes `[batch, channels, height, width]` pixels and filters are transposed
 * (HWIO → OIHW; a depthwise HWCM filter becomes a grouped convolution with C·M outputs in
 * TensorFlow's channel order c·M + m). TensorFlow's SAME padding puts the odd pixel after, as
 * ONNX's explicit pads do here from the static spatial sizes.
 */
import { GraphBuilder } from './modelBuilder';

/** A node of a tfjs graph model's `modelTopology.node` (the fields the conversion reads). */
export interface TfjsGraphNode {
  readonly name: string;
  readonly op: string;
  readonly input?: readonly string[];
  readonly attr?: Readonly<Record<string, { s?: string; i?: string; f?: number; list?: { s?: string[]; i?: string[] } }>>;
}

/** A weight of the graph, dequantized (what a loaded tfjs GraphModel's `weights` hold). */
export interface TfjsWeight {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

/** What to convert: the nodes, their weights, the input and its static spatial size, and the output node. */
export interface TfjsGraphConversion {
  readonly nodes: readonly TfjsGraphNode[];
  readonly weights: ReadonlyMap<string, TfjsWeight>;
  /** The Placeholder that takes NHWC pixels. */
  readonly inputNode: string;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  /** The node whose value becomes the ONNX output. */
  readonly outputNode: string;
  /** ONNX names of the graph's input and output. Default `pixels` and `features`. */
  readonly inputName?: string | undefined;
  readonly outputName?: string | undefined;
}

/** The ONNX model and the shape of its output per image. */
export interface ConvertedGraph {
  readonly model: Uint8Array;
  readonly inputName: string;
  readonly outputName: string;
  /** Features per image. */
  readonly outputSize: number;
}

/** A value in the ONNX graph: its name and, for NCHW feature maps, channels × height × width. */
interface Converted {
  readonly name: string;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  /** True once the spatial axes are gone ([batch, features]). */
  readonly flat: boolean;
}

function decode(value: string | undefined): string {
  return value === undefined ? '' : Buffer.from(value, 'base64').toString('utf8');
}

function ints(node: TfjsGraphNode, key: string, fallback: number[]): number[] {
  const list = node.attr?.[key]?.list?.i;
  return list && list.length > 0 ? list.map(Number) : fallback;
}

/** Output size and [before, after] padding of one spatial axis under TensorFlow's padding rule. */
function spatial(size: number, kernel: number, stride: number, padding: string): { out: number; before: number; after: number } {
  if (padding === 'VALID') return { out: Math.floor((size - kernel) / stride) + 1, before: 0, after: 0 };
  if (padding !== 'SAME') throw new Error(`padding '${padding}' is not supported (SAME or VALID)`);
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + kernel - size, 0);
  const before = Math.floor(total / 2);
  return { out, before, after: total - before };
}

/** Builds the ONNX model (see the module comment); throws an Error naming the first op it cannot convert. */
export function convertTfjsConvGraph(conversion: TfjsGraphConversion): ConvertedGraph {
  const { nodes, weights } = conversion;
  const byName = new Map(nodes.map((node) => [node.name, node]));
  const inputName = conversion.inputName ?? 'pixels';
  const outputName = conversion.outputName ?? 'features';
  const graph = new GraphBuilder('tfjs-conv-graph');
  const values = new Map<string, Converted>();
  const weight = (name: string): TfjsWeight => {
    const found = weights.get(name.split(':')[0]);
    if (!found) throw new Error(`the graph has no weight '${name}'`);
    return found;
  };
  const clip = (x: string, relu: string): string => {
    if (relu === '') return x;
    if (relu === 'Relu') return graph.op('Relu', [x]);
    if (relu === 'Relu6') return graph.op('Clip', [x, graph.constant(0), graph.constant(6)]);
    throw new Error(`fused activation '${relu}' is not supported`);
  };

  const visit = (reference: string): Converted => {
    const name = reference.replace(/^\^/, '').split(':')[0];
    const done = values.get(name);
    if (done) return done;
    const node = byName.get(name);
    if (!node) throw new Error(`the graph has no node '${name}'`);
    const inputs = node.input ?? [];
    let result: Converted;
    switch (node.op) {
      case 'Placeholder': {
        if (name !== conversion.inputNode) throw new Error(`unexpected graph input '${name}'`);
        graph.input(inputName, 'float32', ['batch', conversion.channels, conversion.height, conversion.width]);
        result = { name: inputName, channels: conversion.channels, height: conversion.height, width: conversion.width, flat: false };
        break;
      }
      case 'Identity':
        result = visit(inputs[0]);
        break;
      case 'Mul':
      case 'Sub':
      case 'AddV2':
      case 'Add': {
        const isConstant = (reference: string) => byName.get(reference.split(':')[0])?.op === 'Const';
        const [a, b] = inputs;
        if (isConstant(a) && isConstant(b)) throw new Error(`${node.op} '${name}' of two constants is not supported`);
        const operand = (reference: string, other: Converted): string => {
          if (!isConstant(reference)) return visit(reference).name;
          const constant = weight(reference);
          if (constant.data.length === 1) return graph.constant(constant.data[0]);
          if (constant.data.length === other.channels && !other.flat) return graph.constant(constant.data, [other.channels, 1, 1]);
          if (constant.data.length === other.channels) return graph.constant(constant.data, [other.channels]);
          throw new Error(`${node.op} '${name}': a constant of shape [${constant.shape.join(', ')}] is not supported`);
        };
        const shapeOf = isConstant(a) ? visit(b) : visit(a);
        const op = node.op === 'Sub' ? 'Sub' : node.op === 'Mul' ? 'Mul' : 'Add';
        result = { ...shapeOf, name: graph.op(op, [operand(a, shapeOf), operand(b, shapeOf)]) };
        break;
      }
      case '_FusedConv2D':
      case 'Conv2D':
      case 'FusedDepthwiseConv2dNative':
      case 'DepthwiseConv2dNative': {
        const x = visit(inputs[0]);
        const filter = weight(inputs[1]);
        const [kh, kw, ci, co] = filter.shape;
        const depthwise = node.op.includes('Depthwise');
        if (ci !== x.channels) throw new Error(`${name}: filter takes ${ci} channels, its input has ${x.channels}`);
        if (ints(node, 'dilations', [1, 1, 1, 1]).some((d) => d !== 1)) throw new Error(`${name}: dilated convolutions are not supported`);
        const format = decode(node.attr?.data_format?.s) || 'NHWC';
        if (format !== 'NHWC') throw new Error(`${name}: data format ${format} is not supported`);
        const [, sh, sw] = ints(node, 'strides', [1, 1, 1, 1]);
        const padding = decode(node.attr?.padding?.s);
        const rows = spatial(x.height, kh, sh, padding);
        const cols = spatial(x.width, kw, sw, padding);
        const outputs = depthwise ? ci * co : co;
        const oihw = new Float32Array(outputs * (depthwise ? 1 : ci) * kh * kw);
        for (let y = 0; y < kh; y++) {
          for (let xx = 0; xx < kw; xx++) {
            for (let c = 0; c < ci; c++) {
              for (let o = 0; o < co; o++) {
                const value = filter.data[((y * kw + xx) * ci + c) * co + o];
                if (depthwise) oihw[((c * co + o) * kh + y) * kw + xx] = value;
                else oihw[((o * ci + c) * kh + y) * kw + xx] = value;
              }
            }
          }
        }
        const fused = (node.attr?.fused_ops?.list?.s ?? []).map(decode);
        const extra = fused.filter((op) => op !== 'BiasAdd' && op !== 'Relu' && op !== 'Relu6');
        if (extra.length > 0) throw new Error(`${name}: fused ops ${extra.join(', ')} are not supported`);
        const convInputs = [x.name, graph.constant(oihw, [outputs, depthwise ? 1 : ci, kh, kw])];
        if (fused.includes('BiasAdd')) convInputs.push(graph.constant(weight(inputs[2]).data, [outputs]));
        const conv = graph.op('Conv', convInputs, {
          kernel_shape: [kh, kw],
          strides: [sh, sw],
          pads: [rows.before, cols.before, rows.after, cols.after],
          group: depthwise ? ci : 1,
        });
        const relu = fused.find((op) => op === 'Relu' || op === 'Relu6') ?? '';
        result = { name: clip(conv, relu), channels: outputs, height: rows.out, width: cols.out, flat: false };
        break;
      }
      case 'AvgPool': {
        const x = visit(inputs[0]);
        const [, kh, kw] = ints(node, 'ksize', [1, 1, 1, 1]);
        const [, sh, sw] = ints(node, 'strides', [1, 1, 1, 1]);
        const padding = decode(node.attr?.padding?.s);
        const rows = spatial(x.height, kh, sh, padding);
        const cols = spatial(x.width, kw, sw, padding);
        if (rows.before + rows.after + cols.before + cols.after > 0) throw new Error(`${name}: padded average pooling is not supported`);
        result = { ...x, name: graph.op('AveragePool', [x.name], { kernel_shape: [kh, kw], strides: [sh, sw] }), height: rows.out, width: cols.out };
        break;
      }
      case 'Squeeze': {
        const x = visit(inputs[0]);
        const axes = ints(node, 'squeeze_dims', []);
        if (x.height !== 1 || x.width !== 1 || axes.join(',') !== '1,2') throw new Error(`${name}: only squeezing 1 × 1 spatial axes is supported`);
        result = { ...x, name: graph.op('Flatten', [x.name], { axis: 1 }), height: 1, width: 1, flat: true };
        break;
      }
      default:
        throw new Error(`op ${node.op} ('${name}') is not supported by the tfjs-to-ONNX conversion`);
    }
    values.set(name, result);
    return result;
  };

  const out = visit(conversion.outputNode);
  graph.op('Identity', [out.name], {}, outputName);
  const outputSize = out.channels * out.height * out.width;
  graph.output(outputName, 'float32', out.flat ? ['batch', outputSize] : ['batch', out.channels, out.height, out.width]);
  return { model: graph.toModel(), inputName, outputName, outputSize };
}
