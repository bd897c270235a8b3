/**
 * A minimal ONNX writer: the few protobuf messages an ONNX model needs (ModelProto, GraphProto,
 * NodeProto, AttributeProto, TensorProto, ValueInfoProto), encoded by hand so the benchmark
 * builds its ONNX models from the same weights as every other system without PyTorch or a
 * protobuf library. Field numbers are onnx.proto3's.
 */

/** Bytes of one protobuf message, built field by field. */
class Writer {
  private readonly parts: Uint8Array[] = [];
  private length = 0;

  private push(bytes: Uint8Array): void {
    this.parts.push(bytes);
    this.length += bytes.length;
  }

  private varint(value: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(value));
    const out: number[] = [];
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v !== 0n) byte |= 0x80;
      out.push(byte);
    } while (v !== 0n);
    this.push(Uint8Array.from(out));
  }

  private key(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  int(field: number, value: number | bigint): this {
    this.key(field, 0);
    this.varint(value);
    return this;
  }

  float(field: number, value: number): this {
    this.key(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.push(b);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.key(field, 2);
    this.varint(value.length);
    this.push(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, value: Writer): this {
    return this.bytes(field, value.finish());
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

/** ONNX TensorProto.DataType values used here. */
export const DT = { float: 1, int32: 6, int64: 7, bool: 9 } as const;
export type DataType = (typeof DT)[keyof typeof DT];

export type AttributeValue = number | string | readonly number[] | { float: number };

export interface OnnxNode {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs?: Readonly<Record<string, AttributeValue>>;
}

export interface Initializer {
  readonly name: string;
  readonly dims: readonly number[];
  readonly data: Float32Array | Int32Array | BigInt64Array;
}

export interface ValueInfo {
  readonly name: string;
  readonly type: DataType;
  /** A number, or a symbolic dimension's name. */
  readonly dims: readonly (number | string)[];
}

export interface OnnxGraph {
  readonly name: string;
  readonly nodes: readonly OnnxNode[];
  readonly initializers: readonly Initializer[];
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  readonly opset: number;
}

// AttributeProto.AttributeType
const ATTR = { float: 1, int: 2, string: 3, ints: 7 } as const;

function attribute(name: string, value: AttributeValue): Writer {
  const w = new Writer().string(1, name);
  if (typeof value === "number") {
    if (!Number.isInteger(value)) throw new Error(`attribute ${name}: use { float } for ${value}`);
    return w.int(3, value).int(20, ATTR.int);
  }
  if (typeof value === "string")
    return w.bytes(4, new TextEncoder().encode(value)).int(20, ATTR.string);
  if ("float" in value) return w.float(2, value.float).int(20, ATTR.float);
  for (const v of value) w.int(8, v);
  return w.int(20, ATTR.ints);
}

function tensor(t: Initializer): Writer {
  const w = new Writer();
  for (const d of t.dims) w.int(1, d);
  const type =
    t.data instanceof Float32Array ? DT.float : t.data instanceof Int32Array ? DT.int32 : DT.int64;
  w.int(2, type).string(8, t.name);
  // raw_data is little-endian, as typed arrays are on every platform Node runs on.
  return w.bytes(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
}

function valueInfo(v: ValueInfo): Writer {
  const shape = new Writer();
  for (const d of v.dims)
    shape.message(1, typeof d === "number" ? new Writer().int(1, d) : new Writer().string(2, d));
  const tensorType = new Writer().int(1, v.type).message(2, shape);
  return new Writer().string(1, v.name).message(2, new Writer().message(1, tensorType));
}

/** The serialised ModelProto of `graph`. */
export function encodeModel(graph: OnnxGraph): Uint8Array {
  const g = new Writer();
  graph.nodes.forEach((n, i) => {
    const node = new Writer();
    for (const x of n.inputs) node.string(1, x);
    for (const y of n.outputs) node.string(2, y);
    node.string(3, `${n.op}_${i}`).string(4, n.op);
    for (const [name, value] of Object.entries(n.attrs ?? {}))
      node.message(5, attribute(name, value));
    g.message(1, node);
  });
  g.string(2, graph.name);
  for (const t of graph.initializers) g.message(5, tensor(t));
  for (const v of graph.inputs) g.message(11, valueInfo(v));
  for (const v of graph.outputs) g.message(12, valueInfo(v));
  return new Writer()
    .int(1, 8) // ir_version 8 (opset 17/18 era)
    .string(2, "rnnc-bench")
    .message(7, g)
    .message(8, new Writer().string(1, "").int(2, graph.opset))
    .finish();
}

/** Builds a graph node by node, naming intermediate values. */
export class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: Initializer[] = [];
  private count = 0;

  /** Adds a node; returns its outputs' names. */
  node(
    op: string,
    inputs: readonly string[],
    attrs: Readonly<Record<string, AttributeValue>> = {},
    outputs = 1,
  ): string[] {
    const names = Array.from(
      { length: outputs },
      (_, k) => `${op.toLowerCase()}${this.count}_${k}`,
    );
    this.count++;
    this.nodes.push({ op, inputs, outputs: names, attrs });
    return names;
  }

  /** One-output node. */
  op(op: string, inputs: readonly string[], attrs: Readonly<Record<string, AttributeValue>> = {}) {
    return this.node(op, inputs, attrs)[0]!;
  }

  /** A constant (initializer); returns its name. */
  constant(name: string, dims: readonly number[], data: Initializer["data"]): string {
    this.initializers.push({ name, dims, data });
    return name;
  }

  ints(name: string, values: readonly number[]): string {
    return this.constant(name, [values.length], BigInt64Array.from(values.map(BigInt)));
  }

  /** Renames the value `from` to the graph output name `to`. */
  output(from: string, to: string): void {
    this.nodes.push({ op: "Identity", inputs: [from], outputs: [to] });
  }
}
