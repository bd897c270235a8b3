/**
 * `decode(from: enc, ...)` and `generate(...)`: a cell that feeds its own outputs back, with
 * optional attention over an encoder's outputs, teacher forcing in training (and scheduled
 * sampling), and greedy, sampled or beam-search decoding. Checks the options, instantiates
 * the cell for its input width, names the parameters and records what lowering needs.
 */
import type { Call, Expr, Span } from "../../dsl/ast.ts";
import { bindArgs, readChoice, readInteger, readNumber } from "./args.ts";
import { evaluateDim, instantiateCell, type CellInstance } from "./cell-instance.ts";
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
import { cellOption } from "./cell-option.ts";
import { LIMITS } from "./limits.ts";

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
  /**
   * `teacher_forcing: decay(from:, to:, steps:)`: the ratio falls linearly from `from` to `to`
   * over the trainer's first `steps` steps (Bengio et al. 2015's linear decay), then stays at
   * `to`; `teacherForcing` is then `to` (the ratio when evaluating).
   */
  readonly teacherForcingDecay?: {
    readonly from: number;
    readonly to: number;
    readonly steps: number;
  };
  readonly encoder: EncoderInfo | undefined;
  readonly prefix: string;
}

/** `decay(from: 1, to: 0.25, steps: 1000)`: a teacher-forcing ratio falling over training. */
function readDecay(scope: ModelScope, call: Call): DecoderInfo["teacherForcingDecay"] {
  const report = scope.report;
  const args = bindArgs(call, { positional: [], options: ["from", "to", "steps"] }, report);
  if (!args) return undefined;
  const need = (option: string) => {
    const arg = args.named.get(option);
    if (!arg)
      return report.error(
        "missingOption",
        call.span,
        `decay needs '${option}'`,
        "write decay(from: 1, to: 0.25, steps: 1000)",
      );
    return option === "steps"
      ? readInteger(arg.value, "steps", report, 1)
      : readNumber(arg.value, `'${option}'`, report, { min: 0, max: 1 });
  };
  const [from, to, steps] = [need("from"), need("to"), need("steps")];
  if (from === undefined || to === undefined || steps === undefined) return undefined;
  return { from, to, steps };
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

export function decoder(
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
  const int = (name: string, min: number, max?: number) => {
    const e = opt(name);
    return e ? readInteger(e, `'${name}'`, report, min, max) : undefined;
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
  const maxSteps = int("max_steps", 1, LIMITS.decodeSteps);
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
  const teacherForcingDecay =
    ratioExpr?.kind === "call" && ratioExpr.callee.name === "decay"
      ? readDecay(scope, ratioExpr)
      : undefined;
  const teacherForcing = teacherForcingDecay
    ? teacherForcingDecay.to
    : ratioExpr
      ? readNumber(ratioExpr, "teacher_forcing", report, { min: 0, max: 1 })
      : 1;
  if (ratioExpr?.kind === "call" && !teacherForcingDecay) return undefined;
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
    teacherForcingDecay,
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
