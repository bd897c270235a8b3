/**
 * PyTorch state_dict names and layouts ↔ rnnc parameter names, both ways.
 *
 * torch.nn.RNN / LSTM / GRU keep all gates of one layer and direction in one tensor, in row
 * blocks (gate order LSTM i, f, g, o; GRU r, z, n):
 *
 *   weight_ih_l{k}[_reverse]  [G*H, in]     →  <p>.l{k}[_reverse].<gate>.x.weight  [H, in]
 *   weight_hh_l{k}[_reverse]  [G*H, H|P]    →  <p>.l{k}[_reverse].<gate>.h.weight  [H, H|P]
 *   bias_ih_l{k}[_reverse]    [G*H]         →  <p>.l{k}[_reverse].<gate>.x.bias    [H]
 *   bias_hh_l{k}[_reverse]    [G*H]         →  <p>.l{k}[_reverse].<gate>.h.bias    [H]
 *   weight_hr_l{k}[_reverse]  [P, H]        →  <p>.l{k}[_reverse].h_next.r.weight  [P, H]
 *
 * nn.RNN has one "gate", the cell's `h_next`. These are exactly the names `rnnc check --params`
 * gives the stdlib cells rnn / rnn_relu / lstm / lstm_proj / gru inside
 * `<p> = encode(..., layers:, bidirectional)`. nn.Linear and nn.Embedding keep their layout
 * (weights are [out, in] in both worlds): `<torch>.weight` → `<p>.weight`, `.bias` → `.bias`.
 *
 * Converting checks the whole state_dict first and reports every problem at once — tensors no
 * module claims, tensors a module needs but the dict lacks, wrong shapes — as one WeightsError.
 * Nothing is dropped silently.
 */
import { WEIGHTS_CODES, WeightsError } from "./errors.ts";
import {
  allocate,
  formatShape,
  numel,
  type Tensor,
  type TensorData,
  type TensorsInput,
} from "./safetensors.ts";

export type RecurrentModule = "RNN" | "LSTM" | "GRU";

/** A torch.nn.RNN / LSTM / GRU and the rnnc binding its parameters belong to. */
export interface TorchRecurrent {
  readonly module: RecurrentModule;
  /** The rnnc name prefix: the encoder's binding, `enc` (or `h.encode` when unnamed). */
  readonly prefix: string;
  /** The module's name in the torch state_dict, e.g. `rnn.` ("" for the module's own dict). */
  readonly torch_prefix?: string;
  /** num_layers (default 1). */
  readonly layers?: number;
  /** (default false) */
  readonly bidirectional?: boolean;
  /** LSTM only: proj_size (0 or absent = none; rnnc cell lstm_proj otherwise). */
  readonly proj_size?: number;
  /** RNN only: "tanh" (default; rnnc cell rnn) or "relu" (rnn_relu). Names are the same. */
  readonly nonlinearity?: "tanh" | "relu";
}

/** torch.nn.Linear: `weight [out, in]`, `bias [out]` → `<prefix>.weight`, `<prefix>.bias`. */
export interface TorchLinear {
  readonly module: "Linear";
  readonly prefix: string;
  readonly torch_prefix?: string;
  /** (default true) — rnnc's `linear(..., bias: false)` has no bias either. */
  readonly bias?: boolean;
}

/** torch.nn.Embedding: `weight [num, dim]` → `<prefix>.weight`. */
export interface TorchEmbedding {
  readonly module: "Embedding";
  readonly prefix: string;
  readonly torch_prefix?: string;
}

export type TorchModule = TorchRecurrent | TorchLinear | TorchEmbedding;

/** PyTorch's gate order in the row blocks of each recurrent module (= rnnc's gate names). */
export const TORCH_GATES: Readonly<Record<RecurrentModule, readonly string[]>> = {
  RNN: ["h_next"],
  LSTM: ["i", "f", "g", "o"],
  GRU: ["r", "z", "n"],
};

/**
 * Gate orders of other frameworks' fused layouts, for importers to come (data only).
 * `order` is the framework's own letters in block order; `rnnc` the stdlib gate each block is.
 */
export interface GateOrder {
  readonly framework: "torch" | "onnx" | "keras";
  readonly module: RecurrentModule;
  readonly order: readonly string[];
  readonly rnnc: readonly string[];
  readonly layout: string;
}

export const GATE_ORDERS: readonly GateOrder[] = [
  {
    framework: "torch",
    module: "LSTM",
    order: ["i", "f", "g", "o"],
    rnnc: ["i", "f", "g", "o"],
    layout: "weight_ih_l{k} [4H, in], weight_hh_l{k} [4H, H], bias_ih/bias_hh [4H]",
  },
  {
    framework: "torch",
    module: "GRU",
    order: ["r", "z", "n"],
    rnnc: ["r", "z", "n"],
    layout: "weight_ih_l{k} [3H, in], weight_hh_l{k} [3H, H], bias_ih/bias_hh [3H]",
  },
  {
    framework: "torch",
    module: "RNN",
    order: ["h"],
    rnnc: ["h_next"],
    layout: "weight_ih_l{k} [H, in], weight_hh_l{k} [H, H], bias_ih/bias_hh [H]",
  },
  {
    framework: "onnx",
    module: "LSTM",
    order: ["i", "o", "f", "c"],
    rnnc: ["i", "o", "f", "g"],
    layout:
      "W [dirs, 4H, in], R [dirs, 4H, H], B [dirs, 8H] (Wb blocks then Rb blocks), P peepholes [dirs, 3H] in order i, o, f",
  },
  {
    framework: "onnx",
    module: "GRU",
    order: ["z", "r", "h"],
    rnnc: ["z", "r", "n"],
    layout:
      "W [dirs, 3H, in], R [dirs, 3H, H], B [dirs, 6H]; linear_before_reset=1 is torch.nn.GRU (rnnc gru), 0 is gru_cho-like",
  },
  {
    framework: "onnx",
    module: "RNN",
    order: ["i"],
    rnnc: ["h_next"],
    layout: "W [dirs, H, in], R [dirs, H, H], B [dirs, 2H]",
  },
  {
    framework: "keras",
    module: "LSTM",
    order: ["i", "f", "c", "o"],
    rnnc: ["i", "f", "g", "o"],
    layout:
      "kernel [in, 4H] and recurrent_kernel [H, 4H] (transposed: column blocks), one bias [4H]",
  },
  {
    framework: "keras",
    module: "GRU",
    order: ["z", "r", "h"],
    rnnc: ["z", "r", "n"],
    layout:
      "kernel [in, 3H], recurrent_kernel [H, 3H] (column blocks); reset_after=True (TF2 default) is torch.nn.GRU with bias [2, 3H] (input, recurrent)",
  },
];

/** One torch tensor = its rnnc tensors stacked along the first axis, in this order. */
export interface NameMapping {
  readonly torch: string;
  readonly rnnc: readonly string[];
  /** What the blocks are, for messages: "i, f, g, o" or "". */
  readonly blocks: string;
}

function torchPrefixOf(m: TorchModule): string {
  const p = m.torch_prefix ?? "";
  return p === "" || p.endsWith(".") ? p : `${p}.`;
}

function rnncPrefixOf(m: TorchModule): string {
  return m.prefix.endsWith(".") ? m.prefix.slice(0, -1) : m.prefix;
}

function isRecurrent(m: TorchModule): m is TorchRecurrent {
  return m.module === "RNN" || m.module === "LSTM" || m.module === "GRU";
}

function projOf(m: TorchRecurrent): number {
  return m.module === "LSTM" ? (m.proj_size ?? 0) : 0;
}

/** The stdlib cell that computes what a torch recurrent module computes. */
export function rnncCell(m: TorchRecurrent): "rnn" | "rnn_relu" | "lstm" | "lstm_proj" | "gru" {
  switch (m.module) {
    case "RNN":
      return m.nonlinearity === "relu" ? "rnn_relu" : "rnn";
    case "LSTM":
      return projOf(m) > 0 ? "lstm_proj" : "lstm";
    case "GRU":
      return "gru";
  }
}

/** Problems with a description itself (not with any tensors). */
function describeProblems(m: TorchModule): string[] {
  const out: string[] = [];
  const what = `module '${torchPrefixOf(m) || "(root)"}'`;
  const kinds = ["RNN", "LSTM", "GRU", "Linear", "Embedding"];
  if (!kinds.includes(m.module)) {
    return [
      `${what}: unknown module kind ${JSON.stringify(m.module)} (known: ${kinds.join(", ")})`,
    ];
  }
  if (typeof m.prefix !== "string" || rnncPrefixOf(m) === "") {
    out.push(`${what}: the rnnc prefix must be a non-empty name, e.g. "enc"`);
  }
  if (isRecurrent(m)) {
    const layers = m.layers ?? 1;
    if (!Number.isSafeInteger(layers) || layers < 1) {
      out.push(`${what}: layers must be a whole number >= 1, got ${JSON.stringify(m.layers)}`);
    }
    const proj = m.proj_size ?? 0;
    if (!Number.isSafeInteger(proj) || proj < 0) {
      out.push(`${what}: proj_size must be a whole number >= 0, got ${JSON.stringify(proj)}`);
    }
    if (m.module !== "LSTM" && proj !== 0) out.push(`${what}: proj_size exists only for LSTM`);
    if (m.nonlinearity !== undefined && m.module !== "RNN") {
      out.push(`${what}: nonlinearity exists only for RNN`);
    }
    if (m.nonlinearity !== undefined && m.nonlinearity !== "tanh" && m.nonlinearity !== "relu") {
      out.push(
        `${what}: nonlinearity must be "tanh" or "relu", got ${JSON.stringify(m.nonlinearity)}`,
      );
    }
  }
  return out;
}

/** Every torch tensor of a module and the rnnc tensors it holds, in state_dict order. */
export function nameMappings(m: TorchModule): NameMapping[] {
  const t = torchPrefixOf(m);
  const r = rnncPrefixOf(m);
  if (m.module === "Linear") {
    const out: NameMapping[] = [{ torch: `${t}weight`, rnnc: [`${r}.weight`], blocks: "" }];
    if (m.bias !== false) out.push({ torch: `${t}bias`, rnnc: [`${r}.bias`], blocks: "" });
    return out;
  }
  if (m.module === "Embedding") return [{ torch: `${t}weight`, rnnc: [`${r}.weight`], blocks: "" }];
  const gates = TORCH_GATES[m.module];
  const blocks = gates.length > 1 ? gates.join(", ") : "";
  const out: NameMapping[] = [];
  for (let k = 0; k < (m.layers ?? 1); k++) {
    for (const reverse of m.bidirectional ? [false, true] : [false]) {
      const sfx = `l${k}${reverse ? "_reverse" : ""}`;
      const base = `${r}.${sfx}`;
      out.push(
        { torch: `${t}weight_ih_${sfx}`, rnnc: gates.map((g) => `${base}.${g}.x.weight`), blocks },
        { torch: `${t}weight_hh_${sfx}`, rnnc: gates.map((g) => `${base}.${g}.h.weight`), blocks },
        { torch: `${t}bias_ih_${sfx}`, rnnc: gates.map((g) => `${base}.${g}.x.bias`), blocks },
        { torch: `${t}bias_hh_${sfx}`, rnnc: gates.map((g) => `${base}.${g}.h.bias`), blocks },
      );
      if (projOf(m) > 0) {
        out.push({ torch: `${t}weight_hr_${sfx}`, rnnc: [`${base}.h_next.r.weight`], blocks: "" });
      }
    }
  }
  return out;
}

/**
 * Module sizes: for RNN / LSTM / GRU `input` = input_size and `hidden` = hidden_size; for
 * Linear in_features / out_features; for Embedding num_embeddings / embedding_dim.
 */
export interface ModuleSizes {
  readonly input: number;
  readonly hidden: number;
}

export interface NamedShape {
  readonly name: string;
  readonly shape: readonly number[];
}

/** The torch parameters of a module with these sizes, in state_dict order. */
export function torchParams(m: TorchModule, sizes: ModuleSizes): NamedShape[] {
  const shapes = torchShapes(m, sizes);
  return nameMappings(m).map((x) => ({ name: x.torch, shape: shapes.get(x.torch)! }));
}

/** The rnnc parameters of a module with these sizes, in `rnnc check --params` order. */
export function rnncParams(m: TorchModule, sizes: ModuleSizes): NamedShape[] {
  const shapes = torchShapes(m, sizes);
  const r = rnncPrefixOf(m);
  if (!isRecurrent(m)) {
    return nameMappings(m).map((x) => ({ name: x.rnnc[0]!, shape: shapes.get(x.torch)! }));
  }
  const out: NamedShape[] = [];
  const maps = new Map(nameMappings(m).map((x) => [x.torch, x]));
  const t = torchPrefixOf(m);
  const gates = TORCH_GATES[m.module];
  for (let k = 0; k < (m.layers ?? 1); k++) {
    for (const reverse of m.bidirectional ? [false, true] : [false]) {
      const sfx = `l${k}${reverse ? "_reverse" : ""}`;
      const block = (kind: string, j: number): NamedShape => {
        const torch = `${t}${kind}_${sfx}`;
        const shape = shapes.get(torch)!;
        return {
          name: maps.get(torch)!.rnnc[j]!,
          shape: [shape[0]! / gates.length, ...shape.slice(1)],
        };
      };
      gates.forEach((_, j) => {
        out.push(
          block("weight_ih", j),
          block("bias_ih", j),
          block("weight_hh", j),
          block("bias_hh", j),
        );
      });
      if (projOf(m) > 0) {
        out.push({
          name: `${r}.${sfx}.h_next.r.weight`,
          shape: shapes.get(`${t}weight_hr_${sfx}`)!,
        });
      }
    }
  }
  return out;
}

/** torch name → shape for a module of these sizes. */
function torchShapes(m: TorchModule, sizes: ModuleSizes): Map<string, number[]> {
  const t = torchPrefixOf(m);
  const out = new Map<string, number[]>();
  if (m.module === "Linear") {
    out.set(`${t}weight`, [sizes.hidden, sizes.input]);
    if (m.bias !== false) out.set(`${t}bias`, [sizes.hidden]);
    return out;
  }
  if (m.module === "Embedding") {
    out.set(`${t}weight`, [sizes.input, sizes.hidden]);
    return out;
  }
  const G = TORCH_GATES[m.module].length;
  const H = sizes.hidden;
  const P = projOf(m);
  const R = P > 0 ? P : H;
  const D = m.bidirectional ? 2 : 1;
  for (let k = 0; k < (m.layers ?? 1); k++) {
    for (const sfx of m.bidirectional ? [`l${k}`, `l${k}_reverse`] : [`l${k}`]) {
      out.set(`${t}weight_ih_${sfx}`, [G * H, k === 0 ? sizes.input : D * R]);
      out.set(`${t}weight_hh_${sfx}`, [G * H, R]);
      out.set(`${t}bias_ih_${sfx}`, [G * H]);
      out.set(`${t}bias_hh_${sfx}`, [G * H]);
      if (P > 0) out.set(`${t}weight_hr_${sfx}`, [P, H]);
    }
  }
  return out;
}

/** The sizes a module's torch tensors imply, or undefined when they cannot tell. */
function inferSizes(
  m: TorchModule,
  get: (torch: string) => Tensor | undefined,
): ModuleSizes | undefined {
  const t = torchPrefixOf(m);
  if (m.module === "Linear" || m.module === "Embedding") {
    const w = get(`${t}weight`);
    if (!w || w.shape.length !== 2) return undefined;
    return m.module === "Linear"
      ? { input: w.shape[1]!, hidden: w.shape[0]! }
      : { input: w.shape[0]!, hidden: w.shape[1]! };
  }
  const G = TORCH_GATES[m.module].length;
  const ih = get(`${t}weight_ih_l0`);
  const hh = get(`${t}weight_hh_l0`);
  const rows = hh?.shape.length === 2 ? hh.shape[0]! : ih?.shape.length === 2 ? ih.shape[0]! : -1;
  if (rows < 0 || rows % G !== 0 || !ih || ih.shape.length !== 2) return undefined;
  return { input: ih.shape[1]!, hidden: rows / G };
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Shape problems of a module's torch tensors (present ones only). */
function torchShapeProblems(m: TorchModule, get: (torch: string) => Tensor | undefined): string[] {
  const sizes = inferSizes(m, get);
  const problems: string[] = [];
  const blocksOf = new Map(nameMappings(m).map((x) => [x.torch, x]));
  if (!sizes) {
    const t = torchPrefixOf(m);
    const key = isRecurrent(m) ? `${t}weight_hh_l0` : `${t}weight`;
    const got = get(key) ?? get(`${t}weight_ih_l0`);
    if (got) {
      const G = isRecurrent(m) ? TORCH_GATES[m.module].length : 1;
      problems.push(
        `${key}: cannot tell the module's sizes from shape ${formatShape(got.shape)}` +
          (G > 1 ? ` (expected ${G} row blocks ${blocksOf.get(key)?.blocks ?? ""})` : ""),
      );
    }
    return problems;
  }
  for (const [name, shape] of torchShapes(m, sizes)) {
    const got = get(name);
    if (!got || sameShape(got.shape, shape)) continue;
    const mapping = blocksOf.get(name);
    const n = mapping?.rnnc.length ?? 1;
    const detail =
      n > 1
        ? ` (${n} row blocks ${mapping!.blocks} of ${formatShape([shape[0]! / n, ...shape.slice(1)])})`
        : "";
    problems.push(
      `${name}: expected shape ${formatShape(shape)}${detail}, got ${formatShape(got.shape)}`,
    );
  }
  return problems;
}

export interface ConvertOptions {
  /**
   * What to do with tensors no module claims: "error" (default) reports them, "keep" passes
   * them through under their own name.
   */
  readonly unmapped?: "error" | "keep";
  /** Names the source in the error message (a file name). */
  readonly source?: string;
}

function toMap(tensors: TensorsInput): ReadonlyMap<string, Tensor> {
  return tensors instanceof Map
    ? (tensors as ReadonlyMap<string, Tensor>)
    : new Map(Object.entries(tensors as Record<string, Tensor>));
}

interface Plan {
  readonly mappings: { mapping: NameMapping; module: TorchModule }[];
  readonly problems: string[];
}

/** All modules' mappings; problems with the descriptions or collisions between them. */
function plan(modules: readonly TorchModule[]): Plan {
  const problems: string[] = [];
  const mappings: Plan["mappings"] = [];
  const torchOwner = new Map<string, string>();
  const rnncOwner = new Map<string, string>();
  for (const module of modules) {
    const own = describeProblems(module);
    problems.push(...own);
    if (own.length > 0) continue;
    const label = `${module.module} '${torchPrefixOf(module) || "(root)"}' (→ ${rnncPrefixOf(module)})`;
    for (const mapping of nameMappings(module)) {
      const other = torchOwner.get(mapping.torch);
      if (other) problems.push(`${mapping.torch}: claimed by both ${other} and ${label}`);
      torchOwner.set(mapping.torch, label);
      for (const r of mapping.rnnc) {
        const o = rnncOwner.get(r);
        if (o) problems.push(`${r}: produced by both ${o} and ${label}`);
        rnncOwner.set(r, label);
      }
      mappings.push({ mapping, module });
    }
  }
  return { mappings, problems };
}

function fail(problems: string[], what: string, source: string | undefined): never {
  const from = source ? ` (${source})` : "";
  throw new WeightsError(
    WEIGHTS_CODES.unmapped,
    `${what}${from}: ${problems.length} problem${problems.length === 1 ? "" : "s"}:\n  ${problems.join("\n  ")}`,
    problems,
  );
}

function torchLooking(name: string): boolean {
  return /(^|\.)(weight|bias)_(ih|hh|hr)_l\d+(_reverse)?$/.test(name);
}

/**
 * A PyTorch state_dict (torch names) → rnnc-named tensors. Every module's tensors are split
 * into their gates; everything is checked first and all problems are reported in one error.
 */
export function fromTorch(
  stateDict: TensorsInput,
  modules: readonly TorchModule[],
  options: ConvertOptions = {},
): Map<string, Tensor> {
  const dict = toMap(stateDict);
  const { mappings, problems } = plan(modules);
  const claimed = new Set(mappings.map((x) => x.mapping.torch));
  const reported = new Set<string>();
  for (const { mapping } of mappings) {
    if (!dict.has(mapping.torch) && !reported.has(mapping.torch)) {
      reported.add(mapping.torch);
      problems.push(
        `${mapping.torch}: missing from the state_dict (it holds ${mapping.rnnc.join(", ")})`,
      );
    }
  }
  for (const module of modules) {
    if (describeProblems(module).length > 0) continue;
    problems.push(...torchShapeProblems(module, (n) => dict.get(n)));
  }
  const keep = options.unmapped === "keep";
  const unmapped = [...dict.keys()].filter((n) => !claimed.has(n));
  if (!keep) {
    for (const name of unmapped) {
      const hint = torchLooking(name)
        ? " (a recurrent layer or direction the module descriptions do not have: check layers, bidirectional and torch_prefix)"
        : "";
      problems.push(`${name}: no module description claims this tensor${hint}`);
    }
  }
  const out = new Map<string, Tensor>();
  if (problems.length === 0) {
    for (const { mapping } of mappings) {
      const whole = dict.get(mapping.torch)!;
      const parts = splitRows(whole, mapping.rnnc.length);
      mapping.rnnc.forEach((name, j) => out.set(name, parts[j]!));
    }
    if (keep) {
      for (const name of unmapped) {
        if (out.has(name)) problems.push(`${name}: passed through, but a module also produces it`);
        else out.set(name, dict.get(name)!);
      }
    }
  }
  if (problems.length > 0) {
    fail(problems, "the PyTorch state_dict does not match the module descriptions", options.source);
  }
  return out;
}

/**
 * rnnc-named tensors → a PyTorch state_dict: each module's gates are stacked back into
 * torch's fused tensors. All problems are reported in one error.
 */
export function toTorch(
  tensors: TensorsInput,
  modules: readonly TorchModule[],
  options: ConvertOptions = {},
): Map<string, Tensor> {
  const dict = toMap(tensors);
  const { mappings, problems } = plan(modules);
  const claimed = new Set(mappings.flatMap((x) => x.mapping.rnnc));
  const built = new Map<string, Tensor>();
  for (const { mapping } of mappings) {
    const parts: Tensor[] = [];
    for (const name of mapping.rnnc) {
      const t = dict.get(name);
      if (!t) problems.push(`${name}: missing (needed for ${mapping.torch})`);
      else parts.push(t);
    }
    if (parts.length !== mapping.rnnc.length) continue;
    const first = parts[0]!;
    let consistent = true;
    parts.forEach((p, j) => {
      const name = mapping.rnnc[j]!;
      if (p.shape.length === 0) {
        problems.push(`${name}: a scalar cannot be a row block of ${mapping.torch}`);
        consistent = false;
      } else if (!sameShape(p.shape, first.shape)) {
        problems.push(
          `${name}: shape ${formatShape(p.shape)} differs from ${mapping.rnnc[0]} ${formatShape(first.shape)} (row blocks of ${mapping.torch} must agree)`,
        );
        consistent = false;
      } else if (p.dtype !== first.dtype) {
        problems.push(
          `${name}: dtype ${p.dtype} differs from ${mapping.rnnc[0]} ${first.dtype} (row blocks of ${mapping.torch} must agree)`,
        );
        consistent = false;
      }
    });
    if (consistent) built.set(mapping.torch, concatRows(parts));
  }
  if (problems.length === 0) {
    for (const module of modules) problems.push(...torchShapeProblems(module, (n) => built.get(n)));
  }
  const unmapped = [...dict.keys()].filter((n) => !claimed.has(n));
  if (options.unmapped !== "keep") {
    for (const name of unmapped) {
      const hint = /\.l\d+(_reverse)?\./.test(name)
        ? " (a layer or direction the module descriptions do not have: check layers, bidirectional and prefix)"
        : "";
      problems.push(`${name}: no module description claims this tensor${hint}`);
    }
  } else {
    for (const name of unmapped) {
      if (built.has(name)) problems.push(`${name}: passed through, but a module also produces it`);
      else built.set(name, dict.get(name)!);
    }
  }
  if (problems.length > 0) {
    fail(problems, "the rnnc weights do not match the PyTorch module descriptions", options.source);
  }
  // state_dict order: the modules' tensors in order, then what was passed through.
  const out = new Map<string, Tensor>();
  for (const { mapping } of mappings) out.set(mapping.torch, built.get(mapping.torch)!);
  for (const [name, t] of built) if (!out.has(name)) out.set(name, t);
  return out;
}

function splitRows(t: Tensor, n: number): Tensor[] {
  if (n === 1) return [t];
  const rows = t.shape[0]! / n;
  const shape = [rows, ...t.shape.slice(1)];
  const size = numel(shape);
  return Array.from({ length: n }, (_, j) => ({
    dtype: t.dtype,
    shape: [...shape],
    data: t.data.slice(j * size, (j + 1) * size) as TensorData,
  }));
}

function concatRows(parts: readonly Tensor[]): Tensor {
  const first = parts[0]!;
  if (parts.length === 1) return first;
  const shape = [first.shape[0]! * parts.length, ...first.shape.slice(1)];
  const data = allocate(first.dtype, numel(shape));
  let at = 0;
  for (const p of parts) {
    (data as unknown as { set(a: ArrayLike<unknown>, at: number): void }).set(p.data, at);
    at += p.data.length;
  }
  return { dtype: first.dtype, shape, data };
}
