/**
 * The model graph as DOT: the IR in scan form (after input-projection hoisting, the graph the
 * schedules are planned from), one node per IR node. Inputs are ellipses, parameters notes,
 * outputs double octagons; each scan is a 3-D box with its step graph drawn beside it in a
 * cluster, where the step's formals say which slice, state or constant they are and its
 * results which next state or per-step output.
 */
import type { Graph } from "../ir/graph.ts";
import type { Attrs, Node } from "../ir/node.ts";
import { Dot } from "./dot.ts";

/** `float[4, 10, 128]` without the dtype for floats. */
export function typeText(n: Node): string {
  return `${n.dtype === "int" ? "int" : ""}[${n.shape.join(", ")}]`;
}

/** A short form of the attributes that tell ops apart (axis, range, transposes). */
function attrsText(attrs: Attrs): string {
  const skip = new Set(["name", "dtype", "shape", "body", "index"]);
  const text = Object.entries(attrs)
    .filter(([k]) => !skip.has(k))
    .map(([k, v]) => `${k}: ${Array.isArray(v) ? `[${v.join(", ")}]` : String(v)}`)
    .join(", ");
  return text.length > 48 ? `${text.slice(0, 45)}...` : text;
}

function label(n: Node): string {
  if (n.op === "input" || n.op === "param") return `${String(n.attrs.name)}\n${typeText(n)}`;
  if (n.op === "scan") return `%${n.id} scan\n${String(n.attrs.steps)} steps`;
  const a = attrsText(n.attrs);
  return `%${n.id} ${n.op}${a ? ` {${a}}` : ""}\n${typeText(n)}`;
}

function style(n: Node): Record<string, string> {
  switch (n.op) {
    case "input":
      return { shape: "ellipse", style: "filled", fillcolor: "#dbeafe" };
    case "param":
      return { shape: "note", fontsize: "9", style: "filled", fillcolor: "#f3f4f6" };
    case "scan":
      return { shape: "box3d", style: "filled", fillcolor: "#fde68a" };
    default:
      return { shape: "box" };
  }
}

function drawNodes(dot: Dot, graph: Graph, prefix: string): void {
  for (const n of graph.nodes) {
    dot.node(`${prefix}${n.id}`, { label: label(n), ...style(n) });
    for (const x of n.inputs) dot.edge(`${prefix}${x.id}`, `${prefix}${n.id}`);
  }
}

/** The step graph of `scan`, in a cluster, wired to the scan's operands and results. */
function drawBody(dot: Dot, scan: Node, outer: string): void {
  const body = scan.body!;
  const inner = `${outer}${scan.id}.`;
  dot.cluster(`${outer}${scan.id}`, { label: `step of %${scan.id} scan`, style: "dashed" }, () => {
    drawNodes(dot, body.graph as Graph, inner);
    const formals = [
      ...body.slices.map((n, k) => [n, `slice ${k}`] as const),
      ...body.states.map((n, k) => [n, `state ${k}`] as const),
      ...body.consts.map((n, k) => [n, `const ${k}`] as const),
      [body.step, "step t"] as const,
    ];
    for (const [n, what] of formals)
      dot.node(`${inner}${n.id}`, {
        label: `${what}: ${String(n.attrs.name ?? "")}\n${typeText(n)}`,
        shape: "ellipse",
        style: "filled",
        fillcolor: "#e0e7ff",
      });
    body.nextStates.forEach((n, k) =>
      dot.node(`${inner}${n.id}`, { label: `${label(n)}\n→ next state ${k}`, peripheries: 2 }),
    );
    body.outputs.forEach((n, k) =>
      dot.node(`${inner}${n.id}`, { label: `${label(n)}\n→ step output ${k}`, peripheries: 2 }),
    );
  });
  scan.inputs.forEach((x, i) => {
    const formal = [...body.slices, ...body.states, ...body.consts][i];
    if (formal) dot.edge(`${outer}${x.id}`, `${inner}${formal.id}`, { style: "dashed" });
  });
  for (const n of [...body.nextStates, ...body.outputs])
    dot.edge(`${inner}${n.id}`, `${outer}${scan.id}`, { style: "dashed", constraint: false });
  for (const n of (body.graph as Graph).nodes) if (n.body) drawBody(dot, n, inner);
}

/** A graph with rnnc's look, titled. */
export function titledDot(title: string): Dot {
  return new Dot(title, {
    graph: { label: title, labelloc: "t", rankdir: "TB", fontname: "Helvetica" },
    node: { fontname: "Helvetica", fontsize: 10 },
    edge: { arrowsize: 0.6, fontsize: 8 },
  });
}

/** The model output `name`, fed by the DOT node `from`. */
export function drawOutput(dot: Dot, name: string, n: Node, from: string | undefined): void {
  dot.node(`output ${name}`, {
    label: `output ${name}\n${typeText(n)}`,
    shape: "doubleoctagon",
    style: "filled",
    fillcolor: "#dcfce7",
  });
  if (from) dot.edge(from, `output ${name}`);
}

export function modelGraphDot(graph: Graph, title: string): string {
  const dot = titledDot(title);
  drawNodes(dot, graph, "");
  for (const n of graph.nodes) if (n.body) drawBody(dot, n, "");
  for (const [name, n] of graph.outputs) drawOutput(dot, name, n, String(n.id));
  return dot.text();
}
