/**
 * Elementwise fusion inside a step: consecutive stored elementwise nodes of one shape are
 * computed in one loop, each element once, the nodes inlined into them (step-analysis.ts)
 * as locals of the same iteration. A member's value reaches later members as a local; it is
 * stored only when something outside the loop reads it (another loop, an op, a view, the
 * next state or a per-step output).
 *
 * A node joins the open group when it has the group's shape and reads the group's members
 * only directly (an access through a view of a member needs the whole member first).
 */
import type { Node } from "../../ir/node.ts";
import { dense, loop, type Access, type ArrayAccess } from "./access.ts";
import type { Code } from "./code.ts";
import { expression } from "./elementwise.ts";
import { sameShape } from "../../../runtime/reference/tensor.ts";
import type { KernelWriter } from "./scan-kernel.ts";

export class ElementwiseGroup {
  private readonly members: Node[] = [];
  private readonly inside = new Set<Node>();

  constructor(
    private readonly w: KernelWriter,
    readonly shape: readonly number[],
  ) {}

  /** The nodes a node's value is computed from: inlined ones walked through. */
  private leaves(node: Node, out: Node[] = []): Node[] {
    for (const input of node.inputs) {
      if (this.w.analysis.inlined(input)) this.leaves(input, out);
      else out.push(input);
    }
    return out;
  }

  accepts(node: Node): boolean {
    if (!sameShape(node.shape, this.shape)) return false;
    return this.leaves(node).every((leaf) => {
      const owner = this.w.owner(leaf);
      return owner === undefined || !this.inside.has(owner) || owner === leaf;
    });
  }

  add(node: Node): void {
    const walk = (n: Node) => {
      this.inside.add(n);
      for (const input of n.inputs) if (this.w.analysis.inlined(input)) walk(input);
    };
    walk(node);
    this.members.push(node);
  }

  private stored(node: Node): boolean {
    const a = this.w.analysis;
    return a.roots.has(node) || (a.readers.get(node) ?? []).some((r) => !this.inside.has(r));
  }

  emit(): void {
    const w = this.w;
    const leaves = new Map<Node, Access>();
    for (const m of this.members)
      for (const leaf of this.leaves(m))
        if (!this.inside.has(leaf)) leaves.set(leaf, w.access(leaf));
    const outputs = new Map<Node, ArrayAccess>();
    for (const m of this.members)
      if (this.stored(m)) outputs.set(m, dense(w.output(m).array, m.shape));
    const id = this.members[0]!.id;
    const call = w.helper(`g${id}`, (code) => this.loop(code, leaves, outputs));
    w.code.line(`${call};`);
  }

  private loop(code: Code, leaves: Map<Node, Access>, outputs: Map<Node, ArrayAccess>): void {
    const w = this.w;
    loop(code, this.shape, [...leaves.values(), ...outputs.values()], (read) => {
      const done = new Set<Node>();
      const value = (n: Node): string => {
        if (!this.inside.has(n)) return read(leaves.get(n)!);
        if (!done.has(n)) {
          done.add(n);
          const args = n.inputs.map(value);
          code.line(`const e${n.id} = ${expression(n, args, w.constant)};`);
        }
        return `e${n.id}`;
      };
      for (const m of this.members) {
        const v = value(m);
        const out = outputs.get(m);
        if (out) code.line(`${read(out)} = ${v};`);
      }
    });
  }
}
