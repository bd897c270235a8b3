/**
 * The weights of a spec's model (rnnc names) → a PyTorch state_dict: the heart of
 * `rnnc export-torch`. Each torch.nn module of the spec (torch-layout.ts) is named after its
 * rnnc binding (`enc.weight_ih_l0`, `logit.weight`), or as `--map` says, and its gates are
 * stacked into torch's fused tensors (runtime/weights/torch-names.ts).
 *
 * The file's metadata describes each module (`torch_modules`: class, sizes, layers, ...), so
 * a script can build the modules and `load_state_dict(strict=True)` without reading the spec
 * (scripts/torch-interop.py does). Parameters no torch.nn module holds are an error (RNN4602)
 * naming each, unless `keepUnmapped` writes them under their rnnc names.
 */
import { assertWeights } from "../../runtime/weights/check.ts";
import type { Tensor } from "../../runtime/weights/safetensors.ts";
import { toTorch, type TorchModule } from "../../runtime/weights/torch-names.ts";
import type { CheckedModel } from "../check/model.ts";
import { INTEROP_CODES, InteropError } from "./errors.ts";
import { torchLayout, type SpecModule } from "./torch-layout.ts";

/** A tensor name as torch's recurrent modules write them. */
const TORCH_NAME = /(^|\.)(weight|bias)_(ih|hh|hr)_l\d+(_reverse)?$/;

export interface ExportOptions {
  /** torch module name → rnnc binding; unnamed modules keep their binding's name. */
  readonly map?: ReadonlyMap<string, string>;
  /** Write parameters no torch.nn module holds under their rnnc names instead of failing. */
  readonly keepUnmapped?: boolean;
}

/** One module as the metadata describes it: the arguments of its torch.nn constructor. */
export interface TorchModuleRecord {
  /** Its name in the state_dict (a dotted path of attributes). */
  readonly name: string;
  readonly module: TorchModule["module"];
  /** RNN/LSTM/GRU: input_size, hidden_size; Linear: in/out_features; Embedding: num, dim. */
  readonly args: readonly number[];
  readonly num_layers?: number;
  readonly bidirectional?: boolean;
  readonly proj_size?: number;
  readonly nonlinearity?: "tanh" | "relu";
  readonly bias?: boolean;
  /** The spec's binding. */
  readonly rnnc: string;
}

export interface ExportResult {
  readonly stateDict: Map<string, Tensor>;
  readonly modules: readonly TorchModuleRecord[];
  /** Parameters written under their rnnc names (keepUnmapped). */
  readonly kept: readonly string[];
  /** safetensors `__metadata__`. */
  readonly metadata: Record<string, string>;
}

function record(m: SpecModule, name: string): TorchModuleRecord {
  const t = m.torch;
  const base = { name, module: t.module, args: [m.sizes.input, m.sizes.hidden], rnnc: t.prefix };
  switch (t.module) {
    case "Linear":
      return { ...base, bias: t.bias !== false };
    case "Embedding":
      return base;
    default:
      return {
        ...base,
        num_layers: t.layers ?? 1,
        bidirectional: t.bidirectional ?? false,
        ...(t.module === "LSTM" ? { proj_size: t.proj_size ?? 0 } : {}),
        ...(t.module === "RNN" ? { nonlinearity: t.nonlinearity ?? "tanh" } : {}),
      };
  }
}

/** The state_dict of `model` with `weights` (every parameter, rnnc names). */
export function exportTorch(
  model: CheckedModel,
  weights: ReadonlyMap<string, Tensor>,
  options: ExportOptions = {},
): ExportResult {
  const torchNamed = [...weights.keys()].filter((n) => TORCH_NAME.test(n));
  if (torchNamed.length > 0 && !model.params.some((p) => p.name === torchNamed[0]))
    throw new InteropError(INTEROP_CODES.stateDict, [
      {
        message: "the weights have PyTorch names: they are a state_dict already",
        details: torchNamed.slice(0, 4).concat(torchNamed.length > 4 ? ["..."] : []),
        help: "export-torch reads rnnc names (rnnc check --params); rnnc import-torch SPEC --state-dict FILE reads a state_dict",
      },
    ]);
  assertWeights(model.params, weights, { context: `for model '${model.name}'` });
  const layout = torchLayout(model);
  const prefixes = layout.modules.map((m) => m.torch.prefix);
  const nameOf = new Map<string, string>();
  const bad: string[] = [];
  for (const [torch, rnnc] of options.map ?? []) {
    if (!prefixes.includes(rnnc))
      bad.push(
        `--map ${torch}=${rnnc}: the spec has no torch.nn module '${rnnc}' (it has ${prefixes.join(", ") || "none"})`,
      );
    else nameOf.set(rnnc, torch);
  }
  if (bad.length > 0)
    throw new InteropError(INTEROP_CODES.badMap, [{ message: "bad --map", details: bad }]);
  if (layout.unmappable.length > 0 && !options.keepUnmapped)
    throw new InteropError(
      INTEROP_CODES.noTorchModule,
      layout.unmappable.map((u) => ({
        message: `no torch.nn module holds ${u.params.length === 1 ? "this parameter" : `these ${u.params.length} parameters`}: ${u.why}`,
        span: u.span,
        details: u.params,
        help: "--keep-unmapped writes them under their rnnc names (they then load with strict=False only)",
      })),
    );
  const records = layout.modules.map((m) =>
    record(m, nameOf.get(m.torch.prefix) ?? m.torch.prefix),
  );
  const modules: TorchModule[] = layout.modules.map((m, i) => ({
    ...m.torch,
    torch_prefix: records[i]!.name,
  }));
  const covered = new Set(layout.modules.flatMap((m) => m.params));
  const stateDict = toTorch(new Map([...weights].filter(([n]) => covered.has(n))), modules);
  const kept = layout.unmappable.flatMap((u) => u.params);
  for (const name of kept) stateDict.set(name, weights.get(name)!);
  return {
    stateDict,
    modules: records,
    kept,
    metadata: {
      format: "pt",
      generator: "rnnc export-torch",
      model: model.name,
      torch_modules: JSON.stringify(records),
    },
  };
}
