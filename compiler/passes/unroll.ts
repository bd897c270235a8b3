/**
 * Pass `unroll`: expands every `scan` into a static graph.
 *
 * Matches: scan nodes (and their scan_output readers). Produces: for each step t (last first
 * for reverse scans) a copy of the step graph with its formals bound to the sequence slices
 * at t, the current states, the constants and the constant t; final states are the last
 * step's next states and per-step outputs are stacked along axis 1 in time order.
 * Before: a verified graph. After: a verified graph with no scans; hash-consing shares every
 * step-invariant node (a parameter's use, a hoisted projection) across steps.
 */
import { Graph } from "../ir/graph.ts";
import type { Body, Node } from "../ir/node.ts";

class Unroller {
  /** Each copied scan's results: final states, then stacked outputs. */
  private readonly scanResults = new Map<Node, readonly Node[]>();

  constructor(private readonly target: Graph) {}

  /** Copies a graph's nodes into the target, with some nodes already bound. */
  copyAll(nodes: readonly Node[], bind: Map<Node, Node>): Map<Node, Node> {
    for (const node of nodes) {
      if (bind.has(node)) continue;
      if (node.op === "scan") {
        // A scan has no value of its own after unrolling; its scan_output readers take its results.
        this.scanResults.set(
          node,
          this.unrollScan(
            node,
            node.inputs.map((n) => bind.get(n)!),
          ),
        );
        continue;
      }
      bind.set(node, this.copy(node, bind));
    }
    return bind;
  }

  private copy(node: Node, map: Map<Node, Node>): Node {
    const t = this.target;
    const inputs = node.inputs.map((n) => map.get(n)!);
    switch (node.op) {
      case "input":
        return t.input(node.attrs.name as string, node.dtype, node.shape);
      case "param":
        return t.param(node.attrs.name as string, node.shape);
      case "scan_output":
        return this.scanResults.get(node.inputs[0]!)![node.attrs.index as number]!;
      default:
        return t.node(node.op, inputs, node.attrs);
    }
  }

  private unrollScan(scan: Node, inputs: readonly Node[]): Node[] {
    const t = this.target;
    const body: Body = scan.body!;
    const count = (key: string) => scan.attrs[key] as number;
    const [nSlices, nStates, steps] = [count("slices"), count("states"), count("steps")];
    const sequences = inputs.slice(0, nSlices);
    let states = inputs.slice(nSlices, nSlices + nStates);
    const consts = inputs.slice(nSlices + nStates);
    const perStep: Node[][] = body.outputs.map(() => new Array<Node>(steps));
    const order = Array.from({ length: steps }, (_, i) => (scan.attrs.reverse ? steps - 1 - i : i));
    for (const step of order) {
      const bind = new Map<Node, Node>();
      body.slices.forEach((formal, i) => {
        const slice = t.node("slice", [sequences[i]!], { axis: 1, start: step, end: step + 1 });
        bind.set(formal, t.node("reshape", [slice], { shape: formal.shape }));
      });
      body.states.forEach((formal, i) => bind.set(formal, states[i]!));
      body.consts.forEach((formal, i) => bind.set(formal, consts[i]!));
      bind.set(body.step, t.constant(step, "int", []));
      const map = this.copyAll((body.graph as Graph).nodes, bind);
      states = body.nextStates.map((n) => map.get(n)!);
      body.outputs.forEach((o, i) => {
        const y = map.get(o)!;
        perStep[i]![step] = t.node("reshape", [y], {
          shape: [y.shape[0]!, 1, ...y.shape.slice(1)],
        });
      });
    }
    const stacked = perStep.map((ys) =>
      ys.length === 1 ? ys[0]! : t.node("concat", ys, { axis: 1 }),
    );
    return [...states, ...stacked];
  }
}

export function unroll(graph: Graph): Graph {
  const target = new Graph(`${graph.label} (unrolled)`);
  const map = new Unroller(target).copyAll(graph.nodes, new Map());
  for (const [name, node] of graph.outputs) target.output(name, map.get(node)!);
  return target;
}
