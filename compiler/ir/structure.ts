/**
 * Structural identity across graphs. Within one graph hash-consing already makes equal
 * subgraphs the same object; to compare two graphs (say, a cell and a reordered copy of it),
 * `StructureTable` numbers nodes by content — op, attributes, the numbers of their inputs,
 * and for scans the structure of their step graph — so equal structures get equal numbers
 * whatever order they were built in.
 */
import type { Graph } from "./graph.ts";
import type { Node } from "./node.ts";

export class StructureTable {
  private readonly numbers = new Map<string, number>();
  private readonly memo = new Map<Node, number>();

  /** The structural number of a node; equal numbers mean equal computations. */
  numberOf(node: Node): number {
    const cached = this.memo.get(node);
    if (cached !== undefined) return cached;
    // Iterative post-order so long unrolled chains do not overflow the stack.
    const stack: Node[] = [node];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (this.memo.has(top)) {
        stack.pop();
        continue;
      }
      const pending = top.inputs.filter((n) => !this.memo.has(n));
      if (pending.length > 0) {
        stack.push(...pending);
        continue;
      }
      stack.pop();
      this.memo.set(top, this.intern(top));
    }
    return this.memo.get(node)!;
  }

  private intern(node: Node): number {
    const attrs = JSON.stringify(
      Object.keys(node.attrs)
        .sort()
        .map((k) => [k, node.attrs[k]]),
    );
    const body = node.body ? this.bodyKey(node) : "";
    const key = `${node.op}|${node.dtype}[${node.shape}]|${attrs}|${node.inputs.map((n) => this.memo.get(n)).join(",")}|${body}`;
    let n = this.numbers.get(key);
    if (n === undefined) {
      n = this.numbers.size;
      this.numbers.set(key, n);
    }
    return n;
  }

  private bodyKey(scan: Node): string {
    const body = scan.body!;
    const results = [...body.nextStates, ...body.outputs].map((n) => this.numberOf(n));
    const formals = [...body.slices, ...body.states, ...body.consts, body.step].map((n) =>
      this.numberOf(n),
    );
    return `body(${formals.join(",")}->${results.join(",")})`;
  }

  /** Output name → structural number, for comparing graphs output by output. */
  outputs(graph: Graph): Record<string, number> {
    return Object.fromEntries(
      [...graph.outputs].map(([name, node]) => [name, this.numberOf(node)]),
    );
  }
}
