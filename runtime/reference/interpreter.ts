/**
 * The reference interpreter: evaluates an IR graph on the CPU, one kernel per node, in node
 * id order (ids are a topological order). It is the oracle that every pass, the CPU backend
 * and the WebGPU backend are compared with, so it favours plainness over speed:
 *
 * - only nodes that the requested results depend on are evaluated (a dead `gather` cannot
 *   throw, and an input that nothing reads need not be given);
 * - a value is dropped after its last reader, so an unrolled graph of 100k nodes needs memory
 *   for its live values only; evaluation is a loop, never a recursion over the graph;
 * - every kernel's result is checked against the type its node declares.
 */
import type { Body, Node } from "../ir/node.ts";
import { KERNELS, type KernelContext, type Value } from "./kernels.ts";
import {
  InterpreterError,
  sameShape,
  sizeOf,
  typeText,
  type Precision,
  type Tensor,
} from "./tensor.ts";

/** The part of a Graph the interpreter reads (compiler/ir/graph.ts's Graph has it). */
export interface EvaluableGraph {
  readonly nodes: readonly Node[];
  readonly outputs: ReadonlyMap<string, Node>;
}

export interface Feeds {
  readonly inputs?: Readonly<Record<string, Tensor>>;
  readonly params?: Readonly<Record<string, Tensor>>;
}

export interface EvaluateOptions {
  /** "float64" (default) or "float32": the float type of every float tensor. */
  readonly precision?: Precision;
}

/** Evaluates `graph`'s outputs for the given inputs and parameters. */
export function evaluate(
  graph: EvaluableGraph,
  feeds: Feeds,
  options: EvaluateOptions = {},
): Record<string, Tensor> {
  const ctx = new Context(feeds, options.precision ?? "float64");
  const names = [...graph.outputs.keys()];
  const wanted = names.map((name) => graph.outputs.get(name)!);
  const values = run(graph.nodes, wanted, new Map(), ctx, planOf(graph.nodes, wanted));
  const result: Record<string, Tensor> = {};
  names.forEach((name, i) => {
    const v = values[i]!;
    if (Array.isArray(v))
      throw new InterpreterError(`output '${name}' is a scan tuple; read it with scan_output`);
    result[name] = v as Tensor;
  });
  return result;
}

interface Plan {
  /** live[id]: the node is needed for the wanted results. */
  readonly live: Uint8Array;
  /** lastUse[id]: the id of the last node that reads it (Infinity for wanted nodes). */
  readonly lastUse: Float64Array;
}

function planOf(nodes: readonly Node[], wanted: readonly Node[]): Plan {
  nodes.forEach((node, i) => {
    if (node.id !== i)
      throw new InterpreterError(`node %${node.id} is at position ${i}; ids must be positions`);
  });
  const live = new Uint8Array(nodes.length);
  for (const w of wanted) {
    if (nodes[w.id] !== w) throw new InterpreterError(`result %${w.id} is not a node of the graph`);
    live[w.id] = 1;
  }
  for (let i = nodes.length - 1; i >= 0; i--) {
    if (!live[i]) continue;
    for (const input of nodes[i]!.inputs) {
      if (input.id >= i || nodes[input.id] !== input) {
        throw new InterpreterError(
          `node %${i} reads %${input.id}, which is not an earlier node of its graph`,
        );
      }
      live[input.id] = 1;
    }
  }
  const lastUse = new Float64Array(nodes.length);
  for (const node of nodes) {
    if (!live[node.id]) continue;
    for (const input of node.inputs) lastUse[input.id] = node.id;
  }
  for (const w of wanted) lastUse[w.id] = Infinity;
  return { live, lastUse };
}

/** Evaluates `nodes` in order with `bound` nodes given; returns the values of `wanted`. */
function run(
  nodes: readonly Node[],
  wanted: readonly Node[],
  bound: ReadonlyMap<Node, Tensor>,
  ctx: Context,
  plan: Plan,
): Value[] {
  const values: (Value | undefined)[] = new Array<Value | undefined>(nodes.length);
  for (const node of nodes) {
    if (!plan.live[node.id]) continue;
    const given = bound.get(node);
    if (given) {
      values[node.id] = given;
    } else {
      const args = node.inputs.map((input) => {
        const v = values[input.id];
        if (v === undefined)
          throw new InterpreterError(
            `internal: %${input.id} has no value when %${node.id} reads it`,
          );
        return v;
      });
      let value: Value;
      try {
        value = KERNELS[node.op](node, args, ctx);
      } catch (e) {
        if (e instanceof InterpreterError && e.nodeId === undefined) e.nodeId = node.id;
        throw e;
      }
      checkResult(node, value, ctx.precision);
      values[node.id] = value;
    }
    for (const input of node.inputs) {
      if (plan.lastUse[input.id] === node.id) values[input.id] = undefined;
    }
  }
  return wanted.map((w) => values[w.id]!);
}

function checkResult(node: Node, value: Value, precision: Precision): void {
  if (node.op === "scan") {
    if (!Array.isArray(value))
      throw new InterpreterError(`internal: scan %${node.id} did not give a tuple`);
    return;
  }
  if (Array.isArray(value))
    throw new InterpreterError(`internal: %${node.id} ${node.op} gave a tuple`);
  const t = value as Tensor;
  const arrayOk =
    t.dtype === "int"
      ? t.data instanceof Int32Array
      : t.data instanceof (precision === "float32" ? Float32Array : Float64Array);
  if (
    t.dtype !== node.dtype ||
    !sameShape(t.shape, node.shape) ||
    !arrayOk ||
    t.data.length !== sizeOf(t.shape)
  ) {
    throw new InterpreterError(
      `internal: %${node.id} ${node.op} gave ${typeText(t.dtype, t.shape)} (${t.data.constructor.name} of ${t.data.length}), ` +
        `its node says ${typeText(node.dtype, node.shape)}`,
    );
  }
}

/** Checks a caller's tensor against its node and converts it to the precision's array type. */
function admit(node: Node, given: Tensor | undefined, precision: Precision): Tensor {
  const kind = node.op;
  const name = String(node.attrs.name);
  const expected = typeText(node.dtype, node.shape);
  if (given === undefined)
    throw new InterpreterError(`missing ${kind} '${name}' (expected ${expected})`);
  const got = typeText(given.dtype, given.shape);
  if (given.dtype !== node.dtype || !sameShape(given.shape, node.shape)) {
    throw new InterpreterError(`${kind} '${name}': expected ${expected}, got ${got}`);
  }
  const data = given.data;
  if (data.length !== sizeOf(given.shape)) {
    throw new InterpreterError(
      `${kind} '${name}': ${got} needs ${sizeOf(given.shape)} values, its data has ${data.length}`,
    );
  }
  if (given.dtype === "int") {
    if (!(data instanceof Int32Array))
      throw new InterpreterError(`${kind} '${name}': int data must be an Int32Array`);
    return given;
  }
  if (!(data instanceof Float64Array || data instanceof Float32Array)) {
    throw new InterpreterError(
      `${kind} '${name}': float data must be a Float64Array or Float32Array`,
    );
  }
  if (precision === "float32")
    return data instanceof Float32Array ? given : { ...given, data: Float32Array.from(data) };
  return data instanceof Float64Array ? given : { ...given, data: Float64Array.from(data) };
}

class Context implements KernelContext {
  private readonly admitted = new Map<Node, Tensor>();
  private readonly plans = new WeakMap<Body, Plan>();

  constructor(
    private readonly feeds: Feeds,
    readonly precision: Precision,
  ) {}

  source(node: Node): Tensor {
    let t = this.admitted.get(node);
    if (!t) {
      const name = String(node.attrs.name);
      const map = node.op === "input" ? this.feeds.inputs : this.feeds.params;
      t = admit(node, map && Object.hasOwn(map, name) ? map[name] : undefined, this.precision);
      this.admitted.set(node, t);
    }
    return t;
  }

  runBody(body: Body, bindings: ReadonlyMap<Node, Tensor>): Tensor[] {
    const formals = [...body.slices, ...body.states, ...body.consts, body.step];
    for (const formal of formals) {
      const t = bindings.get(formal);
      if (!t) throw new InterpreterError(`scan: body input %${formal.id} is not bound`);
      if (t.dtype !== formal.dtype || !sameShape(t.shape, formal.shape)) {
        throw new InterpreterError(
          `scan: body input '${String(formal.attrs.name)}' expects ${typeText(formal.dtype, formal.shape)}, got ${typeText(t.dtype, t.shape)}`,
        );
      }
    }
    const wanted = [...body.nextStates, ...body.outputs];
    let plan = this.plans.get(body);
    if (!plan) {
      plan = planOf(body.graph.nodes, wanted);
      this.plans.set(body, plan);
    }
    return run(body.graph.nodes, wanted, bindings, this, plan) as Tensor[];
  }
}
