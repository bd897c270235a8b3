/**
 * The compiler's pipeline, in order. Every pass is one file under compiler/passes with a
 * header saying what it matches and produces; `RNNC_DEBUG=passes` prints the IR after each.
 *
 *   .rnn text ─ dsl/parse ─▶ AST ─ compiler/check ─▶ checked model (shapes, parameters)
 *     ─ lower ─▶ IR: one scan (cell step) per recurrence + the topology around it
 *     ─ fuse-gate-matmuls ─▶ one matmul per operand of a step (concatenated weights)
 *     ─ hoist-input-projections ─▶ input work for all steps at once, before the scan
 *     ─ unroll ─▶ static graph for one batch size and padded step counts
 */
import type { CheckedModel } from "./check/model.ts";
import type { Graph } from "./ir/graph.ts";
import { printGraph } from "./ir/print.ts";
import { assertValid } from "./ir/verify.ts";
import { lowerModel, type LowerOptions } from "./passes/lower-model.ts";
import { fuseGateMatmuls } from "./passes/fuse-gate-matmuls.ts";
import { hoistInputProjections } from "./passes/hoist-input-projections.ts";
import { unroll } from "./passes/unroll.ts";

export interface Pass {
  readonly name: string;
  readonly summary: string;
  run(graph: Graph): Graph;
}

/** Graph-to-graph passes after lowering, in order. */
export const PASSES: readonly Pass[] = [
  {
    name: "fuse-gate-matmuls",
    summary: "linears reading the same operand become one matmul with concatenated weights",
    run: fuseGateMatmuls,
  },
  {
    name: "hoist-input-projections",
    summary: "work that reads only a step's inputs runs over all steps before the recurrence",
    run: hoistInputProjections,
  },
  { name: "unroll", summary: "expand each scan over its steps into a static graph", run: unroll },
];

export interface PipelineOptions extends LowerOptions {
  /** Run the verifier after every pass (tests do; it is cheap next to evaluation). */
  readonly verify?: boolean;
  /** Stop after this pass (e.g. "lower" keeps the scans). */
  readonly until?: string;
}

function debugPasses(): boolean {
  return (process.env.RNNC_DEBUG ?? "").split(",").includes("passes");
}

function after(name: string, graph: Graph, options: PipelineOptions): void {
  if (options.verify) assertValid(graph);
  if (debugPasses()) process.stderr.write(`── IR after ${name} ──\n${printGraph(graph)}\n`);
}

/** Lowers a checked model and runs the passes; returns the final graph. */
export function compileModel(model: CheckedModel, options: PipelineOptions): Graph {
  let graph = lowerModel(model, options);
  after("lower", graph, options);
  if (options.until === "lower") return graph;
  for (const pass of PASSES) {
    graph = pass.run(graph);
    after(pass.name, graph, options);
    if (options.until === pass.name) break;
  }
  return graph;
}
