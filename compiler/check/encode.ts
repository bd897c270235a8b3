/**
 * `encode(x, cell: C(...), layers:, bidirectional, merge:, dropout:, recurrent_dropout:,
 * zoneout:)`: resolves the cell, instantiates it per layer (layer k reads layer k-1's merged
 * outputs), names each layer's and direction's parameters and records the encoder's
 * structure for lowering.
 */
import type { Call } from "../../dsl/ast.ts";
import { bindArgs, readBool, readChoice, readInteger, readNumber } from "./args.ts";
import { instantiateCell, type CellInstance } from "./cell-instance.ts";
import type { ModelScope } from "./model-scope.ts";
import { featuresOf } from "./model-expr.ts";
import { formatType, tensor, type EncoderInfo, type RecordType } from "./model-types.ts";
import { cellOption } from "./cell-option.ts";

/** A bound on stacked layers, so a typo (layers: 100000) is an error, not a hang. */
const MAX_LAYERS = 256;
export function encode(scope: ModelScope, call: Call): RecordType | undefined {
  const args = bindArgs(
    call,
    {
      positional: ["x"],
      options: [
        "cell",
        "layers",
        "bidirectional",
        "merge",
        "dropout",
        "recurrent_dropout",
        "zoneout",
      ],
      flags: ["bidirectional"],
    },
    scope.report,
  );
  if (!args) return undefined;
  const x = featuresOf(scope, args.positional[0]!, "the sequence that encode reads");
  if (x && !x.time) {
    scope.report.error(
      "wrongArgumentType",
      args.positional[0]!.span,
      `encode reads a sequence, got ${formatType(x)}`,
      "declare the input with a time axis, e.g. input x: float[T, 10]",
    );
    return undefined;
  }
  if (x && x.dims.length !== 1) {
    scope.report.error(
      "wrongArgumentType",
      args.positional[0]!.span,
      `encode reads one vector per step, got ${formatType(x)}`,
    );
    return undefined;
  }
  const cellArg = cellOption(scope, call, args);
  const layersArg = args.named.get("layers");
  let layers = layersArg ? readInteger(layersArg.value, "layers", scope.report, 1) : 1;
  if (layersArg && layers !== undefined && layers > MAX_LAYERS) {
    layers = scope.report.error(
      "badValue",
      layersArg.value.span,
      `layers must be at most ${MAX_LAYERS}, got ${layers}`,
      "deep recurrent stacks rarely pass 8 layers",
    );
  }
  const bidirectional =
    args.flags.has("bidirectional") ||
    (args.named.has("bidirectional")
      ? readBool(args.named.get("bidirectional")!.value, "bidirectional", scope.report)
      : false);
  const mergeArg = args.named.get("merge");
  const merge = mergeArg
    ? readChoice(mergeArg.value, "merge", ["concat", "sum", "mean"] as const, scope.report)
    : "concat";
  if (mergeArg && !bidirectional)
    scope.report.error(
      "misplaced",
      mergeArg.span,
      "merge: applies only to a bidirectional encoder",
      "add bidirectional, or remove merge",
    );
  const dropoutArg = args.named.get("dropout");
  const dropout = dropoutArg
    ? readNumber(dropoutArg.value, "dropout", scope.report, { min: 0, below: 1 })
    : 0;
  const probability = (option: string) => {
    const arg = args.named.get(option);
    return arg ? readNumber(arg.value, option, scope.report, { min: 0, below: 1 }) : 0;
  };
  const recurrentDropout = probability("recurrent_dropout");
  const zoneout = probability("zoneout");
  if (
    !x ||
    !cellArg ||
    layers === undefined ||
    bidirectional === undefined ||
    !merge ||
    dropout === undefined ||
    recurrentDropout === undefined ||
    zoneout === undefined
  )
    return undefined;

  const stem = scope.stem(call);
  const dirs = bidirectional ? 2 : 1;
  const instances: CellInstance[] = [];
  const prefixes: string[][] = [];
  let inputSize = x.dims[0]!;
  for (let layer = 0; layer < layers; layer++) {
    const instance = instantiateCell(
      cellArg.cell,
      cellArg.bound,
      inputSize,
      layer === 0 ? args.positional[0]!.span : cellArg.span,
      scope.report,
      layer === 0 ? undefined : layer + 1,
    );
    if (!instance) return undefined;
    instances.push(instance);
    const layerPrefixes = bidirectional
      ? [`${stem}.l${layer}`, `${stem}.l${layer}_reverse`]
      : [`${stem}.l${layer}`];
    prefixes.push(layerPrefixes);
    for (const prefix of layerPrefixes) {
      for (const p of instance.params) scope.addParam(call, { ...p, name: `${prefix}.${p.name}` });
    }
    inputSize = merge === "concat" ? instance.outputSize * dirs : instance.outputSize;
  }
  const top = instances[instances.length - 1]!;
  const factor = merge === "concat" ? dirs : 1;
  const width = top.outputSize * factor;
  const encoder: EncoderInfo = {
    layers,
    bidirectional,
    merge,
    dropout,
    recurrentDropout,
    zoneout,
    instances,
    prefixes,
    finalStates: top.states.map((s) => ({ name: s.name, size: s.size * factor })),
    width,
  };
  scope.encoders.set(call, encoder);
  return {
    kind: "record",
    label: "encode(...)",
    fields: new Map([
      ["outputs", tensor("float", x.time, [width], x.origins)],
      ["final", tensor("float", undefined, [width], [...x.origins, "final"])],
    ]),
    encoder,
  };
}
