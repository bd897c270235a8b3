/**
 * What a model body can see while it is checked: the cells in scope, its inputs and the
 * values bound so far; the parameter table being built, the types of every expression, and
 * what each encode / decode / generate call was resolved to (for lowering).
 */
import type { Call, Expr, Span } from "../../dsl/ast.ts";
import type { CheckedCell } from "./cell.ts";
import type { DecoderInfo } from "./decode.ts";
import type { EncoderInfo, ModelType } from "./model-types.ts";
import type { DefinitionOrder } from "./order.ts";
import { ParamNamer, type ParamEntry } from "./params.ts";
import type { Reporter } from "./report.ts";

export interface ModelBinding {
  readonly kind: "input" | "value" | "output";
  readonly type: ModelType | undefined;
  readonly span: Span;
}

export class ModelScope {
  readonly namer = new ParamNamer();
  readonly names = new Map<string, ModelBinding>();
  /** Unknown names already reported: one diagnostic per name, not one per use. */
  readonly unknownNames = new Set<string>();
  readonly params: ParamEntry<number>[] = [];
  readonly types = new Map<Expr, ModelType>();
  readonly callParams = new Map<Call, string[]>();
  readonly encoders = new Map<Call, EncoderInfo>();
  readonly decoders = new Map<Call, DecoderInfo>();
  statement = 0;
  prefix = "";
  /** The whole right-hand side of the current statement: a call there is named after the binding. */
  statementValue: Expr | undefined;

  constructor(
    readonly report: Reporter,
    readonly order: DefinitionOrder,
    readonly cells: ReadonlyMap<string, CheckedCell>,
  ) {}

  /** The parameter stem of a call: the binding's name, or `binding.callee` when nested. */
  stem(call: Call): string {
    return this.namer.unique(
      call === this.statementValue ? this.prefix : `${this.prefix}.${call.callee.name}`,
    );
  }

  addParam(call: Call, entry: ParamEntry<number>): void {
    this.params.push(entry);
    const list = this.callParams.get(call);
    if (list) list.push(entry.name);
    else this.callParams.set(call, [entry.name]);
  }
}
