import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtoWriter } from '../../src/io/protobuf';
import { GraphBuilder, float } from '../../src/backend/onnx/modelBuilder';
import { createSession, floatTensor } from '../../src/backend/onnx/runtime';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

test('protobuf writer produces the documented wire encoding', () => {
  // The protobuf encoding guide's example: field 1 = 150 is 08 96 01.
  assert.equal(hex(new ProtoWriter().varint(1, 150).finish()), '089601');
  // Field 2, string "testing": tag 0x12, length 7, UTF-8 bytes.
  assert.equal(hex(new ProtoWriter().string(2, 'testing').finish()), '120774657374696e67');
  // Negative int64 is ten bytes of two's complement.
  assert.equal(hex(new ProtoWriter().varint(3, -1).finish()), '18ffffffffffffffffff01');
  // Values above 2^32 must not be truncated by 32-bit shifts.
  assert.equal(hex(new ProtoWriter().varint(1, 2 ** 35).finish()), '08808080808001');
  // float is wire type 5, little-endian IEEE 754: 1.0f = 00 00 80 3f.
  assert.equal(hex(new ProtoWriter().float(2, 1).finish()), '150000803f');
  // An embedded message is length-prefixed.
  assert.equal(hex(new ProtoWriter().message(7, (m) => m.varint(1, 150)).finish()), '3a03089601');
  // Buffers grow past their initial capacity without losing bytes.
  const big = new Uint8Array(1000).map((_, i) => i % 251);
  const encoded = new ProtoWriter().bytes(9, big).finish();
  assert.equal(encoded.length, 1 + 2 + 1000);
  assert.deepEqual(encoded.subarray(3), big);
});

test('model header: ir_version 8 first, opset 17 for the default domain', () => {
  const g = new GraphBuilder('tiny');
  const a = g.input('a', 'float32', ['n']);
  g.op('Identity', [a], {}, 'b');
  g.output('b', 'float32', ['n']);
  const bytes = g.toModel();
  assert.equal(hex(bytes.subarray(0, 2)), '0808'); // field 1 (varint) = 8
  // The opset_import message (field 8) is written last: { domain: "", version: 17 }.
  assert.equal(hex(bytes.subarray(bytes.length - 6)), '42040a001011');
});

test('a model with a large initializer is the nested protobuf encoding, byte for byte', () => {
  const weights = Float32Array.from({ length: 300 }, (_, i) => i / 3);
  const g = new GraphBuilder('g');
  const x = g.input('x', 'float32', ['n', 300]);
  const w = g.initializer('w', weights, [300]);
  g.op('Mul', [x, w], {}, 'y');
  g.output('y', 'float32', ['n', 300]);
  // The same model written the straightforward way: every message nested in its parent.
  const valueInfo = (v: ProtoWriter, name: string) =>
    v.string(1, name).message(2, (type) =>
      type.message(1, (tensor) => tensor.varint(1, 1).message(2, (shape) => shape.message(1, (d) => d.string(2, 'n')).message(1, (d) => d.varint(1, 300)))),
    );
  const expected = new ProtoWriter()
    .varint(1, 8)
    .string(2, 'emishift')
    .message(7, (graph) =>
      graph
        .message(1, (node) => node.string(1, 'x').string(1, 'w').string(2, 'y').string(4, 'Mul'))
        .string(2, 'g')
        .message(5, (tensor) => tensor.varint(1, 300).varint(2, 1).string(8, 'w').bytes(9, new Uint8Array(weights.buffer)))
        .message(11, (v) => valueInfo(v, 'x'))
        .message(12, (v) => valueInfo(v, 'y')),
    )
    .message(8, (opset) => opset.string(1, '').varint(2, 17))
    .finish();
  assert.equal(hex(g.toModel()), hex(expected));
});

test('Add of two symbolic-shape inputs runs in ONNX Runtime with the right numbers', async () => {
  const g = new GraphBuilder('add');
  const a = g.input('a', 'float32', ['n', 3]);
  const b = g.input('b', 'float32', ['n', 3]);
  g.op('Add', [a, b], {}, 'sum');
  g.output('sum', 'float32', ['n', 3]);
  const session = await createSession(g.toModel(), { threads: 1 });
  for (const n of [1, 4]) {
    const x = Float32Array.from({ length: n * 3 }, (_, i) => i + 0.5);
    const y = Float32Array.from({ length: n * 3 }, (_, i) => 10 * i);
    const { sum } = await session.run({ a: floatTensor(x, [n, 3]), b: floatTensor(y, [n, 3]) });
    assert.deepEqual(sum.dims, [n, 3]);
    assert.deepEqual(Array.from(sum.data as Float32Array), Array.from(x, (v, i) => v + y[i]));
  }
  await session.release();
});

test('attributes (int, float, ints) and float/int64 initializers reach ONNX Runtime intact', async () => {
  const g = new GraphBuilder('attributes');
  const x = g.input('x', 'float32', [2, 3]);
  // W is [2, 3]; Gemm(x, W, c, transB = 1, alpha = 0.5, beta = 2) = 0.5 x Wᵀ + 2 c.
  const w = g.initializer('w', [1, 2, 3, 4, 5, 6], [2, 3]);
  const c = g.constant([100, 200]);
  const gemm = g.op('Gemm', [x, w, c], { transB: 1, alpha: float(0.5), beta: float(2) });
  g.op('Transpose', [gemm], { perm: [1, 0] }, 'transposed');
  g.output('transposed', 'float32', [2, 2]);
  // An int64 initializer as an op input: the shape for Reshape.
  g.op('Reshape', [x, g.int64Constant([3, 2])], {}, 'reshaped');
  g.output('reshaped', 'float32', [3, 2]);
  const session = await createSession(g.toModel(), { threads: 1 });
  const xData = Float32Array.of(1, 0, -1, 2, 1, 0);
  const out = await session.run({ x: floatTensor(xData, [2, 3]) });
  // Row 0 of x: [1, 0, −1] · [1,2,3] = −2, · [4,5,6] = −2; row 1: [2, 1, 0] → 4, 13.
  const expectedGemm = [
    [0.5 * -2 + 200, 0.5 * -2 + 400],
    [0.5 * 4 + 200, 0.5 * 13 + 400],
  ];
  const transposedExpected = [expectedGemm[0][0], expectedGemm[1][0], expectedGemm[0][1], expectedGemm[1][1]];
  assert.deepEqual(Array.from(out.transposed.data as Float32Array), transposedExpected);
  assert.deepEqual(out.reshaped.dims, [3, 2]);
  assert.deepEqual(Array.from(out.reshaped.data as Float32Array), Array.from(xData));
  await session.release();
});

test('builder rejects mistakes before ONNX Runtime sees them', () => {
  const g = new GraphBuilder();
  const a = g.input('a', 'float32', [2]);
  assert.throws(() => g.op('Add', [a, 'missing']), /missing/);
  assert.throws(() => g.input('a', 'float32', [2]), /defined twice/);
  assert.throws(() => g.op('Gemm', [a, a], { alpha: 0.5 }), /float\(\)/);
  assert.throws(() => g.initializer('w', [1, 2, 3], [2, 2]), /shape/);
  assert.throws(() => g.output('nope', 'float32', [2]), /not produced/);
  assert.throws(() => new GraphBuilder().toModel(), /no outputs/);
});

test('initializers snapshot the data at the call', async () => {
  const g = new GraphBuilder();
  const x = g.input('x', 'float32', [2]);
  const data = Float32Array.of(1, 2);
  const w = g.initializer('w', data, [2]);
  data[0] = 1000; // must not leak into the model
  g.op('Mul', [x, w], {}, 'y');
  g.output('y', 'float32', [2]);
  const session = await createSession(g.toModel(), { threads: 1 });
  const { y } = await session.run({ x: floatTensor(Float32Array.of(3, 4), [2]) });
  assert.deepEqual(Array.from(y.data as Float32Array), [3, 8]);
  await session.release();
});
