/** The `cell: lstm(hidden: 128)` option of encode, decode and generate: the cell and its sizes. */
import type { Call } from "../../dsl/ast.ts";
import type { BoundArgs } from "./args.ts";
import { bindCellArgs } from "./cell-instance.ts";
import type { ModelScope } from "./model-scope.ts";
import { didYouMean } from "./suggest.ts";

/** Resolves `cell: lstm(hidden: 128)` to the checked cell and its bound sizes. */
export function cellOption(scope: ModelScope, call: Call, args: BoundArgs) {
  const arg = args.named.get("cell");
  if (!arg)
    return scope.report.error(
      "missingOption",
      call.callee.span,
      `${call.callee.name} needs a cell`,
      `write ${call.callee.name}(..., cell: lstm(hidden: 128))`,
    );
  const value = arg.value;
  const name =
    value.kind === "call"
      ? value.callee
      : value.kind === "name"
        ? { name: value.name, span: value.span }
        : undefined;
  if (!name)
    return scope.report.error(
      "wrongArgumentType",
      value.span,
      "cell: must name a cell, e.g. lstm(hidden: 128)",
    );
  const cell = scope.cells.get(name.name);
  if (!cell) {
    return scope.report.error(
      "unknownCell",
      name.span,
      `unknown cell '${name.name}'`,
      didYouMean(name.name, scope.cells.keys()) ??
        `cells in scope: ${[...scope.cells.keys()].join(", ")}`,
    );
  }
  if (value.kind !== "call") {
    return scope.report.error(
      "wrongArgumentType",
      value.span,
      `cell '${name.name}' needs its sizes`,
      `write ${name.name}(${cell.sizes.map((s) => `${s.option}: 128`).join(", ")})`,
    );
  }
  const bound = bindCellArgs(cell, value, scope.report);
  return bound && { cell, bound, span: value.span };
}
