/**
 * What the scan kernel generator needs to know about a step graph before it writes code:
 *
 * - which nodes are live (the next states and per-step outputs depend on them);
 * - each node's kind: a formal (slice, state, const or step), a literal (`const`), a view
 *   (reshape, slice, transpose, a same-type cast: an access of its operand's array), an
 *   elementwise op, or another op (matmul, reductions, movement, sampling: its own loops);
 * - which elementwise nodes are inlined into their one reader (a local of the reader's loop,
 *   never stored) — those read once by an elementwise node of the same shape;
 * - which nodes do not change from step to step and run once per run, before the steps (the
 *   "prologue"): ops on the constants only, and the values they read.
 */
import type { Body, Node } from "../../ir/node.ts";
import { sameShape } from "../../../runtime/reference/tensor.ts";
import { PlanGraphError } from "../wgsl/planner.ts";
import { isElementwise } from "./elementwise.ts";

export type Kind = "formal" | "literal" | "view" | "elementwise" | "op";

const VIEWS = new Set(["reshape", "slice", "transpose"]);

export class StepAnalysis {
  readonly live = new Set<Node>();
  readonly readers = new Map<Node, Node[]>();
  /** Next states and per-step outputs: their values are read after the step. */
  readonly roots: ReadonlySet<Node>;
  readonly prologue = new Set<Node>();
  private readonly formals: ReadonlySet<Node>;
  private readonly invariant = new Set<Node>();

  constructor(readonly body: Body) {
    this.formals = new Set([...body.slices, ...body.states, ...body.consts, body.step]);
    this.roots = new Set([...body.nextStates, ...body.outputs]);
    const nodes = body.graph.nodes;
    for (const r of this.roots) this.live.add(r);
    for (let i = nodes.length - 1; i >= 0; i--) {
      const node = nodes[i]!;
      if (!this.live.has(node) || this.formals.has(node)) continue;
      if (node.op === "scan" || node.op === "scan_output")
        throw new PlanGraphError(`%${node.id} ${node.op}: a scan inside a step graph`);
      if (node.op === "input" || node.op === "param")
        throw new PlanGraphError(`%${node.id} ${node.op}: not a formal of the step graph`);
      for (const input of node.inputs) {
        this.live.add(input);
        const list = this.readers.get(input) ?? [];
        list.push(node);
        this.readers.set(input, list);
      }
    }
    const consts = new Set(body.consts);
    for (const node of nodes) {
      if (!this.live.has(node)) continue;
      const kind = this.kind(node);
      if (
        consts.has(node) ||
        kind === "literal" ||
        (kind !== "formal" && node.inputs.every((i) => this.invariant.has(i)))
      )
        this.invariant.add(node);
    }
    for (let i = nodes.length - 1; i >= 0; i--) {
      const node = nodes[i]!;
      if (!this.invariant.has(node) || this.kind(node) === "formal") continue;
      if (this.kind(node) === "op" || this.prologue.has(node)) {
        this.prologue.add(node);
        for (const input of node.inputs)
          if (this.kind(input) !== "formal") this.prologue.add(input);
      }
    }
  }

  kind(node: Node): Kind {
    if (this.formals.has(node)) return "formal";
    if (node.op === "const") return "literal";
    if (VIEWS.has(node.op) || (node.op === "cast" && node.inputs[0]!.dtype === node.dtype))
      return "view";
    return isElementwise(node) ? "elementwise" : "op";
  }

  isInvariant(node: Node): boolean {
    return this.invariant.has(node);
  }

  /** An elementwise node computed inside its one reader's loop, never stored. */
  inlined(node: Node): boolean {
    if (this.kind(node) !== "elementwise" || this.roots.has(node)) return false;
    const readers = this.readers.get(node) ?? [];
    if (readers.length !== 1) return false;
    const reader = readers[0]!;
    return (
      this.kind(reader) === "elementwise" &&
      this.prologue.has(reader) === this.prologue.has(node) &&
      reader.inputs.filter((i) => i === node).length === 1 &&
      sameShape(reader.shape, node.shape)
    );
  }
}
