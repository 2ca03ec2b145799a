/**
 * Builds ONNX ModelProto bytes in memory, so graphs can be specialised to the data at hand (shapes,
 * weights baked in as initializers) without shipping .onnx files or needing Python.
 *
 * Field numbers follow onnx.proto (IR version 8, default-domain opset 17).
 */
import { ProtoWriter } from '../../io/protobuf';

export const IR_VERSION = 8;
export const OPSET_VERSION = 17;

/** A tensor dimension: a fixed size, or a symbolic name such as 'batch' that is bound at run time. */
export type Dim = number | string;

export type ElementType = 'float32' | 'float64' | 'int64';

/** TensorProto.DataType codes. */
const DATA_TYPE: Record<ElementType, number> = { float32: 1, float64: 11, int64: 7 };

/** AttributeProto.AttributeType codes. */
const ATTRIBUTE_FLOAT = 1;
const ATTRIBUTE_INT = 2;
const ATTRIBUTE_INTS = 7;

/**
 * Wraps a float attribute. Plain numbers mean INT because most ONNX attributes (axis, transA,
 * keepdims) are ints, and ORT rejects an attribute of the wrong type, so the float case must be
 * explicit rather than guessed from the value (alpha = 1 is still a float).
 */
export class FloatAttribute {
  constructor(readonly value: number) {}
}

export function float(value: number): FloatAttribute {
  return new FloatAttribute(value);
}

export type AttributeValue = number | readonly number[] | FloatAttribute;
export type Attributes = Readonly<Record<string, AttributeValue>>;

interface ValueInfo {
  readonly name: string;
  readonly type: ElementType;
  readonly dims: readonly Dim[];
}

interface Initializer {
  readonly name: string;
  readonly type: ElementType;
  readonly dims: readonly number[];
  readonly raw: Uint8Array;
}

interface Node {
  readonly opType: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: Attributes;
}

export class GraphBuilder {
  private readonly inputs: ValueInfo[] = [];
  private readonly outputs: ValueInfo[] = [];
  private readonly initializers: Initializer[] = [];
  private readonly nodes: Node[] = [];
  /** Every value name defined so far, to catch typos and duplicates here rather than in ORT. */
  private readonly defined = new Set<string>();
  private counter = 0;

  constructor(private readonly name = 'graph') {}

  /** Declares a graph input and returns its name. */
  input(name: string, type: ElementType, dims: readonly Dim[]): string {
    this.define(name);
    this.inputs.push({ name, type, dims: [...dims] });
    return name;
  }

  /** Declares an existing value as a graph output. */
  output(name: string, type: ElementType, dims: readonly Dim[]): void {
    if (!this.defined.has(name)) throw new Error(`graph output '${name}' is not produced by the graph`);
    this.outputs.push({ name, type, dims: [...dims] });
  }

  /** A constant float32 tensor stored as raw little-endian bytes; returns its name. */
  initializer(name: string, data: Float32Array | readonly number[], dims: readonly number[]): string {
    // Copied so that later changes to the caller's array cannot leak into the model.
    // slice() is a memcpy; Float32Array.from walks an iterator (about 7 ns per weight, 10 ms
    // for CLUB's network in a one-shot process).
    return this.addInitializer(name, 'float32', dims, data instanceof Float32Array ? data.slice() : Float32Array.from(data));
  }

  /** A constant int64 tensor (shapes, axes, split sizes); returns its name. */
  int64Initializer(name: string, data: readonly number[], dims: readonly number[]): string {
    return this.addInitializer(name, 'int64', dims, BigInt64Array.from(data, (value) => BigInt(value)));
  }

  /** An anonymous float32 constant; a bare number gives a scalar (rank 0). */
  constant(values: number | readonly number[] | Float32Array, dims?: readonly number[]): string {
    const data = typeof values === 'number' ? [values] : values;
    return this.initializer(this.fresh('const'), data, dims ?? (typeof values === 'number' ? [] : [data.length]));
  }

  /** An anonymous float64 scalar constant, for graphs that widen their float32 results. */
  float64Constant(value: number): string {
    return this.addInitializer(this.fresh('const'), 'float64', [], Float64Array.of(value));
  }

  /** An anonymous int64 constant, 1-D unless `dims` says otherwise ([] for a scalar). */
  int64Constant(values: readonly number[], dims?: readonly number[]): string {
    return this.int64Initializer(this.fresh('const'), values, dims ?? [values.length]);
  }

  /**
   * Appends a node. `outputs` is either how many outputs to create (auto-named) or their names.
   * Pass '' as an input to skip an optional input. Returns the output names.
   */
  node(opType: string, inputs: readonly string[], attributes: Attributes = {}, outputs: number | readonly string[] = 1): string[] {
    for (const input of inputs) {
      if (input !== '' && !this.defined.has(input)) throw new Error(`${opType}: input '${input}' is not defined`);
    }
    for (const [name, value] of Object.entries(attributes)) checkAttribute(opType, name, value);
    const names = typeof outputs === 'number' ? Array.from({ length: outputs }, () => this.fresh(opType)) : [...outputs];
    for (const name of names) this.define(name);
    this.nodes.push({ opType, inputs: [...inputs], outputs: names, attributes });
    return names;
  }

  /** A single-output node; returns the output name. */
  op(opType: string, inputs: readonly string[], attributes: Attributes = {}, outputName?: string): string {
    return this.node(opType, inputs, attributes, outputName === undefined ? 1 : [outputName])[0];
  }

  /** Serialises the model (ModelProto) to bytes ready for `InferenceSession.create`. */
  toModel(producerName = 'emishift'): Uint8Array {
    if (this.outputs.length === 0) throw new Error('graph has no outputs');
    // The graph is assembled from pieces and copied once into the model: nesting writers would
    // copy every initializer's bytes (megabytes of weights) once per level and per buffer growth.
    const graph: Uint8Array[] = [];
    const small = (write: (w: ProtoWriter) => void): Uint8Array => {
      const w = new ProtoWriter();
      write(w);
      return w.finish();
    };
    for (const node of this.nodes) graph.push(small((w) => w.message(1, (body) => writeNode(body, node))));
    graph.push(small((w) => w.string(2, this.name)));
    for (const tensor of this.initializers) {
      const header = small((w) => writeInitializerHeader(w, tensor));
      const rawKey = lengthPrefix(9, tensor.raw.length);
      graph.push(lengthPrefix(5, header.length + rawKey.length + tensor.raw.length), header, rawKey, tensor.raw);
    }
    for (const value of this.inputs) graph.push(small((w) => w.message(11, (body) => writeValueInfo(body, value))));
    for (const value of this.outputs) graph.push(small((w) => w.message(12, (body) => writeValueInfo(body, value))));
    const graphLength = graph.reduce((total, piece) => total + piece.length, 0);
    const head = small((model) => model.varint(1, IR_VERSION).string(2, producerName));
    const tail = small((model) => model.message(8, (opset) => opset.string(1, '').varint(2, OPSET_VERSION)));
    const pieces = [head, lengthPrefix(7, graphLength), ...graph, tail];
    const out = new Uint8Array(pieces.reduce((total, piece) => total + piece.length, 0));
    let offset = 0;
    for (const piece of pieces) {
      out.set(piece, offset);
      offset += piece.length;
    }
    return out;
  }

  /** Checks and records an initializer whose values the caller has already copied. */
  private addInitializer(name: string, type: ElementType, dims: readonly number[], values: Float32Array | Float64Array | BigInt64Array): string {
    checkSize(name, values.length, dims);
    this.define(name);
    this.initializers.push({ name, type, dims: [...dims], raw: littleEndianBytes(values) });
    return name;
  }

  private define(name: string): void {
    if (name === '') throw new Error('value names must be non-empty');
    if (this.defined.has(name)) throw new Error(`value '${name}' is defined twice`);
    this.defined.add(name);
  }

  private fresh(prefix: string): string {
    let name: string;
    do name = `${prefix}_${this.counter++}`;
    while (this.defined.has(name));
    return name;
  }
}

function writeNode(w: ProtoWriter, node: Node): void {
  for (const input of node.inputs) w.string(1, input);
  for (const output of node.outputs) w.string(2, output);
  w.string(4, node.opType);
  for (const [name, value] of Object.entries(node.attributes)) w.message(5, (a) => writeAttribute(a, name, value));
}

function writeAttribute(w: ProtoWriter, name: string, value: AttributeValue): void {
  w.string(1, name);
  if (value instanceof FloatAttribute) {
    w.varint(20, ATTRIBUTE_FLOAT).float(2, value.value);
  } else if (typeof value === 'number') {
    w.varint(20, ATTRIBUTE_INT).varint(3, value);
  } else {
    w.varint(20, ATTRIBUTE_INTS);
    for (const element of value) w.varint(8, element);
  }
}

function checkAttribute(opType: string, name: string, value: AttributeValue): void {
  if (value instanceof FloatAttribute) return;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new Error(`${opType}: attribute '${name}' = ${value} is not an integer; wrap floats in float()`);
    return;
  }
  for (const element of value) {
    if (!Number.isSafeInteger(element)) throw new Error(`${opType}: attribute '${name}' has non-integer element ${element}`);
  }
}

/** A TensorProto's fields before its raw_data (field 9), which toModel appends without a copy. */
function writeInitializerHeader(w: ProtoWriter, tensor: Initializer): void {
  for (const dim of tensor.dims) w.varint(1, dim);
  w.varint(2, DATA_TYPE[tensor.type]);
  w.string(8, tensor.name);
}

/** The key and length of a length-delimited field whose `length` bytes follow. */
function lengthPrefix(field: number, length: number): Uint8Array {
  const bytes: number[] = [];
  for (let value = field * 8 + 2; ; ) {
    if (value < 0x80) {
      bytes.push(value);
      break;
    }
    bytes.push((value % 0x80) | 0x80);
    value = Math.floor(value / 0x80);
  }
  for (let value = length; ; ) {
    if (value < 0x80) {
      bytes.push(value);
      break;
    }
    bytes.push((value % 0x80) | 0x80);
    value = Math.floor(value / 0x80);
  }
  return Uint8Array.from(bytes);
}

function writeValueInfo(w: ProtoWriter, value: ValueInfo): void {
  w.string(1, value.name);
  // TypeProto { tensor_type: TypeProto.Tensor { elem_type, shape: TensorShapeProto { dim* } } }
  w.message(2, (type) =>
    type.message(1, (tensorType) => {
      tensorType.varint(1, DATA_TYPE[value.type]);
      tensorType.message(2, (shape) => {
        for (const dim of value.dims) {
          shape.message(1, (d) => (typeof dim === 'number' ? d.varint(1, dim) : d.string(2, dim)));
        }
      });
    }),
  );
}

function checkSize(name: string, length: number, dims: readonly number[]): void {
  const expected = dims.reduce((product, dim) => product * dim, 1);
  if (length !== expected) throw new Error(`initializer '${name}' has ${length} elements but shape [${dims.join(', ')}] needs ${expected}`);
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** ONNX raw_data is little-endian; typed arrays use the host order, which only matters on big-endian hosts. */
function littleEndianBytes(values: Float32Array | Float64Array | BigInt64Array): Uint8Array {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  if (LITTLE_ENDIAN) return bytes;
  const width = values.BYTES_PER_ELEMENT;
  const swapped = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += width) {
    for (let j = 0; j < width; j++) swapped[i + j] = bytes[i + width - 1 - j];
  }
  return swapped;
}
