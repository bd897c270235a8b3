/**
 * Size expressions: the dimensions in shapes (`[4 * H]`) and in `out:` options. A size is a
 * whole number, a size name from the cell header (`H`), or + - * of sizes, or a size divided
 * exactly by a number.
 */
import type { Expr, Shape } from "../../dsl/ast.ts";
import { addDims, constDim, constValue, divDim, formatDim, mulDims, type Dim } from "./dims.ts";
import { LIMITS, tooLarge } from "./limits.ts";
import type { Reporter } from "./report.ts";
import { didYouMean } from "./suggest.ts";

export interface SizeNames {
  lookup(name: string): Dim | undefined;
  /** Names to suggest when a size is unknown. */
  candidates(): Iterable<string>;
  /** Called for an unknown name; may introduce it (a cell input's own size symbol). */
  introduce?(name: string): Dim | undefined;
  /** A help line for an unknown name, better than a spelling suggestion (an option's name). */
  hint?(name: string): string | undefined;
  /** Unknown names already reported, to report each once. */
  reported?: Set<string>;
}

const WHAT =
  "a size is a whole number, a size name from the cell header (H), or arithmetic of them (4 * H)";

export function sizeOf(expr: Expr, names: SizeNames, report: Reporter): Dim | undefined {
  switch (expr.kind) {
    case "number":
      if (!expr.isInteger || expr.value < 1) {
        return report.error(
          "badShape",
          expr.span,
          `sizes are whole numbers of at least 1, got ${expr.text}`,
        );
      }
      if (expr.value > LIMITS.size)
        return tooLarge(report, expr.span, "this size", expr.value, LIMITS.size);
      return constDim(expr.value);
    case "name": {
      if (expr.primed)
        return report.error("badShape", expr.span, `'${expr.name}'' is not a size`, WHAT);
      const found = names.lookup(expr.name) ?? names.introduce?.(expr.name);
      if (found) return found;
      if (names.reported?.has(expr.name)) return undefined;
      names.reported?.add(expr.name);
      return report.error(
        "unknownSize",
        expr.span,
        `unknown size '${expr.name}'`,
        names.hint?.(expr.name) ??
          didYouMean(expr.name, names.candidates()) ??
          "sizes come from the cell header, e.g. cell c(hidden: H) { state h: [H] }",
      );
    }
    case "binary": {
      const left = sizeOf(expr.left, names, report);
      const right = sizeOf(expr.right, names, report);
      if (!left || !right) return undefined;
      if (expr.op === "+") return addDims(left, right);
      if (expr.op === "-") return addDims(left, right, -1);
      if (expr.op === "*") return mulDims(left, right);
      const divisor = constValue(right);
      const quotient = divisor === undefined ? undefined : divDim(left, divisor);
      if (!quotient) {
        return report.error(
          "badShape",
          expr.span,
          `${formatDim(left)} / ${formatDim(right)} is not a whole size`,
          "divide only by a number that divides the size exactly",
        );
      }
      return quotient;
    }
    default:
      return report.error("badShape", expr.span, "this is not a size", WHAT);
  }
}

/** A cell shape: exactly one dimension (cell values are vectors). */
export function vectorShape(shape: Shape, names: SizeNames, report: Reporter): Dim[] | undefined {
  if (shape.dims.length !== 1) {
    return report.error(
      "badShape",
      shape.span,
      `cell states, inputs and params are vectors with one size, got ${shape.dims.length}`,
      "write e.g. [H]",
    );
  }
  const dim = sizeOf(shape.dims[0]!, names, report);
  return dim ? [dim] : undefined;
}
