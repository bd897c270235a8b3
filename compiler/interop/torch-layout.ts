/**
 * Which torch.nn module holds each parameter of a checked model: the model's side of
 * `rnnc import-torch` and `rnnc export-torch`.
 *
 *   encode(..., cell: rnn | rnn_relu | lstm | lstm_proj | gru, layers:, bidirectional)
 *                                   → nn.RNN (tanh / relu), nn.LSTM (proj_size), nn.GRU
 *   linear(v, n) / linear(v, n, bias: false)   → nn.Linear (bias=False)
 *   embedding(tokens, vocab:, dim:)            → nn.Embedding
 *
 * Only the standard library's cells count (a file's own cell called `lstm` is not torch's),
 * and each module's rnnc parameters must be exactly those runtime/weights/torch-names.ts maps.
 * Everything else — custom cells, decoders, a `linear` over several operands, `param`s — is
 * `unmappable`: no torch.nn module computes it, so its tensors can only travel under their
 * rnnc names.
 */
import type { Call, Span } from "../../dsl/ast.ts";
import {
  rnncParams,
  type ModuleSizes,
  type TorchModule,
  type TorchRecurrent,
} from "../../runtime/weights/torch-names.ts";
import { prelude } from "../check/prelude.ts";
import type { CheckedModel } from "../check/model.ts";
import type { EncoderInfo } from "../check/model-types.ts";

/** A part of the model that one torch.nn module computes. */
export interface SpecModule {
  /** The module, named by its rnnc prefix (`prefix`); no `torch_prefix` yet. */
  readonly torch: TorchModule;
  readonly sizes: ModuleSizes;
  /** For messages: "encoder 'enc' (nn.LSTM, 2 layers, bidirectional)". */
  readonly label: string;
  /** The call in the spec. */
  readonly span: Span;
  /** Its rnnc parameters, in `rnnc check --params` order. */
  readonly params: readonly string[];
}

/** Parameters no torch.nn module holds, and why. */
export interface Unmappable {
  readonly params: readonly string[];
  readonly span: Span | undefined;
  readonly why: string;
}

export interface TorchLayout {
  readonly modules: readonly SpecModule[];
  readonly unmappable: readonly Unmappable[];
}

/** The torch.nn class of a module, for messages: "nn.LSTM". */
export function torchClass(m: TorchModule): string {
  return `nn.${m.module}`;
}

/** "nn.LSTM, 2 layers, bidirectional, proj_size 3" */
export function describeModule(m: TorchModule, sizes: ModuleSizes): string {
  if (m.module === "Linear")
    return `nn.Linear(${sizes.input}, ${sizes.hidden}${m.bias === false ? ", bias=False" : ""})`;
  if (m.module === "Embedding") return `nn.Embedding(${sizes.input}, ${sizes.hidden})`;
  const parts = [`${torchClass(m)}(${sizes.input}, ${sizes.hidden})`];
  if ((m.layers ?? 1) > 1) parts.push(`${m.layers} layers`);
  if (m.bidirectional) parts.push("bidirectional");
  if (m.module === "LSTM" && (m.proj_size ?? 0) > 0) parts.push(`proj_size ${m.proj_size}`);
  if (m.module === "RNN" && m.nonlinearity === "relu") parts.push("relu");
  return parts.join(", ");
}

const CELLS: Readonly<Record<string, Pick<TorchRecurrent, "module" | "nonlinearity">>> = {
  rnn: { module: "RNN", nonlinearity: "tanh" },
  rnn_relu: { module: "RNN", nonlinearity: "relu" },
  lstm: { module: "LSTM" },
  lstm_proj: { module: "LSTM" },
  gru: { module: "GRU" },
};

function encoderModule(
  encoder: EncoderInfo,
): { torch: TorchRecurrent; sizes: ModuleSizes } | string {
  const first = encoder.instances[0]!;
  const name = first.cell.name;
  const kind = CELLS[name];
  const std = prelude();
  if (!kind || encoder.instances.some((i) => i.cell !== std.get(name)))
    return `cell ${name} is not one of the standard cells torch.nn computes (rnn, rnn_relu, lstm, lstm_proj, gru)`;
  const hidden = first.sizes.get("H")!;
  const proj = name === "lstm_proj" ? first.sizes.get("P")! : 0;
  const prefix = encoder.prefixes[0]![0]!.replace(/\.l0$/, "");
  const torch: TorchRecurrent = {
    ...kind,
    prefix,
    layers: encoder.layers,
    bidirectional: encoder.bidirectional,
    ...(kind.module === "LSTM" ? { proj_size: proj } : {}),
  };
  return { torch, sizes: { input: first.inputSize, hidden } };
}

/** The module a call of `linear` or `embedding` is, from its parameters' names and shapes. */
function layerModule(
  callee: string,
  names: readonly string[],
  shapeOf: (name: string) => readonly number[],
): { torch: TorchModule; sizes: ModuleSizes } | string {
  const weight = names.find((n) => n.endsWith(".weight"));
  const prefix = weight?.slice(0, -".weight".length);
  const w = weight ? shapeOf(weight) : undefined;
  if (callee === "embedding" && names.length === 1 && w?.length === 2)
    return {
      torch: { module: "Embedding", prefix: prefix! },
      sizes: { input: w[0]!, hidden: w[1]! },
    };
  const bias = names.length === 2 && names[1] === `${prefix}.bias`;
  if (callee === "linear" && w?.length === 2 && names[0] === weight && (names.length === 1 || bias))
    return {
      torch: { module: "Linear", prefix: prefix!, bias },
      sizes: { input: w[1]!, hidden: w[0]! },
    };
  return callee === "linear"
    ? "a linear over several operands (nn.Linear reads one)"
    : `${callee}(...) is not a torch.nn module rnnc maps`;
}

/** Every parameter of `model`, by the torch.nn module that holds it (or none). */
export function torchLayout(model: CheckedModel): TorchLayout {
  const shapes = new Map(model.params.map((p) => [p.name, p.shape]));
  const modules: SpecModule[] = [];
  const unmappable: Unmappable[] = [];
  const covered = new Set<string>();
  for (const [expr, names] of model.callParams) {
    const call = expr as Call;
    const callee = call.callee.name;
    names.forEach((n) => covered.add(n));
    const encoder = model.encoders.get(expr);
    const found = encoder
      ? encoderModule(encoder)
      : model.decoders.has(expr)
        ? `a ${callee}r's cell, embedding, attention and output layer are not one torch.nn module`
        : layerModule(callee, names, (n) => shapes.get(n) ?? []);
    if (typeof found === "string") {
      unmappable.push({ params: names, span: call.callee.span, why: found });
      continue;
    }
    // The names torch-names.ts gives must be exactly the model's, or the mapping is not this.
    const expected = rnncParams(found.torch, found.sizes);
    const same =
      expected.length === names.length &&
      expected.every((p) => {
        const s = shapes.get(p.name);
        return s !== undefined && names.includes(p.name) && s.join() === p.shape.join();
      });
    if (!same) {
      unmappable.push({
        params: names,
        span: call.callee.span,
        why: `its parameters are not those of ${torchClass(found.torch)}`,
      });
      continue;
    }
    const what = encoder ? "encoder" : callee;
    modules.push({
      torch: found.torch,
      sizes: found.sizes,
      label: `${what} '${found.torch.prefix}' (${describeModule(found.torch, found.sizes)})`,
      span: call.callee.span,
      params: expected.map((p) => p.name),
    });
  }
  const rest = model.params.filter((p) => !covered.has(p.name));
  if (rest.length > 0)
    unmappable.push({
      params: rest.map((p) => p.name),
      span: rest[0]!.origin,
      why: "a parameter of the model itself",
    });
  return { modules, unmappable };
}
