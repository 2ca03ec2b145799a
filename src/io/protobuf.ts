/**
 * A minimal protocol-buffers writer: just the wire types ONNX needs (varint, 32-bit float,
 * length-delimited). We only ever emit messages, never parse them, so a few dozen lines replace
 * a protobuf dependency and its generated code.
 *
 * Repeated scalar fields are written unpacked (one tag per element): onnx.proto is proto2, where
 * that is the declared encoding, and every parser accepts it.
 */

const WIRE_VARINT = 0;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

const utf8 = new TextEncoder();

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

  string(field: number, value: string): this {
    return this.bytes(field, utf8.encode(value));
  }

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
