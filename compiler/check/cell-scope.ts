/**
 * What a cell body can see while it is checked: its header sizes and scalars, its input,
 * states, explicit params and the values bound so far, plus the unknown-size solver, the
 * parameter table being built and the types of every expression.
 */
import type { Call, Expr, Span } from "../../dsl/ast.ts";
import { Solver, type Dim } from "./dims.ts";
import type { DefinitionOrder } from "./order.ts";
import { ParamNamer, type ParamEntry } from "./params.ts";
import type { Reporter } from "./report.ts";

export type CellBindingKind = "size" | "scalar" | "input" | "state" | "param" | "value";

export interface CellBinding {
  readonly kind: CellBindingKind;
  /** Vector shape (`[]` for scalars). Sizes have no shape: they are used in shapes. */
  readonly shape: readonly Dim[];
  readonly span: Span;
  /** For sizes: the symbol. For scalars: the default value. */
  readonly symbol?: string;
  readonly value?: number;
}

/** A checked expression's type: a tensor of rank 0 or 1, or the parts of a `split`. */
export type CellType =
  { kind: "tensor"; shape: readonly Dim[] } | { kind: "tuple"; parts: readonly (readonly Dim[])[] };

export class CellScope {
  readonly solver = new Solver();
  readonly namer = new ParamNamer();
  readonly names = new Map<string, CellBinding>();
  readonly next = new Map<string, { shape: readonly Dim[]; span: Span }>();
  readonly params: ParamEntry<Dim>[] = [];
  readonly types = new Map<Expr, readonly Dim[]>();
  readonly callParams = new Map<Call, string[]>();
  /** `linear`s whose output size is an unknown, to report if it is never inferred. */
  readonly openSizes: { call: Call; dim: Dim }[] = [];
  /** The statement being checked: its index (for definition order) and parameter prefix. */
  statement = 0;
  prefix = "";

  constructor(
    readonly report: Reporter,
    readonly order: DefinitionOrder,
  ) {}

  addParam(entry: ParamEntry<Dim>, call: Call | undefined): void {
    this.params.push(entry);
    if (call) this.callParams.set(call, [...(this.callParams.get(call) ?? []), entry.name]);
  }

  sizeSymbols(): Map<string, string> {
    const out = new Map<string, string>();
    for (const [name, b] of this.names) if (b.kind === "size" && b.symbol) out.set(name, b.symbol);
    return out;
  }
}
