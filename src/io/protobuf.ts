/**
 * Minimal protocol buffers, read and written: the wire format only (varint, 64-bit, length-
 * delimited, 32-bit), no schemas, so a few dozen lines replace a protobuf dependency and its
 * generated code. Callers know their message's field numbers (ONNX's, from onnx.proto).
 *
 * `ProtoWriter` builds a message in memory. Repeated scalar fields are written unpacked (one tag
 * per element): onnx.proto is proto2, where that is the declared encoding, and every parser
 * accepts it.
 *
 * `ProtoFileReader` walks a message in a file without loading it, so a 1 GB ONNX model can be
 * indexed in little memory: large fields are skipped by their length prefix.
 */
import { readSync } from 'node:fs';

const WIRE_VARINT = 0;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

const utf8 = new TextEncoder();

/** Writes one protobuf message; nested messages through `message`. */
export class ProtoWriter {
  private buffer = new Uint8Array(256);
  private length = 0;

  /** An int32/int64/enum/bool field. */
  varint(field: number, value: number | bigint): this {
    this.tag(field, WIRE_VARINT);
    this.rawVarint(value);
    return this;
  }

  /** A `float` (fixed 32-bit) field. */
  float(field: number, value: number): this {
    this.tag(field, WIRE_FIXED32);
    this.reserve(4);
    new DataView(this.buffer.buffer).setFloat32(this.length, value, true);
    this.length += 4;
    return this;
  }

  /** A `string` field (UTF-8). */
  string(field: number, value: string): this {
    return this.bytes(field, utf8.encode(value));
  }

  /** A `bytes` field (or any length-delimited payload). */
  bytes(field: number, value: Uint8Array): this {
    this.tag(field, WIRE_LENGTH_DELIMITED);
    this.rawVarint(value.length);
    this.reserve(value.length);
    this.buffer.set(value, this.length);
    this.length += value.length;
    return this;
  }

  /**
   * An embedded message. The body is written to its own writer first because its length prefix
   * must precede it; ONNX models are small enough that the extra copy does not matter.
   */
  message(field: number, write: (body: ProtoWriter) => void): this {
    const body = new ProtoWriter();
    write(body);
    return this.bytes(field, body.finish());
  }

  /** The encoded bytes (a view; do not keep writing after calling this). */
  finish(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  private tag(field: number, wireType: number): void {
    if (!Number.isInteger(field) || field < 1 || field > 536870911) throw new RangeError(`invalid protobuf field number ${field}`);
    this.rawVarint(field * 8 + wireType);
  }

  private rawVarint(value: number | bigint): void {
    this.reserve(10);
    if (typeof value === 'number') {
      if (!Number.isSafeInteger(value)) throw new RangeError(`protobuf varint must be a safe integer, got ${value}`);
      if (value >= 0) {
        // Division rather than >>> because values may exceed 32 bits.
        while (value >= 0x80) {
          this.buffer[this.length++] = (value % 0x80) | 0x80;
          value = Math.floor(value / 0x80);
        }
        this.buffer[this.length++] = value;
        return;
      }
      value = BigInt(value);
    }
    // Negative int64 values are encoded as their 64-bit two's complement (always 10 bytes).
    let unsigned = BigInt.asUintN(64, value);
    while (unsigned >= 0x80n) {
      this.buffer[this.length++] = Number(unsigned & 0x7fn) | 0x80;
      unsigned >>= 7n;
    }
    this.buffer[this.length++] = Number(unsigned);
  }

  private reserve(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.buffer.length) return;
    let capacity = this.buffer.length * 2;
    while (capacity < needed) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }
}

/**
 * A forward-only cursor over a protobuf message in a file, read through a 64 KB window. The
 * caller reads a tag with `varint()` (field number = tag >>> 3, wire type = tag & 7), then the
 * value, or `skip`s it; `position` may be set forward to jump over a field. Malformed input
 * throws plain Errors, which the format's reader turns into an InputError naming the file.
 */
export class ProtoFileReader {
  private window = Buffer.alloc(0);
  private windowStart = 0;
  position = 0;

  /** `fd` is an open descriptor of the file, `size` its length in bytes. */
  constructor(
    private readonly fd: number,
    readonly size: number,
  ) {}

  private byte(): number {
    const offset = this.position - this.windowStart;
    if (offset < 0 || offset >= this.window.length) {
      this.windowStart = this.position;
      const length = Math.min(1 << 16, this.size - this.position);
      if (length <= 0) throw new Error('unexpected end of file');
      this.window = Buffer.alloc(length);
      readSync(this.fd, this.window, 0, length, this.position);
      return this.byte();
    }
    this.position++;
    return this.window[offset];
  }

  /** A varint (a tag, an int32/int64/enum/bool value or a length), as a number: exact up to 2^53. */
  varint(): number {
    let result = 0;
    let multiplier = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.byte();
      result += (b & 0x7f) * multiplier;
      if ((b & 0x80) === 0) return result;
      multiplier *= 128;
    }
    throw new Error('malformed varint');
  }

  /** The next `length` bytes (a string's or a small field's payload). */
  bytes(length: number): Buffer {
    const out = Buffer.alloc(length);
    let read = 0;
    while (read < length) {
      const n = readSync(this.fd, out, read, length - read, this.position + read);
      if (n === 0) throw new Error('unexpected end of file');
      read += n;
    }
    this.position += length;
    return out;
  }

  /** Skips a value of the given wire type (0 varint, 1 fixed 64-bit, 2 length-delimited, 5 fixed 32-bit). */
  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.position += 8;
    else if (wireType === 2) {
      const length = this.varint();
      this.position += length;
    } else if (wireType === 5) this.position += 4;
    else throw new Error(`unsupported protobuf wire type ${wireType}`);
  }
}

