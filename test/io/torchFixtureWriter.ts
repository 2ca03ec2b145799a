/**
 * Builds small synthetic `torch.save` archives for tests: a ZIP writer laid out the way torch's
 * miniz writer does it (data descriptors, zero sizes in local headers, 'FB' padding extras that
 * align data to 64 bytes) plus an opcode-level pickle writer.
 */
import { deflateRawSync } from 'node:zlib';
import { crc32 } from '../../src/io/torch/zip';

class ByteSink {
  private chunks: Uint8Array[] = [];
  length = 0;

  bytes(data: Uint8Array | readonly number[]): this {
    const chunk = data instanceof Uint8Array ? data : Uint8Array.from(data);
    this.chunks.push(chunk);
    this.length += chunk.length;
    return this;
  }

  u8(value: number): this {
    return this.bytes([value & 0xff]);
  }

  u16(value: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(value);
    return this.bytes(b);
  }

  u32(value: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(value >>> 0);
    return this.bytes(b);
  }

  i32(value: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32LE(value);
    return this.bytes(b);
  }

  u64(value: number): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(value));
    return this.bytes(b);
  }

  toBytes(): Uint8Array {
    return new Uint8Array(Buffer.concat(this.chunks));
  }
}

export interface ZipInput {
  name: string;
  data: Uint8Array;
  /** 0 = stored (torch's choice), 8 = deflate. */
  method?: 0 | 8;
}

export interface ZipOptions {
  /** Saturate 32-bit fields and write ZIP64 extras and the ZIP64 end records. */
  zip64?: boolean;
}

const ALIGN = 64;

export function writeZip(entries: readonly ZipInput[], options: ZipOptions = {}): Uint8Array {
  const zip64 = options.zip64 ?? false;
  const out = new ByteSink();
  const central = new ByteSink();
  const utf8Flag = 0x0800;
  const descriptorFlag = 0x0008;
  const version = zip64 ? 45 : 20;

  for (const entry of entries) {
    const method = entry.method ?? 0;
    const name = Buffer.from(entry.name, 'utf8');
    const payload = method === 8 ? new Uint8Array(deflateRawSync(entry.data)) : entry.data;
    const crc = crc32(entry.data);
    const localOffset = out.length;
    const unpadded = localOffset + 30 + name.length + 4;
    const padding = (ALIGN - (unpadded % ALIGN)) % ALIGN;
    out.u32(0x04034b50).u16(version).u16(utf8Flag | descriptorFlag).u16(method).u16(0).u16(0x21);
    out.u32(0).u32(0).u32(0).u16(name.length).u16(4 + padding).bytes(name);
    out.u16(0x4246).u16(padding).bytes(new Uint8Array(padding).fill(0x5a));
    out.bytes(payload);
    out.u32(0x08074b50).u32(crc);
    if (zip64) out.u64(payload.length).u64(entry.data.length);
    else out.u32(payload.length).u32(entry.data.length);

    central.u32(0x02014b50).u16(version).u16(version).u16(utf8Flag | descriptorFlag).u16(method).u16(0).u16(0x21);
    central.u32(crc);
    if (zip64) {
      central.u32(0xffffffff).u32(0xffffffff).u16(name.length).u16(4 + 24).u16(0).u16(0).u16(0).u32(0).u32(0xffffffff);
      central.bytes(name).u16(0x0001).u16(24).u64(entry.data.length).u64(payload.length).u64(localOffset);
    } else {
      central.u32(payload.length).u32(entry.data.length).u16(name.length).u16(0).u16(0).u16(0).u16(0).u32(0).u32(localOffset);
      central.bytes(name);
    }
  }

  const cdOffset = out.length;
  const cdBytes = central.toBytes();
  out.bytes(cdBytes);
  if (zip64) {
    const zip64EocdOffset = out.length;
    out.u32(0x06064b50).u64(44).u16(45).u16(45).u32(0).u32(0);
    out.u64(entries.length).u64(entries.length).u64(cdBytes.length).u64(cdOffset);
    out.u32(0x07064b50).u32(0).u64(zip64EocdOffset).u32(1);
    out.u32(0x06054b50).u16(0).u16(0).u16(0xffff).u16(0xffff).u32(0xffffffff).u32(0xffffffff).u16(0);
  } else {
    out.u32(0x06054b50).u16(0).u16(0).u16(entries.length).u16(entries.length).u32(cdBytes.length).u32(cdOffset).u16(0);
  }
  return out.toBytes();
}

/** Emits pickle opcodes one by one; memo slots are handed out in order like CPython's pickler. */
export class PickleWriter {
  private readonly sink = new ByteSink();
  private nextMemo = 0;

  constructor(private readonly memoize: 'binput' | 'memoize' = 'binput') {}

  get offset(): number {
    return this.sink.length;
  }

  raw(bytes: readonly number[]): this {
    this.sink.bytes(bytes);
    return this;
  }

  proto(version: number): this {
    return this.raw([0x80, version]);
  }

  global(module: string, name: string): this {
    this.sink.u8(0x63).bytes(Buffer.from(`${module}\n${name}\n`, 'utf8'));
    return this;
  }

  /** STACK_GLOBAL with SHORT_BINUNICODE operands (protocol 4 style). */
  stackGlobal(module: string, name: string): this {
    return this.shortUnicode(module).put().shortUnicode(name).put().raw([0x93]);
  }

  unicode(text: string): this {
    const b = Buffer.from(text, 'utf8');
    this.sink.u8(0x58).u32(b.length).bytes(b);
    return this;
  }

  shortUnicode(text: string): this {
    const b = Buffer.from(text, 'utf8');
    this.sink.u8(0x8c).u8(b.length).bytes(b);
    return this;
  }

  unicode8(text: string): this {
    const b = Buffer.from(text, 'utf8');
    this.sink.u8(0x8d).u64(b.length).bytes(b);
    return this;
  }

  int(value: number): this {
    if (value >= 0 && value < 0x100) this.sink.u8(0x4b).u8(value);
    else if (value >= 0 && value < 0x10000) this.sink.u8(0x4d).u16(value);
    else if (value >= -0x80000000 && value < 0x80000000) this.sink.u8(0x4a).i32(value);
    else return this.long1(BigInt(value));
    return this;
  }

  long1(value: bigint): this {
    const bytes: number[] = [];
    let v = value;
    // Two's complement, shortest form that still carries the sign bit.
    do {
      bytes.push(Number(v & 0xffn));
      v >>= 8n;
    } while (!((v === 0n && (bytes[bytes.length - 1] & 0x80) === 0) || (v === -1n && (bytes[bytes.length - 1] & 0x80) !== 0)));
    return this.raw([0x8a, bytes.length, ...bytes]);
  }

  tuple(count: number, emitItems: () => void): this {
    if (count === 0) return this.raw([0x29]);
    if (count <= 3) {
      emitItems();
      return this.raw([0x84 + count]);
    }
    this.mark();
    emitItems();
    return this.raw([0x74]);
  }

  intTuple(values: readonly number[]): this {
    return this.tuple(values.length, () => values.forEach((v) => this.int(v)));
  }

  mark(): this {
    return this.raw([0x28]);
  }

  /** Memoizes the top of the stack; returns this, read the slot with lastMemo. */
  put(): this {
    const slot = this.nextMemo++;
    if (this.memoize === 'memoize') return this.raw([0x94]);
    if (slot < 256) return this.raw([0x71, slot]);
    this.sink.u8(0x72).u32(slot);
    return this;
  }

  get lastMemo(): number {
    return this.nextMemo - 1;
  }

  get(slot: number): this {
    if (slot < 256) return this.raw([0x68, slot]);
    this.sink.u8(0x6a).u32(slot);
    return this;
  }

  op(name: 'EMPTY_TUPLE' | 'EMPTY_DICT' | 'EMPTY_LIST' | 'TUPLE' | 'REDUCE' | 'BUILD' | 'SETITEM' | 'SETITEMS' | 'APPEND' | 'BINPERSID' | 'NEWFALSE' | 'NEWTRUE' | 'NONE' | 'STOP'): this {
    const codes = {
      EMPTY_TUPLE: 0x29, EMPTY_DICT: 0x7d, EMPTY_LIST: 0x5d, TUPLE: 0x74, REDUCE: 0x52, BUILD: 0x62, SETITEM: 0x73,
      SETITEMS: 0x75, APPEND: 0x61, BINPERSID: 0x51, NEWFALSE: 0x89, NEWTRUE: 0x88, NONE: 0x4e, STOP: 0x2e,
    } as const;
    return this.raw([codes[name]]);
  }

  toBytes(): Uint8Array {
    return this.sink.toBytes();
  }
}

export interface TensorSpec {
  name: string;
  storageKey: string;
  storageClass: string;
  storageNumel: number;
  offset: number;
  shape: readonly number[];
  stride: readonly number[];
  /** Wrap in torch._utils._rebuild_parameter, as torch does for nn.Parameter values. */
  parameter?: boolean;
}

/**
 * A state-dict pickle in the shape torch.save produces: OrderedDict() + SETITEMS of
 * _rebuild_tensor_v2 calls, then a BUILD carrying `_metadata`. Protocol 2 uses GLOBAL/BINPUT
 * (what torch emits); protocol 4 uses FRAME, STACK_GLOBAL, SHORT_BINUNICODE and MEMOIZE.
 */
export function writeStateDictPickle(tensors: readonly TensorSpec[], protocol: 2 | 4 = 2): Uint8Array {
  const w = new PickleWriter(protocol === 4 ? 'memoize' : 'binput');
  const text = (s: string): PickleWriter => (protocol === 4 ? w.shortUnicode(s) : w.unicode(s));
  const global = (module: string, name: string): PickleWriter =>
    protocol === 4 ? w.stackGlobal(module, name) : w.global(module, name);

  global('collections', 'OrderedDict').put();
  const orderedDict = w.lastMemo;
  w.op('EMPTY_TUPLE').op('REDUCE').put().mark();
  const globals = new Map<string, number>();
  const memoGlobal = (module: string, name: string): void => {
    const slot = globals.get(`${module}.${name}`);
    if (slot !== undefined) {
      w.get(slot);
      return;
    }
    global(module, name).put();
    globals.set(`${module}.${name}`, w.lastMemo);
  };

  for (const t of tensors) {
    text(t.name).put();
    if (t.parameter) memoGlobal('torch._utils', '_rebuild_parameter');
    memoGlobal('torch._utils', '_rebuild_tensor_v2');
    w.mark();
    w.mark();
    text('storage');
    memoGlobal('torch', t.storageClass);
    text(t.storageKey);
    text('cpu');
    w.int(t.storageNumel);
    w.op('TUPLE').put().op('BINPERSID');
    w.int(t.offset);
    w.intTuple(t.shape).put();
    w.intTuple(t.stride).put();
    w.op('NEWFALSE');
    w.get(orderedDict).op('EMPTY_TUPLE').op('REDUCE').put();
    w.op('TUPLE').put().op('REDUCE').put();
    if (t.parameter) {
      // _rebuild_parameter(tensor, requires_grad, backward_hooks)
      w.op('NEWTRUE').get(orderedDict).op('EMPTY_TUPLE').op('REDUCE').raw([0x87]).op('REDUCE').put();
    }
  }
  w.op('SETITEMS');
  w.op('EMPTY_DICT').put();
  text('_metadata');
  w.get(orderedDict).op('EMPTY_TUPLE').op('REDUCE').put().mark();
  text('').op('EMPTY_DICT');
  text('version').int(1).op('SETITEM');
  w.op('SETITEMS').op('SETITEM').op('BUILD').op('STOP');
  const body = w.toBytes();
  if (protocol === 2) return Uint8Array.from([0x80, 2, ...body]);
  const frame = Buffer.alloc(9);
  frame[0] = 0x95;
  frame.writeBigUInt64LE(BigInt(body.length), 1);
  return new Uint8Array(Buffer.concat([Buffer.from([0x80, 4]), frame, body]));
}

export interface StorageSpec {
  key: string;
  bytes: Uint8Array;
}

export interface CheckpointOptions extends ZipOptions {
  prefix?: string;
  /** null omits the byteorder record. */
  byteorder?: string | null;
  method?: 0 | 8;
}

export function writeCheckpoint(pickle: Uint8Array, storages: readonly StorageSpec[], options: CheckpointOptions = {}): Uint8Array {
  const prefix = options.prefix ?? 'archive';
  const method = options.method ?? 0;
  const entries: ZipInput[] = [{ name: `${prefix}/data.pkl`, data: pickle, method }];
  const byteorder = options.byteorder === undefined ? 'little' : options.byteorder;
  if (byteorder !== null) entries.push({ name: `${prefix}/byteorder`, data: Buffer.from(byteorder), method });
  for (const s of storages) entries.push({ name: `${prefix}/data/${s.key}`, data: s.bytes, method });
  entries.push({ name: `${prefix}/version`, data: Buffer.from('3\n'), method });
  return writeZip(entries, options);
}

export function float32Bytes(values: readonly number[], littleEndian = true): Uint8Array {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => (littleEndian ? b.writeFloatLE(v, i * 4) : b.writeFloatBE(v, i * 4)));
  return new Uint8Array(b);
}

export function float64Bytes(values: readonly number[], littleEndian = true): Uint8Array {
  const b = Buffer.alloc(values.length * 8);
  values.forEach((v, i) => (littleEndian ? b.writeDoubleLE(v, i * 8) : b.writeDoubleBE(v, i * 8)));
  return new Uint8Array(b);
}

export function uint16Bytes(values: readonly number[]): Uint8Array {
  const b = Buffer.alloc(values.length * 2);
  values.forEach((v, i) => b.writeUInt16LE(v, i * 2));
  return new Uint8Array(b);
}

export function int64Bytes(values: readonly bigint[]): Uint8Array {
  const b = Buffer.alloc(values.length * 8);
  values.forEach((v, i) => b.writeBigInt64LE(v, i * 8));
  return new Uint8Array(b);
}
