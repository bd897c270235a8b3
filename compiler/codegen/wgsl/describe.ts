/**
 * Human-readable views of a plan for `RNNC_DEBUG=schedule` (the dispatch list) and
 * `RNNC_DEBUG=wgsl` (every distinct shader's source).
 */
import type { Plan } from "../../../runtime/webgpu/plan.ts";

function shape(s: readonly number[]): string {
  return `[${s.join(", ")}]`;
}

/** One line per dispatch: kernel, IR node, buffers bound, workgroups. */
export function describeSchedule(plan: Plan): string {
  const params = plan.dispatches.filter((d) => d.when === "params").length;
  const perRun = plan.dispatches.length - params;
  const fused = plan.shaders.some((s) => s.code.startsWith("// rnnc fused kernel"));
  const lines = [
    `${fused ? "fused" : "naive"} schedule: ${perRun} dispatches per run` +
      (params > 0 ? ` (+${params} after new parameters)` : "") +
      `, ${plan.shaders.length} shaders, ${plan.buffers.length} buffers`,
  ];
  plan.dispatches.forEach((d, i) => {
    const bound = d.buffers.map((id) => {
      const b = plan.buffers[id]!;
      return `${id}:${b.dtype}${shape(b.shape)}`;
    });
    lines.push(
      `  ${String(i).padStart(5)} ${plan.shaders[d.shader]!.name.padEnd(16)} ${d.label.padEnd(18)} ${bound.join(" ")} groups ${shape(d.workgroups)}${d.when === "params" ? " (params)" : ""}`,
    );
  });
  return lines.join("\n");
}

/** Every shader of the plan, each headed by its name. */
export function describeShaders(plan: Plan): string {
  return plan.shaders.map((s, i) => `── shader ${i}: ${s.name} ──\n${s.code}`).join("\n");
}

/** Writes what RNNC_DEBUG asks for (schedule, wgsl) to stderr. */
export function debugPlan(plan: Plan): void {
  const wanted = (process.env.RNNC_DEBUG ?? "").split(",");
  if (wanted.includes("schedule")) process.stderr.write(`${describeSchedule(plan)}\n`);
  if (wanted.includes("wgsl")) process.stderr.write(`${describeShaders(plan)}\n`);
}
