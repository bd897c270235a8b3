/**
 * The sequence functions of a model: `encode` runs a cell over a sequence (layers,
 * bidirectional, dropout between layers); `decode` (encoder-decoder, optional attention)
 * and `generate` (one-to-many) run a cell that feeds its own outputs back, with teacher
 * forcing in training and greedy, sampling or beam search at inference. Each resolves its
 * cell, instantiates it per layer, names its parameters and records what lowering needs.
 */
import type { Call, Expr, Span } from "../../dsl/ast.ts";
import { bindArgs, readBool, readChoice, readInteger, readNumber, type BoundArgs } from "./args.ts";
import { bindCellArgs, evaluateDim, instantiateCell, type CellInstance } from "./cell-instance.ts";
import type { ModelScope } from "./model-scope.ts";
import { featuresOf, tensorOf, typeOf } from "./model-expr.ts";
import {
  formatType,
  tensor,
  type EncoderInfo,
  type RecordType,
  type Tensor,
} from "./model-types.ts";
import { didYouMean } from "./suggest.ts";

/** A bound on stacked layers, so a typo (layers: 100000) is an error, not a hang. */
const MAX_LAYERS = 256;

export type Attention = "none" | "luong" | "bahdanau";
export type Search =
  | { kind: "greedy" }
  | { kind: "sample"; temperature: number; topK: number | undefined }
  | { kind: "beam"; width: number; lengthPenalty: number };

export interface DecoderInfo {
  readonly kind: "decode" | "generate";
  readonly instance: CellInstance;
  readonly attention: Attention;
  readonly attentionSize: number | undefined;
  /** Token mode: vocab/embed/bos/eos. Features mode (generate only): features. */
  readonly vocab: number | undefined;
  readonly embed: number | undefined;
  readonly bos: number | undefined;
  readonly eos: number | undefined;
  readonly features: number | undefined;
  readonly maxSteps: number;
  readonly search: Search;
  readonly teacherForcing: number;
  readonly encoder: EncoderInfo | undefined;
  readonly prefix: string;
}

export function checkSequenceCall(scope: ModelScope, call: Call): RecordType | undefined {
  switch (call.callee.name) {
    case "encode":
      return encode(scope, call);
    case "decode":
      return decoder(scope, call, "decode");
    default:
      return decoder(scope, call, "generate");
  }
}

/** Resolves `cell: lstm(hidden: 128)` to the checked cell and its bound sizes. */
function cellOption(scope: ModelScope, call: Call, args: BoundArgs) {
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

function encode(scope: ModelScope, call: Call): RecordType | undefined {
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

function readSearch(scope: ModelScope, expr: Expr): Search | undefined {
  const report = scope.report;
  if (expr.kind === "name" && expr.name === "greedy") return { kind: "greedy" };
  if (expr.kind === "call" && expr.callee.name === "sample") {
    const args = bindArgs(expr, { positional: [], options: ["temperature", "top_k"] }, report);
    if (!args) return undefined;
    const t = args.named.get("temperature");
    const k = args.named.get("top_k");
    const temperature = t ? readNumber(t.value, "temperature", report, { min: 1e-6 }) : 1;
    const topK = k ? readInteger(k.value, "top_k", report, 1) : undefined;
    return temperature === undefined || (k && topK === undefined)
      ? undefined
      : { kind: "sample", temperature, topK };
  }
  if (expr.kind === "call" && expr.callee.name === "beam") {
    const args = bindArgs(expr, { positional: [], options: ["width", "length_penalty"] }, report);
    if (!args) return undefined;
    const w = args.named.get("width");
    const lp = args.named.get("length_penalty");
    const width = w ? readInteger(w.value, "width", report, 1) : 4;
    const lengthPenalty = lp ? readNumber(lp.value, "length_penalty", report, { min: 0 }) : 1;
    return width === undefined || lengthPenalty === undefined
      ? undefined
      : { kind: "beam", width, lengthPenalty };
  }
  const hint =
    expr.kind === "name"
      ? didYouMean(expr.name, ["greedy"])
      : expr.kind === "call"
        ? didYouMean(expr.callee.name, ["sample", "beam"])
        : undefined;
  return report.error(
    "wrongArgumentType",
    expr.span,
    "search must be greedy, sample(temperature: t) or beam(width: k)",
    hint,
  );
}

const DECODER_OPTIONS = [
  "cell",
  "vocab",
  "embed",
  "bos",
  "eos",
  "max_steps",
  "teacher",
  "search",
  "teacher_forcing",
];

function decoder(
  scope: ModelScope,
  call: Call,
  kind: "decode" | "generate",
): RecordType | undefined {
  const report = scope.report;
  const options =
    kind === "decode"
      ? [...DECODER_OPTIONS, "from", "attention", "attention_size"]
      : [...DECODER_OPTIONS, "init", "features"];
  const args = bindArgs(call, { positional: [], options }, report);
  if (!args) return undefined;
  const opt = (name: string) => args.named.get(name)?.value;
  const int = (name: string, min: number) => {
    const e = opt(name);
    return e ? readInteger(e, `'${name}'`, report, min) : undefined;
  };
  const require = (name: string, example: string) =>
    opt(name)
      ? true
      : (report.error(
          "missingOption",
          call.callee.span,
          `${kind} needs '${name}'`,
          `add ${name}: ${example}`,
        ) ?? false);

  // What the decoder starts from: an encoder (decode) or an optional vector (generate).
  let encoder: EncoderInfo | undefined;
  let memory: Tensor | undefined;
  let initVector: Tensor | undefined;
  if (kind === "decode") {
    if (!require("from", "enc")) return undefined;
    const fromType = typeOf(scope, opt("from")!);
    if (!fromType) return undefined;
    if (fromType.kind !== "record" || !fromType.encoder) {
      return report.error(
        "wrongArgumentType",
        opt("from")!.span,
        `from: needs the result of encode(...), got ${formatType(fromType)}`,
        "decode reads the whole encoder (its outputs and final states): from: enc",
      );
    }
    encoder = fromType.encoder;
    memory = fromType.fields.get("outputs");
  } else if (opt("init")) {
    initVector = featuresOf(scope, opt("init")!, "init");
    if (initVector && initVector.time)
      return report.error(
        "wrongArgumentType",
        opt("init")!.span,
        `init is one vector per sequence, got ${formatType(initVector)}`,
      );
    if (!initVector) return undefined;
  }

  const featuresMode = kind === "generate" && opt("features") !== undefined;
  if (featuresMode && (opt("vocab") || opt("embed")))
    return report.error(
      "misplaced",
      call.span,
      "generate makes either tokens (vocab, embed) or feature vectors (features), not both",
    );
  const tokenOk =
    featuresMode ||
    [
      require("vocab", "1000"),
      require("embed", "64"),
      require("bos", "1"),
      require("eos", "2"),
    ].every(Boolean);
  if (!require("max_steps", "30") || !tokenOk) return undefined;
  const vocab = featuresMode ? undefined : int("vocab", 2);
  const embed = featuresMode ? undefined : int("embed", 1);
  const bos = featuresMode ? undefined : int("bos", 0);
  const eos = featuresMode ? undefined : int("eos", 0);
  const features = featuresMode ? int("features", 1) : undefined;
  const maxSteps = int("max_steps", 1);
  for (const [name, id] of [
    ["bos", bos],
    ["eos", eos],
  ] as const) {
    if (id !== undefined && vocab !== undefined && id >= vocab)
      report.error(
        "badValue",
        opt(name)!.span,
        `'${name}' must be a token id below vocab ${vocab}, got ${id}`,
      );
  }
  const attention =
    kind === "decode" && opt("attention")
      ? readChoice(opt("attention")!, "attention", ["none", "luong", "bahdanau"] as const, report)
      : "none";
  const search = opt("search") ? readSearch(scope, opt("search")!) : { kind: "greedy" as const };
  const ratioExpr = opt("teacher_forcing");
  const teacherForcing = ratioExpr
    ? readNumber(ratioExpr, "teacher_forcing", report, { min: 0, max: 1 })
    : 1;
  const teacher = opt("teacher") ? tensorOf(scope, opt("teacher")!, "teacher") : undefined;
  if (opt("teacher") && !teacher) return undefined;
  if (teacher) {
    const wantInt = !featuresMode;
    const okType =
      teacher.time !== undefined &&
      (wantInt
        ? teacher.dtype === "int" && teacher.dims.length === 0
        : teacher.dtype === "float" && teacher.dims.length === 1 && teacher.dims[0] === features);
    if (!okType) {
      const named = opt("teacher")!;
      return report.error(
        "wrongArgumentType",
        named.span,
        `teacher must be the target sequence, ${wantInt ? "int[T]" : `float[T, ${features}]`}; got ${formatType(teacher)}`,
        wantInt
          ? `${kind} writes token ids: its teacher is the target ids, e.g. input ${named.kind === "name" ? named.name : "targets"}: int[T] for training`
          : undefined,
      );
    }
  }
  const cellArg = cellOption(scope, call, args);
  if (!cellArg || maxSteps === undefined || !attention || !search || teacherForcing === undefined)
    return undefined;
  if (
    (!featuresMode &&
      (vocab === undefined || embed === undefined || bos === undefined || eos === undefined)) ||
    (featuresMode && features === undefined)
  )
    return undefined;

  // The cell's output size, known from its sizes alone, decides the attention and head widths.
  const cell = cellArg.cell;
  const hidden = cell.ok ? evaluateDim(cell.output.shape[0]!, cellArg.bound.sizes) : undefined;
  if (hidden === undefined) {
    if (cell.ok)
      report.error(
        "badShape",
        cellArg.span,
        `the output size of cell '${cell.name}' depends on its input; a ${kind} cell needs a fixed output size`,
      );
    return undefined;
  }
  const memoryWidth = memory?.dims[0] ?? 0;
  const attentionSizeExpr = opt("attention_size");
  const attentionSize =
    attention === "bahdanau"
      ? attentionSizeExpr
        ? readInteger(attentionSizeExpr, "attention_size", report, 1)
        : hidden
      : undefined;
  if (attentionSizeExpr && attention !== "bahdanau")
    report.error(
      "misplaced",
      attentionSizeExpr.span,
      "attention_size applies to bahdanau attention",
    );
  const feed = featuresMode ? features! : embed!;
  const inputSize =
    attention === "bahdanau" ? feed + memoryWidth : attention === "luong" ? feed + hidden : feed;
  const instance = instantiateCell(cell, cellArg.bound, inputSize, cellArg.span, report);
  if (!instance) return undefined;
  if (encoder) checkInitialStates(scope, encoder, instance, cellArg.span);
  if (initVector && initVector.dims[0] !== instance.states[0]!.size) {
    const init = opt("init")!;
    return report.error(
      "shapeMismatch",
      init.span,
      `init is ${formatType(initVector)} but the first state '${instance.states[0]!.name}' of cell '${cell.name}' is [${instance.states[0]!.size}]`,
      `project it: init: linear(${init.kind === "name" ? init.name : "v"}, ${instance.states[0]!.size})`,
    );
  }

  const stem = scope.stem(call);
  const add = (
    name: string,
    shape: number[],
    role: "weight" | "bias" | "embedding" | "param",
    fanIn: number | undefined = shape[1],
  ) =>
    scope.addParam(call, {
      name: `${stem}.${name}`,
      shape,
      init: role === "embedding" ? "normal" : "uniform",
      role,
      origin: call.span,
      fanIn,
    });
  if (!featuresMode) add("embed.weight", [vocab!, embed!], "embedding");
  for (const p of instance.params) scope.addParam(call, { ...p, name: `${stem}.cell.${p.name}` });
  let headIn = hidden;
  if (attention === "luong") {
    add("attn.weight", [hidden, memoryWidth], "weight");
    add("attn.combine.weight", [hidden, memoryWidth + hidden], "weight");
  } else if (attention === "bahdanau") {
    add("attn.query.weight", [attentionSize!, hidden], "weight");
    add("attn.key.weight", [attentionSize!, memoryWidth], "weight");
    add("attn.key.bias", [attentionSize!], "bias", memoryWidth);
    add("attn.v", [attentionSize!], "param", attentionSize);
    headIn = hidden + memoryWidth;
  }
  const outSize = featuresMode ? features! : vocab!;
  add("out.weight", [outSize, headIn], "weight");
  add("out.bias", [outSize], "bias", headIn);

  scope.decoders.set(call, {
    kind,
    instance,
    attention,
    attentionSize,
    vocab,
    embed,
    bos,
    eos,
    features,
    maxSteps,
    search,
    teacherForcing,
    encoder,
    prefix: stem,
  });
  const time = teacher?.time ?? `${scope.prefix}.steps`;
  const origin = kind === "decode" ? "decode" : "generate";
  const fields = new Map<string, Tensor>(
    featuresMode
      ? [["values", tensor("float", time, [features!], [origin])]]
      : [
          ["tokens", tensor("int", time, [], [origin])],
          ["logits", tensor("float", time, [vocab!], [origin])],
        ],
  );
  return { kind: "record", label: `${kind}(...)`, fields };
}

/**
 * Decoder states start from the encoder's final states of the same name; sizes must agree.
 * One diagnostic for all of them: they usually share one cause (the decoder's hidden size).
 */
function checkInitialStates(
  scope: ModelScope,
  encoder: EncoderInfo,
  instance: CellInstance,
  where: Span,
): void {
  const mismatched = instance.states.flatMap((state) => {
    const source = encoder.finalStates.find((s) => s.name === state.name);
    return source && source.size !== state.size ? [{ state, source }] : [];
  });
  const [first, ...others] = mismatched;
  if (!first) return;
  const { state, source } = first;
  scope.report.error(
    "shapeMismatch",
    where,
    `shape mismatch: the decoder's state '${state.name}' is [${state.size}] but the encoder's final '${state.name}' is [${source.size}]`,
    `the decoder starts from the encoder's final state: give it size ${source.size}${encoder.bidirectional ? " (both directions concatenated)" : ""}`,
    others.map((o) => ({
      message: `so is '${o.state.name}': [${o.state.size}] here, [${o.source.size}] in the encoder`,
      span: undefined,
    })),
  );
}
