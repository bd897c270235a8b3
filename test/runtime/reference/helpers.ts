/** Shared helpers for the reference interpreter's tests. */
import { readFileSync } from "node:fs";
import { Graph } from "../../../compiler/ir/graph.ts";
import type { Attrs, Body, DType, Node } from "../../../compiler/ir/node.ts";
import type { OpName } from "../../../compiler/ir/ops.ts";
import { evaluate } from "../../../runtime/reference/interpreter.ts";
import { tensor, type Precision, type Tensor } from "../../../runtime/reference/tensor.ts";

export function f64(shape: readonly number[], values: readonly number[]): Tensor {
  return tensor("float", shape, values);
}

export function i32(shape: readonly number[], values: readonly number[]): Tensor {
  return tensor("int", shape, values);
}

export function values(t: Tensor): number[] {
  return Array.from(t.data);
}

/**
 * Evaluates one op on the given operands (each becomes a graph input named a0, a1, ...) and
 * returns its result.
 */
export function runOp(
  op: OpName,
  operands: readonly Tensor[],
  attrs: Attrs = {},
  precision: Precision = "float64",
): Tensor {
  const g = new Graph(op);
  const inputs: Record<string, Tensor> = {};
  const nodes = operands.map((t, i) => {
    inputs[`a${i}`] = t;
    return g.input(`a${i}`, t.dtype, t.shape);
  });
  g.output("y", g.node(op, nodes, attrs));
  return evaluate(g, { inputs }, { precision }).y!;
}

/** The distance in units in the last place between two float64 numbers (0 for equal, NaN = NaN). */
export function ulps(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity;
  if (a === b) return 0;
  const view = new DataView(new ArrayBuffer(8));
  const ordered = (x: number): bigint => {
    view.setFloat64(0, x);
    const bits = view.getBigInt64(0);
    return bits < 0n ? -(bits & 0x7fffffffffffffffn) : bits;
  };
  const d = ordered(a) - ordered(b);
  return Number(d < 0n ? -d : d);
}

export interface FixtureTensor {
  readonly shape: number[];
  readonly values: Float64Array;
}

/** Reads a fixture in the `name shape hex hex ...` format of fixtures/make_*.py. */
export function readFixture(file: string): Map<string, FixtureTensor> {
  const text = readFileSync(new URL(`./fixtures/${file}`, import.meta.url), "utf8");
  const out = new Map<string, FixtureTensor>();
  const view = new DataView(new ArrayBuffer(8));
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const [name, shapeText, ...hex] = line.split(" ");
    const shape = shapeText === "-" ? [] : shapeText!.split("x").map(Number);
    const data = new Float64Array(hex.length);
    hex.forEach((h, i) => {
      view.setBigUint64(0, BigInt(`0x${h}`));
      data[i] = view.getFloat64(0);
    });
    out.set(name!, { shape, values: data });
  }
  return out;
}

export interface ScanSpec {
  /** Sequence inputs of the outer graph ([B, T, ...]). */
  readonly seqs: readonly Node[];
  readonly inits: readonly Node[];
  readonly consts: readonly Node[];
  readonly steps: number;
  readonly reverse?: boolean;
  /**
   * Builds the step graph: gets the body graph and its formals, returns next states and
   * per-step outputs.
   */
  readonly step: (
    g: Graph,
    formals: { slices: Node[]; states: Node[]; consts: Node[]; t: Node },
  ) => { next: Node[]; outputs: Node[] };
}

/** Builds a scan node in `outer` and returns its results (final states, then stacked outputs). */
export function buildScan(outer: Graph, spec: ScanSpec): Node[] {
  const g = new Graph("body");
  const formal = (prefix: string, n: Node, i: number, dropTime: boolean): Node => {
    const shape = dropTime ? [n.shape[0]!, ...n.shape.slice(2)] : n.shape;
    return g.input(`${prefix}${i}`, n.dtype, shape);
  };
  const slices = spec.seqs.map((n, i) => formal("x", n, i, true));
  const states = spec.inits.map((n, i) => formal("s", n, i, false));
  const consts = spec.consts.map((n, i) => formal("c", n, i, false));
  const t = g.input("t", "int", []);
  const { next, outputs } = spec.step(g, { slices, states, consts, t });
  const body: Body = { graph: g, slices, states, consts, step: t, nextStates: next, outputs };
  const scan = outer.node(
    "scan",
    [...spec.seqs, ...spec.inits, ...spec.consts],
    {
      steps: spec.steps,
      reverse: spec.reverse ?? false,
      slices: slices.length,
      states: states.length,
      consts: consts.length,
    },
    body,
  );
  return outer.scanOutputs(scan);
}

/** A deterministic pseudo-random stream for test data (not the sample op's RNG). */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

export function randomTensor(
  shape: readonly number[],
  next: () => number,
  scale = 1,
  dtype: DType = "float",
): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(
    dtype,
    shape,
    Array.from({ length: n }, () => (next() * 2 - 1) * scale),
  );
}
