/**
 * A PyTorch state_dict → the weights of a spec's model (rnnc parameter names): the heart of
 * `rnnc import-torch`. The spec says which torch.nn module holds what (torch-layout.ts),
 * torch-match.ts pairs them with the state_dict's modules, and runtime/weights/torch-names.ts
 * splits the fused gate blocks. Parameters no torch.nn module holds (custom cells, decoders)
 * are taken from tensors under their rnnc names.
 *
 * Everything is checked before anything is converted, and every problem is reported at once:
 * each missing tensor, each tensor no module of the spec claims, each wrong shape or dtype,
 * each module two groups fit equally, by name, under the spec's call it belongs to.
 */
import { formatShape, type Tensor } from "../../runtime/weights/safetensors.ts";
import { fromTorch, TORCH_GATES, type TorchModule } from "../../runtime/weights/torch-names.ts";
import type { CheckedModel } from "../check/model.ts";
import { INTEROP_CODES, InteropError, type InteropProblem } from "./errors.ts";
import { describeModule, torchLayout, type SpecModule } from "./torch-layout.ts";
import {
  expectedParts,
  groupTensors,
  matchModules,
  torchName,
  type Match,
  type MatchedBy,
  type TorchGroup,
} from "./torch-match.ts";

export interface ImportOptions {
  /** torch module name ("" for the root) → rnnc binding: pairs the automatic match would miss. */
  readonly map?: ReadonlyMap<string, string>;
}

export interface ModuleImport {
  readonly module: SpecModule;
  /** The torch module's name in the state_dict ("" for the root). */
  readonly torch: string;
  readonly by: MatchedBy | "rnnc names";
}

export interface ImportResult {
  /** Every parameter of the model, by rnnc name. */
  readonly weights: Map<string, Tensor>;
  readonly modules: readonly ModuleImport[];
  /** Tensors taken under their own (rnnc) names. */
  readonly byName: readonly string[];
}

const FLOATS = new Set(["F32", "F64", "F16", "BF16"]);

/** F16 and BF16 are read into float32 arrays already: say so in the dtype. */
function widened(t: Tensor): Tensor {
  return t.dtype === "F16" || t.dtype === "BF16" ? { ...t, dtype: "F32" } : t;
}

/** What a recurrent group looks like, from its first layer: "nn.GRU(3, 5), 2 layers". */
function lookOf(group: TorchGroup): string | undefined {
  const hh = group.tensors.get("weight_hh_l0");
  const ih = group.tensors.get("weight_ih_l0");
  if (!hh || !ih || hh.shape.length !== 2 || ih.shape.length !== 2) return undefined;
  const layers = [...group.tensors.keys()].filter((k) => /^weight_ih_l\d+$/.test(k)).length;
  const extra = [
    ...(layers > 1 ? [`${layers} layers`] : []),
    ...(group.tensors.has("weight_ih_l0_reverse") ? ["bidirectional"] : []),
  ];
  const hr = group.tensors.get("weight_hr_l0");
  const hidden = hr?.shape.length === 2 ? hr.shape[1]! : hh.shape[1]!;
  const blocks = hh.shape[0]! / hidden;
  const kind = (Object.keys(TORCH_GATES) as (keyof typeof TORCH_GATES)[]).find(
    (k) => TORCH_GATES[k].length === blocks,
  );
  if (!kind) return undefined;
  return [
    `nn.${kind}(${ih.shape[1]}, ${hidden}${hr ? `, proj_size=${hr.shape[0]}` : ""})`,
    ...extra,
  ].join(", ");
}

function blocksNote(module: TorchModule, part: string, shape: readonly number[]): string {
  if (
    module.module === "Linear" ||
    module.module === "Embedding" ||
    !/^(weight|bias)_(ih|hh)/.test(part)
  )
    return "";
  const gates = TORCH_GATES[module.module];
  if (gates.length === 1) return "";
  return ` (${gates.length} row blocks ${gates.join(", ")} of ${formatShape([shape[0]! / gates.length, ...shape.slice(1)])})`;
}

/** Problems with the tensors of one matched module. */
function moduleProblems(match: Match): InteropProblem | undefined {
  const { module, group } = match;
  const want = expectedParts(module);
  const lines: string[] = [];
  for (const [part, shape] of want) {
    const name = torchName(group.name, part);
    const t = group.tensors.get(part);
    if (!t) lines.push(`${name}: missing (expected shape ${formatShape(shape)})`);
    else if (t.shape.join() !== shape.join())
      lines.push(
        `${name}: expected shape ${formatShape(shape)}${blocksNote(module.torch, part, shape)}, got ${formatShape(t.shape)}`,
      );
    else if (!FLOATS.has(t.dtype))
      lines.push(`${name}: expected a float tensor (F32, F64, F16 or BF16), got ${t.dtype}`);
  }
  for (const part of group.tensors.keys())
    if (!want.has(part))
      lines.push(`${torchName(group.name, part)}: the spec's module has no such tensor`);
  if (lines.length === 0) return undefined;
  const look =
    module.torch.module === "Linear" || module.torch.module === "Embedding"
      ? undefined
      : lookOf(group);
  const spec = describeModule(module.torch, module.sizes);
  const how = match.by === "--map" ? "as --map says" : `by ${match.by}`;
  return {
    message: `the state_dict's '${group.name || "(root)"}' (matched ${how}) does not fit ${module.label}`,
    span: module.span,
    details: lines,
    help:
      look && look !== spec
        ? `'${group.name || "(root)"}' looks like ${look}, the spec wants ${spec}: a state_dict of another architecture?`
        : undefined,
  };
}

/**
 * The weights of `model` from the PyTorch state_dict `dict`. Throws one InteropError (RNN4601,
 * or RNN4604 for a bad --map) listing every problem.
 */
export function importTorch(
  model: CheckedModel,
  dict: ReadonlyMap<string, Tensor>,
  options: ImportOptions = {},
): ImportResult {
  const layout = torchLayout(model);
  const map = options.map ?? new Map<string, string>();
  const prefixes = layout.modules.map((m) => m.torch.prefix);
  const mapProblems = [...map].flatMap(([torch, rnnc]) =>
    prefixes.includes(rnnc)
      ? []
      : [
          `--map ${torch}=${rnnc}: the spec has no torch.nn module '${rnnc}' (it has ${prefixes.join(", ") || "none"})`,
        ],
  );
  if (mapProblems.length > 0)
    throw new InteropError(INTEROP_CODES.badMap, [{ message: "bad --map", details: mapProblems }]);

  // A module or a custom parameter whose tensors are all there under rnnc names takes them.
  const done: ModuleImport[] = [];
  const modules = layout.modules.filter((m) => {
    const all = m.params.every((p) => dict.has(p));
    if (all) done.push({ module: m, torch: m.torch.prefix, by: "rnnc names" });
    return !all;
  });
  const byName = [
    ...done.flatMap((d) => d.module.params),
    ...layout.unmappable.flatMap((u) => u.params.filter((p) => dict.has(p))),
  ];
  const present = new Set(byName);
  const rest = new Map([...dict].filter(([n]) => !present.has(n)));
  const groups = groupTensors(rest);
  const problems: InteropProblem[] = [];
  for (const torch of map.keys())
    if (!groups.has(torch))
      problems.push({
        message: `--map ${torch}=${map.get(torch)}: the state_dict has no tensors under '${torch}.'`,
        help: `its modules: ${[...groups.keys()].map((g) => g || "(root)").join(", ")}`,
      });
  const { matches, unmatched, ambiguous } = matchModules(modules, groups, map);
  for (const m of matches) {
    const p = moduleProblems(m);
    if (p) problems.push(p);
  }
  for (const { module, candidates } of ambiguous)
    problems.push({
      message: `${candidates.length} modules of the state_dict fit ${module.label}: ${candidates.join(", ")}`,
      span: module.span,
      help: `say which with --map, e.g. --map ${candidates[0]}=${module.torch.prefix}`,
    });
  for (const module of unmatched)
    problems.push({
      message: `no module of the state_dict fits ${module.label}; it needs`,
      span: module.span,
      details: [...expectedParts(module)].map(
        ([part, shape]) => `<name>.${part}: missing (expected shape ${formatShape(shape)})`,
      ),
      help: `if the state_dict holds it under another layout or name, pair them with --map NAME=${module.torch.prefix}`,
    });
  for (const u of layout.unmappable) {
    const missing = u.params.filter((p) => !present.has(p));
    if (missing.length > 0)
      problems.push({
        message: `${missing.length} parameter${missing.length === 1 ? "" : "s"} missing: ${u.why}, so the state_dict must hold ${missing.length === 1 ? "it" : "them"} under rnnc names`,
        span: u.span,
        details: missing.map((p) => `${p}: missing`),
      });
  }
  // Groups an ambiguity is about are reported there, not again as unclaimed.
  const matched = new Set([
    ...matches.map((m) => m.group.name),
    ...ambiguous.flatMap((a) => a.candidates),
  ]);
  const unclaimed = [...groups.values()]
    .filter((g) => !matched.has(g.name))
    .flatMap((g) =>
      [...g.tensors].map(([part, t]) => `${torchName(g.name, part)} ${formatShape(t.shape)}`),
    );
  if (unclaimed.length > 0)
    problems.push({
      message: `${unclaimed.length} tensor${unclaimed.length === 1 ? "" : "s"} no module of the spec claims`,
      details: unclaimed,
      help:
        layout.modules.length > 0
          ? `the spec's torch.nn modules: ${layout.modules.map((m) => m.label).join("; ")}`
          : "the spec has no torch.nn modules (encode with rnn/lstm/gru cells, linear, embedding)",
    });
  for (const name of byName)
    if (!FLOATS.has(dict.get(name)!.dtype))
      problems.push({ message: `${name}: expected a float tensor, got ${dict.get(name)!.dtype}` });
  if (problems.length > 0) throw new InteropError(INTEROP_CODES.stateDict, problems);

  const torchModules: TorchModule[] = matches.map((m) => ({
    ...m.module.torch,
    torch_prefix: m.group.name,
  }));
  const claimed = new Map(
    matches.flatMap((m) =>
      [...m.group.tensors].map(([part, t]) => [torchName(m.group.name, part), widened(t)] as const),
    ),
  );
  const converted = fromTorch(claimed, torchModules);
  const weights = new Map<string, Tensor>();
  for (const p of model.params) {
    const t = converted.get(p.name) ?? dict.get(p.name);
    if (t) weights.set(p.name, widened(t));
  }
  return {
    weights,
    modules: [
      ...done,
      ...matches.map((m) => ({ module: m.module, torch: m.group.name, by: m.by })),
    ],
    byName,
  };
}
