/**
 * A readable listing of a graph, one node per line, step graphs indented under their scan:
 *
 *   %4 = matmul(%0, %2) {transposeB: true} : float[3, 20]
 */
import type { Graph } from "./graph.ts";
import { shapeText, type Attrs, type Node } from "./node.ts";

function attrsText(attrs: Attrs, skip: readonly string[]): string {
  const entries = Object.entries(attrs).filter(([k]) => !skip.includes(k));
  if (entries.length === 0) return "";
  return ` {${entries.map(([k, v]) => `${k}: ${Array.isArray(v) ? `[${v.join(", ")}]` : typeof v === "string" ? JSON.stringify(v) : v}`).join(", ")}}`;
}

function refs(nodes: readonly Node[]): string {
  return nodes.map((n) => `%${n.id}`).join(", ");
}

function lines(graph: Graph, indent: string): string[] {
  const out: string[] = [];
  for (const node of graph.nodes) {
    const type = node.op === "scan" ? "tuple" : shapeText(node.dtype, node.shape);
    if (node.op === "input" || node.op === "param") {
      out.push(`${indent}%${node.id} = ${node.op} ${JSON.stringify(node.attrs.name)} : ${type}`);
      continue;
    }
    const skip = node.op === "const" || node.op === "scan_output" ? ["dtype", "shape"] : [];
    out.push(
      `${indent}%${node.id} = ${node.op}(${refs(node.inputs)})${attrsText(node.attrs, skip)} : ${type}`,
    );
    const body = node.body;
    if (body) {
      out.push(
        `${indent}  body (slices: ${refs(body.slices)}; states: ${refs(body.states)}; consts: ${refs(body.consts)}; step: %${body.step.id})`,
      );
      out.push(...lines(body.graph as Graph, `${indent}    `));
      out.push(`${indent}  next: ${refs(body.nextStates)}; outputs: ${refs(body.outputs)}`);
    }
  }
  for (const [name, node] of graph.outputs) out.push(`${indent}output ${name} = %${node.id}`);
  return out;
}

export function printGraph(graph: Graph): string {
  return [`graph ${graph.label}`, ...lines(graph, "  ")].join("\n");
}
