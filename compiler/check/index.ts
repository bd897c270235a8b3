/** Semantic checking: the public surface of compiler/check. */
export { checkParsed, checkProgram, type CheckResult } from "./program.ts";
export { prelude, stdlibFiles, STDLIB_DIR } from "./prelude.ts";
export { bindCellArgs, instantiateCell, evaluateDim, type CellInstance } from "./cell-instance.ts";
export type { CheckedCell } from "./cell.ts";
export type { CheckedModel, Topology } from "./model.ts";
export type { ParamEntry } from "./params.ts";
export { formatDim, formatShape, type Dim } from "./dims.ts";
export { CODES } from "./codes.ts";
