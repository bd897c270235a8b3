/**
 * The naive WebGPU schedule as DOT, for models whose recurrences do not qualify for the fused
 * one: a box per dispatch (one op of the unrolled graph each), an edge from the dispatch that
 * writes a buffer to each later one that reads it. Built from the plan alone: the naive
 * planner binds one buffer per tensor and its shaders say which bindings they write. Past
 * MAX_DRAWN dispatches (an unrolled decoder has thousands) Graphviz would take minutes: one
 * box then counts the dispatches per kernel instead.
 */
import type { Plan } from "../../runtime/webgpu/plan.ts";
import { Dot, left } from "./dot.ts";

export const MAX_DRAWN = 300;

export function naiveScheduleDot(plan: Plan, reason: string, title: string): string {
  const dot = new Dot(title, {
    graph: {
      label: `${title}\nnaive schedule, ${plan.dispatches.length} dispatches: ${reason}`,
      labelloc: "t",
      fontname: "Helvetica",
    },
    node: { fontname: "Helvetica", fontsize: 10, shape: "box" },
    edge: { arrowsize: 0.6 },
  });
  if (plan.dispatches.length > MAX_DRAWN) {
    const counts = new Map<string, number>();
    for (const d of plan.dispatches) {
      const name = plan.shaders[d.shader]!.name;
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    dot.node("dispatches", {
      label: left([
        `${plan.dispatches.length} dispatches (more than ${MAX_DRAWN}: counted, not drawn)`,
        ...[...counts].sort((a, b) => b[1] - a[1]).map(([n, c]) => `${n} ×${c}`),
      ]),
    });
    return dot.text();
  }
  const writer = new Map<number, string>();
  for (const b of plan.buffers) {
    if (b.role !== "input" && b.role !== "param") continue;
    const id = `${b.role} ${b.name ?? b.id}`;
    writer.set(b.id, id);
    dot.node(id, {
      label: `${b.name ?? b.id}\n[${b.shape.join(", ")}]`,
      shape: b.role === "input" ? "ellipse" : "note",
      fontsize: b.role === "param" ? 9 : 10,
    });
  }
  plan.dispatches.forEach((d, i) => {
    const shader = plan.shaders[d.shader]!;
    const id = `d${i}`;
    dot.node(id, {
      label: `dispatch ${i}: ${shader.name}\n${d.label}${d.when === "params" ? "\n(after new parameters)" : ""}`,
    });
    const sources = new Set<string>();
    d.buffers.forEach((b, j) => {
      if (shader.layout[j] === "read") {
        const from = writer.get(b);
        if (from && !sources.has(from)) dot.edge(from, id);
        if (from) sources.add(from);
      }
    });
    d.buffers.forEach((b, j) => {
      if (shader.layout[j] === "read_write") writer.set(b, id);
    });
  });
  for (const [name, t] of Object.entries(plan.outputs)) {
    dot.node(`output ${name}`, { label: `output ${name}`, shape: "doubleoctagon" });
    const from = writer.get(t.buffer);
    if (from) dot.edge(from, `output ${name}`);
  }
  return dot.text();
}
