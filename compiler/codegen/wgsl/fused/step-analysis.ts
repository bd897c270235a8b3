/**
 * Whether a scan's step graph can run as a persistent workgroup program, and how.
 *
 * A step graph qualifies when its rows are independent: every value that depends on the
 * batch ("batched": the slices, the states, per-row constants such as lengths) keeps the
 * batch on axis 0, and no op mixes rows (no reduction, slice, concat or gather across axis
 * 0; matmuls multiply a row by shared weights). Then one workgroup can carry a tile of rows
 * through every step, keeping its states and the step's intermediate vectors in workgroup
 * memory.
 *
 * The analysis chooses which batched values are stored in workgroup memory (matmuls and
 * reductions, whose elements every thread reads; values read often enough that recomputing
 * them would cost more than a barrier) and gives each a phase: phase p computes its stored
 * values from values of earlier phases, with a barrier between phases. The step's results
 * (next states, per-step outputs) are written in the phase after the values they read.
 */
import type { Body, Node } from "../../../ir/node.ts";
import { sizeOf } from "../../../ir/node.ts";
import { liveFrom } from "../../../ir/reach.ts";

/**
 * A batched value read n times whose inline cost (ops) is c is stored when n·c exceeds this:
 * recomputing it would cost more than a phase and a barrier. Large step graphs (a backward
 * step recomputes the forward one) store more eagerly, which keeps their kernels small enough
 * to build quickly (lavapipe: seconds per large kernel); small forward steps recompute more
 * and run with fewer barriers (the 2-layer LSTM is about 20% faster on lavapipe).
 */
function storeCost(liveNodes: number): number {
  return liveNodes > 55 ? 24 : 96;
}

/** Ops whose element is a loop over an operand axis: stored when batched. */
const LOOP_OPS = new Set(["matmul", "sum", "mean", "max", "argmax", "topk", "sample"]);

export interface StoredValue {
  readonly node: Node;
  readonly phase: number;
  /** Elements per row. */
  readonly width: number;
  /** The last phase that reads it. */
  lastRead: number;
}

export interface StepAnalysis {
  readonly body: Body;
  readonly batch: number;
  readonly batched: ReadonlySet<Node>;
  /** Stored values in phase order. */
  readonly stored: readonly StoredValue[];
  readonly storedOf: ReadonlyMap<Node, StoredValue>;
  /** Phase of each next state and each per-step output (same order as the body's lists). */
  readonly statePhases: readonly number[];
  readonly outputPhases: readonly number[];
  readonly phases: number;
}

/** The analysis, or the reason the step graph does not qualify. */
export function analyseStep(scan: Node, batchedOuter: (n: Node) => boolean): StepAnalysis | string {
  const body = scan.body!;
  const nSlices = scan.attrs.slices as number;
  const nStates = scan.attrs.states as number;
  const first = body.states[0] ?? body.slices[0];
  if (!first || first.shape.length === 0) return "no batched state or slice";
  const batch = first.shape[0]!;
  const batched = new Set<Node>([...body.slices, ...body.states]);
  // A constant is per row when inputs determine it and it leads with the batch axis; any
  // other (parameters, a scalar such as the sampling step) is the same for every row.
  body.consts.forEach((formal, k) => {
    const outer = scan.inputs[nSlices + nStates + k]!;
    if (batchedOuter(outer) && outer.shape.length > 0 && outer.shape[0] === batch)
      batched.add(formal);
  });
  for (const n of [...batched]) {
    if (n.shape[0] !== batch)
      return `%${n.id} ${String(n.attrs.name)} [${n.shape.join(", ")}] has no batch axis of ${batch}`;
  }

  // Only what the next states and outputs read (a step graph may keep dead nodes).
  const live = liveFrom(body.graph.nodes, [...body.nextStates, ...body.outputs]);
  const nodes = body.graph.nodes.filter((n) => live.has(n));
  const threshold = storeCost(nodes.length);
  for (const node of nodes) {
    if (node.op === "input" || !node.inputs.some((x) => batched.has(x))) continue;
    const reason = rowsMixed(node, batched, batch);
    if (reason) return `%${node.id} ${node.op}: ${reason}`;
    batched.add(node);
  }

  const uses = new Map<Node, number>();
  const bump = (n: Node) => uses.set(n, (uses.get(n) ?? 0) + 1);
  for (const node of nodes) node.inputs.forEach(bump);
  [...body.nextStates, ...body.outputs].forEach(bump);

  // Cost of computing a value inline (its own op plus its inline inputs), to decide storage.
  const cost = new Map<Node, number>();
  const ready = new Map<Node, number>();
  const stored: StoredValue[] = [];
  const storedOf = new Map<Node, StoredValue>();
  const readyOf = (n: Node) => ready.get(n) ?? 0;
  for (const node of nodes) {
    if (node.op === "input" || node.op === "const" || node.op === "iota") {
      cost.set(node, 0);
      continue;
    }
    const inputsReady = Math.max(0, ...node.inputs.map(readyOf));
    const own = 1 + node.inputs.reduce((s, x) => s + (storedOf.has(x) ? 0 : cost.get(x)!), 0);
    const n = uses.get(node) ?? 0;
    const store = batched.has(node) && (LOOP_OPS.has(node.op) || (n >= 2 && own * n > threshold));
    if (store) {
      const value: StoredValue = {
        node,
        phase: inputsReady + 1,
        width: sizeOf(node.shape) / batch,
        lastRead: inputsReady + 1,
      };
      stored.push(value);
      storedOf.set(node, value);
      ready.set(node, value.phase);
      cost.set(node, 0);
    } else {
      ready.set(node, inputsReady);
      cost.set(node, Math.min(own, 1e6));
    }
  }
  const sinkPhase = (n: Node) => readyOf(n) + 1;
  const statePhases = body.nextStates.map(sinkPhase);
  const outputPhases = body.outputs.map(sinkPhase);
  const phases = Math.max(1, ...statePhases, ...outputPhases, ...stored.map((s) => s.phase));

  // Liveness: a stored value is read up to the latest phase of anything reading it inline.
  const readers = (n: Node, phase: number, seen: Set<Node>) => {
    for (const x of n.inputs) {
      const s = storedOf.get(x);
      if (s) s.lastRead = Math.max(s.lastRead, phase);
      else if (!seen.has(x)) {
        seen.add(x);
        readers(x, phase, seen);
      }
    }
  };
  for (const s of stored) readers(s.node, s.phase, new Set());
  const sinks = [...body.nextStates, ...body.outputs];
  const sinkPhases = [...statePhases, ...outputPhases];
  sinks.forEach((n, k) => {
    const s = storedOf.get(n);
    if (s) s.lastRead = Math.max(s.lastRead, sinkPhases[k]!);
    else readers(n, sinkPhases[k]!, new Set());
  });
  return { body, batch, batched, stored, storedOf, statePhases, outputPhases, phases };
}

/** Why `node` (with a batched input) would mix rows, or undefined when it does not. */
function rowsMixed(node: Node, batched: ReadonlySet<Node>, batch: number): string | undefined {
  const rank = node.shape.length;
  if (rank === 0 || node.shape[0] !== batch) return "the batch axis is lost";
  const [a, b] = node.inputs;
  const axis = node.attrs.axis as number | undefined;
  switch (node.op) {
    case "matmul":
      if (!batched.has(a!) || a!.shape.length !== rank) return "the batch is not the left rows";
      if (batched.has(b!) && (rank < 3 || b!.shape.length !== rank)) return "rows meet rows";
      return undefined;
    case "sum":
    case "mean":
    case "max":
    case "argmax":
    case "concat":
    case "slice":
      return axis === 0 ? "works across the batch axis" : undefined;
    case "transpose":
      return rank < 3 ? "moves the batch axis" : undefined;
    case "reshape":
      return a!.shape[0] !== batch ? "moves the batch axis" : undefined;
    case "gather":
      return batched.has(a!) ? "gathers across rows" : undefined;
    case "take_along":
    case "topk":
    case "sample":
      return rank < 1 ? "no rows" : undefined;
    case "scan":
    case "scan_output":
      return "nested recurrence";
    default:
      // Elementwise: a batched operand must carry the batch on axis 0 of the result.
      for (const x of node.inputs) {
        if (batched.has(x) && (x.shape.length !== rank || x.shape[0] !== batch))
          return "broadcasts the batch axis";
      }
      return undefined;
  }
}
