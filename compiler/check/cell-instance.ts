/**
 * A cell with its sizes bound: `lstm(hidden: 128)` reading 10 inputs. Evaluates the cell's
 * symbolic shapes to numbers, giving the concrete parameter table, state sizes and output
 * size that a model (and `rnnc check --params`) needs.
 */
import type { Call, Span } from "../../dsl/ast.ts";
import { bindArgs, readInteger, readNumber } from "./args.ts";
import type { CheckedCell } from "./cell.ts";
import { constDim, constValue, formatShape, substitute, type Dim } from "./dims.ts";
import type { ParamEntry } from "./params.ts";
import { LIMITS, tooLarge } from "./limits.ts";
import type { Reporter } from "./report.ts";

export interface CellInstance {
  readonly cell: CheckedCell;
  /** Size symbol → value, including the input's own symbol. */
  readonly sizes: ReadonlyMap<string, number>;
  /** Scalar option → value (defaults filled in). */
  readonly scalars: ReadonlyMap<string, number>;
  readonly inputSize: number;
  readonly states: readonly { name: string; size: number }[];
  readonly outputSize: number;
  readonly params: readonly ParamEntry<number>[];
}

/** Evaluates a symbolic size with the given bindings, or undefined if it is not a number. */
export function evaluateDim(dim: Dim, sizes: ReadonlyMap<string, number>): number | undefined {
  return constValue(substitute(dim, (s) => (sizes.has(s) ? constDim(sizes.get(s)!) : undefined)));
}

/** The sizes a cell call binds (`hidden: 128`, or positionally in header order). */
export function bindCellArgs(
  cell: CheckedCell,
  call: Call,
  report: Reporter,
): { sizes: Map<string, number>; scalars: Map<string, number> } | undefined {
  const sizeOptions = cell.sizes.map((s) => s.option);
  const args = bindArgs(
    call,
    {
      positional: sizeOptions,
      min: 0,
      options: [...sizeOptions, ...cell.scalars.map((s) => s.option)],
    },
    report,
  );
  if (!args) return undefined;
  const sizes = new Map<string, number>();
  const scalars = new Map<string, number>();
  let ok = true;
  cell.sizes.forEach((s, i) => {
    const positional = args.positional[i];
    const named = args.named.get(s.option);
    if (positional && named) {
      ok = report.error("duplicateOption", named.span, `'${s.option}' is given twice`) ?? false;
      return;
    }
    const expr = positional ?? named?.value;
    if (!expr) {
      ok =
        report.error(
          "missingOption",
          call.span,
          `cell '${cell.name}' needs '${s.option}'`,
          `write ${cell.name}(${cell.sizes.map((x) => `${x.option}: 128`).join(", ")})`,
        ) ?? false;
      return;
    }
    const value = readInteger(expr, `'${s.option}'`, report, 1);
    if (value === undefined) ok = false;
    else sizes.set(s.symbol, value);
  });
  for (const s of cell.scalars) {
    const arg = args.named.get(s.option);
    const value = arg ? readNumber(arg.value, `'${s.option}'`, report) : s.value;
    if (value === undefined) ok = false;
    else scalars.set(s.option, value);
  }
  return ok ? { sizes, scalars } : undefined;
}

/**
 * Binds a checked cell to sizes and an input size; reports a mismatch at `where`. `layer`
 * (1-based, above the first) says the input comes from the layer below, not from the model.
 */
export function instantiateCell(
  cell: CheckedCell,
  bound: { sizes: ReadonlyMap<string, number>; scalars: ReadonlyMap<string, number> },
  inputSize: number,
  where: Span,
  report: Reporter,
  layer?: number,
): CellInstance | undefined {
  if (!cell.ok || !cell.input) return undefined;
  const sizes = new Map(bound.sizes);
  if (cell.inputSymbol) sizes.set(cell.inputSymbol, inputSize);
  const declared = evaluateDim(cell.input.shape[0]!, sizes);
  if (declared !== inputSize) {
    return report.error(
      "shapeMismatch",
      where,
      `cell '${cell.name}' reads ${formatShape(cell.input.shape)}${declared !== undefined && !cell.inputSymbol ? "" : ` = [${declared}]`}, but ${layer ? `layer ${layer} gets [${inputSize}] from the layer below` : `gets [${inputSize}]`}`,
      layer
        ? `a stacked cell reads the layer below; leave its input size open: input ${cell.input.name}`
        : "feed it vectors of the size its input declares",
    );
  }
  let tooLargeReported = false;
  const size = (d: Dim, what: string): number | undefined => {
    const v = evaluateDim(d, sizes);
    if (v === undefined || v < 1)
      return report.error(
        "badShape",
        where,
        `${what} of cell '${cell.name}' has no positive size here (${formatShape([d])})`,
      );
    if (v > LIMITS.size) {
      // One diagnostic per instance: the sizes beyond the limit share the call's span.
      if (!tooLargeReported)
        tooLarge(
          report,
          where,
          `${what} of cell '${cell.name}' (${formatShape([d])})`,
          v,
          LIMITS.size,
        );
      tooLargeReported = true;
      return undefined;
    }
    return v;
  };
  const states = cell.states.map((s) => ({
    name: s.name,
    size: size(s.shape[0]!, `state '${s.name}'`),
  }));
  const outputSize = size(cell.output.shape[0] ?? constDim(1), "the output");
  const params = cell.params.map((p) => ({
    ...p,
    shape: p.shape.map((d) => size(d, `parameter '${p.name}'`)),
  }));
  if (
    outputSize === undefined ||
    states.some((s) => s.size === undefined) ||
    params.some((p) => p.shape.some((d) => d === undefined))
  )
    return undefined;
  return {
    cell,
    sizes,
    scalars: bound.scalars,
    inputSize,
    states: states.map((s) => ({ name: s.name, size: s.size! })),
    outputSize,
    // PyTorch's recurrent modules draw every parameter from U(±1/sqrt(hidden_size)); with a
    // projection (lstm_proj) the hidden size is the larger state.
    params: params.map((p) => ({
      ...p,
      shape: p.shape.map((d) => d!),
      fanIn: Math.max(...states.map((s) => s.size!)),
    })),
  };
}
