/**
 * `rnnc check --params`: each model's parameters (name, shape, count, total) and each
 * cell's, symbolically (`[H, I]`, `H*I`) or with sizes bound by `--bind hidden=128,input=10`.
 */
import {
  evaluateDim,
  formatDim,
  formatShape,
  type CheckedCell,
  type CheckedModel,
  type Dim,
} from "../compiler/check/index.ts";
import { addDims, constDim, mulDims } from "../compiler/check/dims.ts";

function count(n: number): string {
  return n.toLocaleString("en-US");
}

function table(rows: string[][], indent = "  "): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) =>
    (
      indent +
      r
        .map((cell, c) =>
          c === r.length - 1 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!),
        )
        .join("  ")
    ).trimEnd(),
  );
}

export function modelParams(model: CheckedModel): string[] {
  const topology = [...model.topologies].join(", ");
  const rows = [["name", "shape", "count"]];
  let total = 0;
  for (const p of model.params) {
    const n = p.shape.reduce((a, b) => a * b, 1);
    total += n;
    rows.push([p.name, `[${p.shape.join(", ")}]`, count(n)]);
  }
  rows.push(["total", "", count(total)]);
  return [
    `model ${model.name}${topology ? ` (${topology})` : ""}: ${count(total)} parameters`,
    ...table(rows),
  ];
}

function cellHeader(cell: CheckedCell): string {
  const sizes = cell.sizes.map((s) => `${s.option}: ${s.symbol}`);
  const scalars = cell.scalars.map((s) => `${s.option} = ${s.value}`);
  const input = cell.input ? `, input ${cell.input.name}: ${formatShape(cell.input.shape)}` : "";
  return `cell ${cell.name}(${[...sizes, ...scalars].join(", ")})${input}`;
}

/** A cell's parameters; numeric when `bind` gives every size (`input` binds the input size). */
export function cellParams(
  cell: CheckedCell,
  bind: ReadonlyMap<string, number> | undefined,
): string[] {
  let sizes: Map<string, number> | undefined;
  if (bind) {
    const known = new Map<string, number>();
    for (const s of cell.sizes) if (bind.has(s.option)) known.set(s.symbol, bind.get(s.option)!);
    if (cell.inputSymbol && bind.has("input")) known.set(cell.inputSymbol, bind.get("input")!);
    const needed = cell.sizes.length + (cell.inputSymbol ? 1 : 0);
    if (known.size === needed) sizes = known;
  }
  const rows = [["name", "shape", "count"]];
  let symbolic: Dim = constDim(0);
  let total = 0;
  for (const p of cell.params) {
    const n = p.shape.reduce<Dim>((a, d) => mulDims(a, d), constDim(1));
    symbolic = addDims(symbolic, n);
    if (sizes) {
      const shape = p.shape.map((d) => evaluateDim(d, sizes!)!);
      const k = shape.reduce((a, b) => a * b, 1);
      total += k;
      rows.push([p.name, `[${shape.join(", ")}]`, count(k)]);
    } else rows.push([p.name, formatShape(p.shape), formatDim(n)]);
  }
  rows.push(["total", "", sizes ? count(total) : formatDim(symbolic)]);
  const summary = sizes
    ? `${count(total)} parameters with ${[...bind!].map(([k, v]) => `${k}=${v}`).join(", ")}`
    : `${formatDim(symbolic)} parameters`;
  return [`${cellHeader(cell)}: ${summary}`, ...table(rows)];
}
