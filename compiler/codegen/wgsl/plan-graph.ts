/**
 * The naive WebGPU schedule: one kernel dispatch per IR op of an unrolled graph, in node
 * order. It is the baseline that fused kernels are measured against and the fallback
 * schedule for anything they do not cover.
 *
 * Matches: a graph without scans (after `unroll`). Produces: a Plan (runtime/webgpu/plan.ts)
 * with one buffer per value (reshapes and same-type casts alias their operand's buffer),
 * the graph's inputs, params and outputs by name, consts as buffers filled once, and the
 * dispatches of every node that an output depends on. Shaders are one per kernel family and
 * dtype, shared by every shape (shapes, strides and op codes travel in the uniforms).
 */
import type { Graph } from "../../ir/graph.ts";
import type { Node } from "../../ir/node.ts";
import {
  PLAN_VERSION,
  type Plan,
  type PlanBuffer,
  type PlanSource,
  type PlanTensor,
} from "../../../runtime/webgpu/plan.ts";
import { debugPlan } from "./describe.ts";
import { LOWERINGS, noScan } from "./lower-ops.ts";
import { DTYPES, PlanGraphError, Planner } from "./planner.ts";

export { PlanGraphError };

/** The part of a Graph the planner reads. */
export type PlannableGraph = Pick<Graph, "nodes" | "inputs" | "params" | "outputs">;

/** Plans `graph` (unrolled: no scans) as one dispatch per op. */
export function planGraph(graph: PlannableGraph): Plan {
  const scan = graph.nodes.find((n) => n.op === "scan" || n.op === "scan_output");
  if (scan) noScan(scan);
  const live = new Uint8Array(graph.nodes.length);
  for (const node of graph.outputs.values()) live[node.id] = 1;
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    if (live[i]) for (const input of graph.nodes[i]!.inputs) live[input.id] = 1;
  }
  const p = new Planner();
  for (const node of graph.nodes) {
    if (!live[node.id] && node.op !== "input" && node.op !== "param") continue;
    try {
      LOWERINGS[node.op](node, p);
    } catch (e) {
      if (e instanceof PlanGraphError) throw e;
      throw new PlanGraphError(
        `%${node.id} ${node.op}: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
  }
  const sources = (map: ReadonlyMap<string, Node>): Record<string, PlanSource> => {
    const out: Record<string, PlanSource> = {};
    for (const [name, node] of map) {
      out[name] = {
        buffer: p.buffer(node),
        shape: [...node.shape],
        dtype: DTYPES[node.dtype],
        required: live[node.id] === 1,
      };
    }
    return out;
  };
  const outputs: Record<string, PlanTensor> = {};
  for (const [name, node] of graph.outputs) {
    const id = p.buffer(node);
    const buffer = p.buffers[id]!;
    if (buffer.role === "temp") {
      buffer.role = "output";
      buffer.name = name;
    }
    outputs[name] = { buffer: id, shape: [...node.shape], dtype: DTYPES[node.dtype] };
  }
  const buffers: PlanBuffer[] = p.buffers.map((b) => ({ ...b }));
  const plan: Plan = {
    version: PLAN_VERSION,
    buffers,
    shaders: p.shaders,
    dispatches: p.dispatches,
    inputs: sources(graph.inputs),
    params: sources(graph.params),
    outputs,
  };
  debugPlan(plan);
  return plan;
}
