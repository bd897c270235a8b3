/**
 * A graph of IR nodes with hash-consing: `graph.node(op, inputs, attrs)` returns the existing
 * node when an equal one exists. A graph has named inputs and params (its sources) and named
 * outputs. Step graphs of recurrences (`scan` bodies) are graphs too.
 */
import { inferType, IRError, type OpName } from "./ops.ts";
import type { Attrs, AttrValue, Body, DType, Node } from "./node.ts";

let graphCounter = 0;

function attrKey(attrs: Attrs): string {
  return JSON.stringify(
    Object.keys(attrs)
      .sort()
      .map((k) => [k, attrs[k]]),
  );
}

export class Graph {
  readonly id = ++graphCounter;
  readonly nodes: Node[] = [];
  readonly inputs = new Map<string, Node>();
  readonly params = new Map<string, Node>();
  readonly outputs = new Map<string, Node>();
  private readonly interned = new Map<string, Node>();

  constructor(readonly label = "graph") {}

  /** The node for `op(inputs) {attrs}`: an existing equal node, or a new one. */
  node(op: OpName, inputs: readonly Node[], attrs: Attrs = {}, body?: Body): Node {
    for (const input of inputs) {
      if (this.nodes[input.id] !== input)
        throw new IRError(`${op}: input %${input.id} belongs to another graph`);
    }
    const key = `${op}|${inputs.map((n) => n.id).join(",")}|${attrKey(attrs)}|${body ? body.graph.id : ""}`;
    const existing = this.interned.get(key);
    if (existing) return existing;
    const { dtype, shape } = inferType(op, inputs, attrs, body);
    const node: Node = Object.freeze({
      id: this.nodes.length,
      op,
      dtype,
      shape: Object.freeze([...shape]),
      inputs: Object.freeze([...inputs]),
      attrs: Object.freeze({ ...attrs }),
      ...(body ? { body } : {}),
    });
    this.nodes.push(node);
    this.interned.set(key, node);
    return node;
  }

  input(name: string, dtype: DType, shape: readonly number[]): Node {
    const existing = this.inputs.get(name);
    if (existing) return existing;
    const node = this.node("input", [], { name, dtype, shape });
    this.inputs.set(name, node);
    return node;
  }

  param(name: string, shape: readonly number[]): Node {
    const existing = this.params.get(name);
    if (existing) return existing;
    const node = this.node("param", [], { name, dtype: "float", shape });
    this.params.set(name, node);
    return node;
  }

  constant(value: number, dtype: DType = "float", shape: readonly number[] = []): Node {
    return this.node("const", [], { value, dtype, shape });
  }

  output(name: string, node: Node): void {
    if (this.outputs.has(name)) throw new IRError(`output '${name}' is defined twice`);
    this.outputs.set(name, node);
  }

  /** The results of a scan: final states, then stacked per-step outputs. */
  scanOutputs(scan: Node): Node[] {
    const body = scan.body;
    if (scan.op !== "scan" || !body) throw new IRError("scanOutputs needs a scan node");
    const steps = scan.attrs.steps as number;
    const results = [
      ...body.nextStates.map((s) => ({ dtype: s.dtype, shape: s.shape })),
      ...body.outputs.map((o) => ({
        dtype: o.dtype,
        shape: [o.shape[0]!, steps, ...o.shape.slice(1)],
      })),
    ];
    return results.map((r, index) =>
      this.node("scan_output", [scan], { index, dtype: r.dtype, shape: r.shape }),
    );
  }
}

export function attr<T extends AttrValue>(node: Node, key: string): T {
  return node.attrs[key] as T;
}
