/**
 * Helpers for the generated CPU kernels' tests: plan a scan-form graph with planCpu, run it
 * on the CPU executor (through JSON, as a bundle stores it), and wrap any graph in a scan so
 * that its ops run inside a generated step kernel.
 */
import { planCpu, type CpuPlanOptions } from "../../../compiler/codegen/js/plan-cpu.ts";
import { Graph } from "../../../compiler/ir/graph.ts";
import type { Node } from "../../../compiler/ir/node.ts";
import { StepBuilder } from "../../../compiler/passes/scan-builder.ts";
import { CpuPlanExecutor } from "../../../runtime/cpu/executor.ts";
import type { OutputTensor } from "../../../runtime/webgpu/plan-io.ts";
import type { Plan } from "../../../runtime/webgpu/plan.ts";
import { hostRecord, type Feeds } from "../wgsl/support.ts";

export function runPlan(plan: Plan, feeds: Feeds): Record<string, OutputTensor> {
  const executor = CpuPlanExecutor.create(JSON.parse(JSON.stringify(plan)) as Plan);
  return executor.runSync(hostRecord(feeds.inputs), hostRecord(feeds.params));
}

export function runPlanned(
  graph: Graph,
  feeds: Feeds,
  options: CpuPlanOptions = {},
): Record<string, OutputTensor> {
  return runPlan(planCpu(graph, options), feeds);
}

/**
 * `graph` computed inside a 2-step scan: its inputs and params become the step's states
 * (carried unchanged, so every op depends on the step: "variant") or constants (so the ops
 * run once before the steps: "invariant"); each output is a state whose final value is read.
 */
export function insideScan(graph: Graph, where: "variant" | "invariant"): Graph {
  const outer = new Graph(`${graph.label} in a scan`);
  const step = new StepBuilder(outer, "step");
  const map = new Map<Node, Node>();
  const carried: Node[] = [];
  for (const node of graph.nodes) {
    if (node.op === "input" || node.op === "param") {
      const name = String(node.attrs.name);
      const source =
        node.op === "input"
          ? outer.input(name, node.dtype, node.shape)
          : outer.param(name, node.shape);
      const formal = where === "variant" ? step.state(name, source) : step.constant(name, source);
      if (where === "variant") carried.push(formal);
      map.set(node, formal);
    } else {
      map.set(
        node,
        step.body.node(
          node.op,
          node.inputs.map((n) => map.get(n)!),
          node.attrs,
        ),
      );
    }
  }
  const names = [...graph.outputs.keys()];
  const results = names.map((name) => {
    const out = graph.outputs.get(name)!;
    const zero = outer.constant(0, out.dtype, out.shape);
    step.state(`out.${name}`, zero);
    return map.get(out)!;
  });
  // States in order: the carried operands (variant), then the outputs.
  const { finalStates } = step.build([...carried, ...results], [], 2, false);
  names.forEach((name, i) => outer.output(name, finalStates[carried.length + i]!));
  return outer;
}
