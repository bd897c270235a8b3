/**
 * The CPU executor's plan, planned from the scan form (after hoist-input-projections, before
 * unroll): every node outside a recurrence keeps the naive lowering (one dispatch per op,
 * codegen/wgsl/lower-ops.ts, run by runtime/cpu/kernels.ts), and each `scan` becomes ONE
 * dispatch of a generated JavaScript kernel that runs all its steps (scan-kernel.ts), and
 * each other matmul (the hoisted input projections) one generated matmul (matmul.ts), so the
 * number of dispatches does not grow with the number of steps.
 *
 * Produces a Plan (runtime/webgpu/plan.ts) whose scan shaders have `language: "js"`: the
 * WebGPU executor refuses it; the CPU executor (runtime/cpu) runs it. A graph without scans
 * (an unrolled one, a backward graph) gets the naive plan.
 */
import type { Graph } from "../../ir/graph.ts";
import type { Node } from "../../ir/node.ts";
import {
  PLAN_VERSION,
  type BindingAccess,
  type Plan,
  type PlanSource,
  type PlanTensor,
} from "../../../runtime/webgpu/plan.ts";
import { debugPlan } from "../wgsl/describe.ts";
import { LOWERINGS } from "../wgsl/lower-ops.ts";
import { DTYPES, PlanGraphError, Planner } from "../wgsl/planner.ts";
import { matmulKernelSource } from "./matmul.ts";
import { scanKernelSource, type ScanKernelOptions } from "./scan-kernel.ts";

export type CpuPlanOptions = ScanKernelOptions;

/** The names of the generated kernels' shaders. */
export const JS_SCAN_KERNEL = "js_scan";
export const JS_MATMUL_KERNEL = "js_matmul";

type PlannableGraph = Pick<Graph, "nodes" | "inputs" | "params" | "outputs">;

function liveNodes(graph: PlannableGraph): Set<Node> {
  const live = new Set<Node>(graph.outputs.values());
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const node = graph.nodes[i]!;
    if (live.has(node)) for (const input of node.inputs) live.add(input);
  }
  return live;
}

/** One dispatch for the scan: its results' buffers are its scan_output readers'. */
function planScan(scan: Node, readers: readonly Node[], p: Planner, options: CpuPlanOptions) {
  const body = scan.body!;
  const count = body.nextStates.length + body.outputs.length;
  const bound = Array.from({ length: count }, (_, i) => readers.find((r) => r.attrs.index === i));
  const outputs = bound.flatMap((r) => (r ? [p.allocate(r, "temp")] : []));
  const layout: BindingAccess[] = [
    ...scan.inputs.map((): BindingAccess => "read"),
    ...outputs.map((): BindingAccess => "read_write"),
  ];
  const code = scanKernelSource(
    scan,
    bound.map((r) => r !== undefined),
    options,
  );
  const shader = { name: JS_SCAN_KERNEL, code, entryPoint: "run", layout, language: "js" as const };
  p.dispatch(scan, shader, [...scan.inputs.map((n) => p.buffer(n)), ...outputs], [], [1, 1, 1]);
}

/** A matmul outside the recurrences (an input projection of all steps): the generated matmul. */
function planMatmul(node: Node, p: Planner, options: CpuPlanOptions) {
  const code = matmulKernelSource(node, options.exact === true);
  const layout: BindingAccess[] = ["read", "read", "read_write"];
  const shader = {
    name: JS_MATMUL_KERNEL,
    code,
    entryPoint: "run",
    layout,
    language: "js" as const,
  };
  p.emit(node, shader, node.inputs, [], [1, 1, 1]);
}

/** Plans `scanForm` for the CPU executor: one generated kernel per scan, naive elsewhere. */
export function planCpu(scanForm: PlannableGraph, options: CpuPlanOptions = {}): Plan {
  const live = liveNodes(scanForm);
  const readers = new Map<Node, Node[]>();
  for (const node of scanForm.nodes) {
    if (node.op !== "scan_output" || !live.has(node)) continue;
    const scan = node.inputs[0]!;
    readers.set(scan, [...(readers.get(scan) ?? []), node]);
  }
  const p = new Planner();
  for (const node of scanForm.nodes) {
    const source = node.op === "input" || node.op === "param";
    if ((!live.has(node) && !source) || node.op === "scan_output") continue;
    try {
      if (node.op === "scan") planScan(node, readers.get(node) ?? [], p, options);
      else if (node.op === "matmul") planMatmul(node, p, options);
      else LOWERINGS[node.op](node, p);
    } catch (e) {
      if (e instanceof PlanGraphError) throw e;
      const message = e instanceof Error ? e.message : String(e);
      throw new PlanGraphError(`%${node.id} ${node.op}: ${message}`);
    }
  }
  const tensor = (node: Node): PlanTensor => ({
    buffer: p.buffer(node),
    shape: [...node.shape],
    dtype: DTYPES[node.dtype],
  });
  const sources = (map: ReadonlyMap<string, Node>) =>
    Object.fromEntries(
      [...map].map(([name, node]): [string, PlanSource] => [
        name,
        { ...tensor(node), required: live.has(node) },
      ]),
    );
  const outputs = Object.fromEntries(
    [...scanForm.outputs].map(([name, node]): [string, PlanTensor] => {
      const buffer = p.buffers[p.buffer(node)]!;
      if (buffer.role === "temp") Object.assign(buffer, { role: "output", name });
      return [name, tensor(node)];
    }),
  );
  const plan: Plan = {
    version: PLAN_VERSION,
    buffers: p.buffers.map((b) => ({ ...b })),
    shaders: p.shaders,
    dispatches: p.dispatches,
    inputs: sources(scanForm.inputs),
    params: sources(scanForm.params),
    outputs,
  };
  debugPlan(plan);
  return plan;
}
