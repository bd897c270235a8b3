/**
 * Reverse-mode differentiation of a graph, unrolled (backpropagation through time falls out:
 * the recurrence is a chain of steps) or in scan form (each scan gets a backward scan,
 * scan-gradient.ts). The backward nodes are appended to a copy of the forward graph, so
 * forward values are shared, and every gradient is ordinary IR.
 */
import { Graph } from "../ir/graph.ts";
import type { Node } from "../ir/node.ts";
import { copyGraph } from "../passes/copy.ts";
import { sumAll } from "../passes/lower-loss.ts";
import { Builder } from "./builder.ts";
import { GRADIENTS } from "./gradients.ts";
import { scanGradient } from "./scan-gradient.ts";

/**
 * Reverse accumulation over `graph` from `seeds` (node → its cotangent): the cotangent of
 * every float node the seeds reach, appended to `graph`. A scan is differentiated as a whole
 * (scan-gradient.ts) once the cotangents of all its results are known.
 */
export function backprop(graph: Graph, seeds: ReadonlyMap<Node, Node>): Map<Node, Node> {
  const b = new Builder(graph);
  const grads = new Map<Node, Node>(seeds);
  const scanResults = new Map<Node, (Node | undefined)[]>();
  const accumulate = (node: Node, g: Node) => {
    const existing = grads.get(node);
    grads.set(node, existing ? b.add(existing, g) : g);
  };
  const last = Math.max(-1, ...[...seeds.keys()].map((n) => n.id));
  for (let id = last; id >= 0; id--) {
    const node = graph.nodes[id]!;
    if (node.op === "scan") {
      const results = scanResults.get(node);
      if (!results) continue;
      scanGradient(graph, node, results).forEach((gi, i) => gi && accumulate(node.inputs[i]!, gi));
      continue;
    }
    const g = grads.get(node);
    if (!g || node.dtype !== "float" || node.inputs.length === 0) continue;
    if (node.op === "scan_output") {
      const list = scanResults.get(node.inputs[0]!) ?? [];
      list[node.attrs.index as number] = g;
      scanResults.set(node.inputs[0]!, list);
      continue;
    }
    const inputGrads = GRADIENTS[node.op](node, g, b);
    node.inputs.forEach((input, i) => {
      const gi = inputGrads[i];
      if (gi && input.dtype === "float") accumulate(input, gi);
    });
  }
  return grads;
}

/** Gradients of the scalar `loss` with respect to `wrt`, appended to `loss`'s graph. */
export function differentiate(graph: Graph, loss: Node, wrt: readonly Node[]): Map<Node, Node> {
  if (loss.shape.length !== 0 || loss.dtype !== "float")
    throw new Error("internal: the loss must be a float scalar");
  const grads = backprop(graph, new Map([[loss, graph.constant(1)]]));
  return new Map(wrt.map((w) => [w, grads.get(w) ?? graph.constant(0, "float", w.shape)]));
}

export interface GradientOptions {
  /** The scalar output to differentiate; or, when absent, Σ over `seeded` outputs of sum(output · cotangent). */
  readonly loss?: string;
  /** Outputs given a cotangent input `cotangent.<name>` (default: every float output). */
  readonly seeded?: readonly string[];
  /** Inputs to differentiate with respect to, besides every parameter. */
  readonly inputs?: readonly string[];
}

/**
 * A copy of `graph` with gradient outputs `grad.<param>` for every parameter and
 * `grad.<input>` for the requested inputs.
 */
export function withGradients(graph: Graph, options: GradientOptions = {}): Graph {
  // Scans also return their state trajectories, which their backward scans read.
  const out = copyGraph(graph, () => undefined, { trajectories: true });
  let loss: Node;
  if (options.loss) {
    const node = out.outputs.get(options.loss);
    if (!node) throw new Error(`internal: no output '${options.loss}'`);
    loss = node;
  } else {
    const names =
      options.seeded ??
      [...out.outputs].filter(([, n]) => n.dtype === "float").map(([name]) => name);
    const terms = names.map((name) => {
      const y = out.outputs.get(name)!;
      return sumAll(out, out.node("mul", [y, out.input(`cotangent.${name}`, "float", y.shape)]));
    });
    loss = terms.reduce((acc, t) => out.node("add", [acc, t]));
  }
  const params = [...out.params.values()];
  const inputs = (options.inputs ?? []).map((name) => {
    const node = out.inputs.get(name);
    if (!node) throw new Error(`internal: no input '${name}'`);
    return node;
  });
  const grads = differentiate(out, loss, [...params, ...inputs]);
  for (const p of params) out.output(`grad.${p.attrs.name as string}`, grads.get(p)!);
  for (const i of inputs) out.output(`grad.${i.attrs.name as string}`, grads.get(i)!);
  return out;
}
