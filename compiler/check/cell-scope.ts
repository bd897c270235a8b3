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

/** `invalid`: a name whose definition had errors (already reported); reads of it stay silent. */
export type CellBindingKind = "size" | "scalar" | "input" | "state" | "param" | "value" | "invalid";

const NOT_SIZES: Partial<Record<CellBindingKind, string>> = {
  scalar: "a number option",
  input: "the cell's input",
  state: "a state",
  param: "a param",
  value: "a value",
};

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
  /** Unknown names already reported: one diagnostic per name, not one per use. */
  readonly unknownNames = new Set<string>();
  /** Header size options by name (`hidden` → `H`): the body uses the symbol, not the option. */
  readonly sizeOptions = new Map<string, string>();
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
    if (!call) return;
    const list = this.callParams.get(call);
    if (list) list.push(entry.name);
    else this.callParams.set(call, [entry.name]);
  }

  /** Help for a size written by its option's name (`[hidden]`, not `[H]`), or a non-size. */
  sizeHint(name: string): string | undefined {
    const symbol = this.sizeOptions.get(name);
    if (symbol !== undefined && symbol !== name)
      return `'${name}' names the option; in the cell body its size is '${symbol}': write ${symbol}`;
    const what = NOT_SIZES[this.names.get(name)?.kind ?? "size"];
    return what
      ? `'${name}' is ${what}, not a size; sizes are declared in the header, e.g. cell c(hidden: H)`
      : undefined;
  }

  sizeSymbols(): Map<string, string> {
    const out = new Map<string, string>();
    for (const [name, b] of this.names) if (b.kind === "size" && b.symbol) out.set(name, b.symbol);
    return out;
  }
}
