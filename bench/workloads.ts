/**
 * The benchmark's workloads (issue 7): each one's rnnc spec, sizes, inputs, FLOP count, and
 * the architecture every peer rebuilds from the same weights.
 *
 * Weights: rnnc's own initial weights of the spec (seeded), converted once to a PyTorch
 * state_dict (`torchWeights`, names of the modules bench/torch_bench.py defines); ONNX and
 * tfjs models are built from that dict, and PyTorch loads it. Inputs come from a seeded
 * generator, identical for every system.
 *
 * FLOPs: 2 × the multiply-adds of the gate matrix products, 2·B·T·G·H·(I_l + H) per layer and
 * direction (G = 4 for LSTM, 3 for GRU; I_l the layer's input width), plus 2·B·in·out for a
 * Linear head (per decoding step for W8); embeddings, activations and layer norms count zero.
 * A training step (W5) counts 3 × the forward pass.
 */
import { readFileSync } from "node:fs";
import { checkParsed, prelude } from "../compiler/check/index.ts";
import type { CheckedModel } from "../compiler/check/model.ts";
import { parse } from "../dsl/parse.ts";
import { SourceFile } from "../dsl/source.ts";
import { initialWeights } from "../runtime/weights/init.ts";
import { toTorch, type Tensor, type TorchModule } from "../runtime/weights/index.ts";

export const SEED = 7;

export type CellKind = "lstm" | "gru" | "layernorm_lstm";

/** An encoder stack with an optional embedding in front and Linear head on its final state. */
export interface EncoderArch {
  readonly kind: "encoder";
  readonly cell: CellKind;
  readonly input: number;
  readonly hidden: number;
  readonly layers: number;
  readonly bidirectional: boolean;
  readonly embedding?: { readonly vocab: number; readonly dim: number };
  /** Linear(final → out); without it the output is the final hidden state. */
  readonly head?: number;
}

/** W8: an LSTM encoder over embedded tokens, an LSTMCell decoder decoding greedily. */
export interface Seq2SeqArch {
  readonly kind: "seq2seq";
  readonly vocab: number;
  readonly embed: number;
  readonly hidden: number;
  readonly srcLen: number;
  readonly maxSteps: number;
  readonly bos: number;
  readonly eos: number;
}

/** The GEMM probe: y = x·Wᵀ over every step (nn.Linear without bias), no recurrence. */
export interface GemmArch {
  readonly kind: "gemm";
  readonly input: number;
  readonly output: number;
}

export type Arch = EncoderArch | Seq2SeqArch | GemmArch;

/** What is timed: a forward pass, one streaming step, a training step, or a greedy decode. */
export type Mode = "forward" | "stream" | "train" | "decode";

export interface HostInput {
  readonly shape: readonly number[];
  readonly data: Float32Array | Int32Array;
}

export interface Workload {
  readonly id: string;
  readonly title: string;
  readonly spec: string;
  readonly mode: Mode;
  readonly arch: Arch;
  readonly batch: number;
  /** Sequence length (steps of a forward pass; source length for W8; 1 for W4). */
  readonly steps: number;
  /** The spec's sequence input and, for training, its target. */
  readonly inputName: string;
  readonly timeAxis: string;
  /** FLOPs per timed run (formula above). */
  readonly flops: number;
  /** Unit of the reported time. */
  readonly unit: "ms" | "µs";
}

function gemmFlops(a: EncoderArch, batch: number, steps: number): number {
  const gates = a.cell === "gru" ? 3 : 4;
  const dirs = a.bidirectional ? 2 : 1;
  let flops = 0;
  for (let l = 0; l < a.layers; l++) {
    const width = l === 0 ? (a.embedding?.dim ?? a.input) : dirs * a.hidden;
    flops += dirs * 2 * batch * steps * gates * a.hidden * (width + a.hidden);
  }
  if (a.head !== undefined) flops += 2 * batch * dirs * a.hidden * a.head;
  return flops;
}

function seq2seqFlops(a: Seq2SeqArch, batch: number): number {
  const cell = 2 * batch * 4 * a.hidden * (a.embed + a.hidden);
  return a.srcLen * cell + a.maxSteps * (cell + 2 * batch * a.hidden * a.vocab);
}

const W1_ARCH: EncoderArch = {
  kind: "encoder",
  cell: "lstm",
  input: 10,
  hidden: 128,
  layers: 2,
  bidirectional: false,
  head: 5,
};

function encoder(
  id: string,
  title: string,
  spec: string,
  arch: EncoderArch,
  batch: number,
  steps: number,
  mode: Mode = "forward",
  inputName = "x",
): Workload {
  const forward = gemmFlops(arch, batch, steps);
  return {
    id,
    title,
    spec,
    mode,
    arch,
    batch,
    steps,
    inputName,
    timeAxis: "T",
    flops: mode === "train" ? 3 * forward : forward,
    unit: mode === "stream" ? "µs" : "ms",
  };
}

const W8_ARCH: Seq2SeqArch = {
  kind: "seq2seq",
  vocab: 1000,
  embed: 128,
  hidden: 256,
  srcLen: 30,
  maxSteps: 30,
  bos: 1,
  eos: 2,
};

export const WORKLOADS: readonly Workload[] = [
  {
    id: "GEMM",
    title: "matrix product [1024, 1024] × [1024, 1024] (B8 T128 steps × Linear(1024→1024))",
    spec: "gemm.rnn",
    mode: "forward",
    arch: { kind: "gemm", input: 1024, output: 1024 },
    batch: 8,
    steps: 128,
    inputName: "x",
    timeAxis: "T",
    flops: 2 * 8 * 128 * 1024 * 1024,
    unit: "ms",
  },
  encoder(
    "W1",
    "LSTM in10 h128 2 layers B32 T100 + Linear(128→5)",
    "w1_lstm.rnn",
    W1_ARCH,
    32,
    100,
  ),
  encoder(
    "W2",
    "GRU in10 h128 2 layers B32 T100 + Linear(128→5)",
    "w2_gru.rnn",
    { ...W1_ARCH, cell: "gru" },
    32,
    100,
  ),
  encoder(
    "W3",
    "Emb(10000,100) → BiLSTM h256 2 layers B64 T128 → Linear(512→1)",
    "w3_bilstm.rnn",
    {
      kind: "encoder",
      cell: "lstm",
      input: 100,
      hidden: 256,
      layers: 2,
      bidirectional: true,
      embedding: { vocab: 10000, dim: 100 },
      head: 1,
    },
    64,
    128,
    "forward",
    "tokens",
  ),
  encoder(
    "W4",
    "one streaming step of W1's LSTM (+head), B1, state on device",
    "w1_lstm.rnn",
    W1_ARCH,
    1,
    1,
    "stream",
  ),
  encoder(
    "W5",
    "W1 forward + backward + Adam, MSE (training step)",
    "w1_lstm.rnn",
    W1_ARCH,
    32,
    100,
    "train",
  ),
  encoder(
    "W6",
    "LSTM in32 h256 1 layer B8 T1000",
    "w6_lstm_long.rnn",
    { kind: "encoder", cell: "lstm", input: 32, hidden: 256, layers: 1, bidirectional: false },
    8,
    1000,
  ),
  encoder(
    "W7",
    "layer-norm LSTM in256 h256 B32 T100 (custom cell)",
    "w7_layernorm_lstm.rnn",
    {
      kind: "encoder",
      cell: "layernorm_lstm",
      input: 256,
      hidden: 256,
      layers: 1,
      bidirectional: false,
    },
    32,
    100,
  ),
  {
    id: "W8",
    title: "seq2seq LSTM h256, src 30 tokens → greedy decode 30 tokens, B16",
    spec: "w8_seq2seq.rnn",
    mode: "decode",
    arch: W8_ARCH,
    batch: 16,
    steps: W8_ARCH.srcLen,
    inputName: "src",
    timeAxis: "S",
    flops: seq2seqFlops(W8_ARCH, 16),
    unit: "ms",
  },
];

const specCache = new Map<string, CheckedModel>();

/** The checked model of a workload's spec (bench/specs/). */
export function modelOf(w: Workload): CheckedModel {
  let model = specCache.get(w.spec);
  if (!model) {
    const path = new URL(`specs/${w.spec}`, import.meta.url);
    const checked = checkParsed(
      parse(new SourceFile(w.spec, readFileSync(path, "utf8"))),
      prelude(),
    );
    if (!checked.ok || checked.models.length !== 1)
      throw new Error(`bench/specs/${w.spec} does not check`);
    model = checked.models[0]!;
    specCache.set(w.spec, model);
  }
  return model;
}

/** A seeded stream of uniform values in [-1, 1) (Park–Miller). */
function stream(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1;
}

/**
 * The host inputs of one run: the sequence input (batch-major [B, T, ...]), its lengths (all
 * full), and for training the target `y` [B, out].
 */
export function inputsOf(w: Workload): Record<string, HostInput> {
  const random = stream(12345);
  const out: Record<string, HostInput> = {};
  const { batch, steps } = w;
  if (w.arch.kind === "gemm") {
    const n = batch * steps * w.arch.input;
    out[w.inputName] = {
      shape: [batch, steps, w.arch.input],
      data: Float32Array.from({ length: n }, random),
    };
  } else if (w.arch.kind === "seq2seq" || w.arch.embedding) {
    const vocab = w.arch.kind === "seq2seq" ? w.arch.vocab : w.arch.embedding!.vocab;
    const n = batch * steps;
    out[w.inputName] = {
      shape: [batch, steps],
      data: Int32Array.from({ length: n }, () => Math.floor(((random() + 1) / 2) * vocab) % vocab),
    };
  } else {
    const width = w.arch.input;
    out[w.inputName] = {
      shape: [batch, steps, width],
      data: Float32Array.from({ length: batch * steps * width }, random),
    };
  }
  out[`lengths.${w.timeAxis}`] = { shape: [batch], data: new Int32Array(batch).fill(steps) };
  if (w.mode === "train" && w.arch.kind === "encoder") {
    const n = batch * (w.arch.head ?? w.arch.hidden);
    out.y = {
      shape: [batch, w.arch.head ?? w.arch.hidden],
      data: Float32Array.from({ length: n }, random),
    };
  }
  return out;
}

/** rnnc's parameters of the workload (its spec's initial weights at SEED), float32. */
export function rnncWeights(w: Workload): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const [name, t] of initialWeights(modelOf(w).params, SEED))
    out.set(
      name,
      t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>),
    );
  return out;
}

export interface TorchTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** Stacks rnnc's per-gate tensors into one torch tensor (row blocks in `gates` order). */
function stack(p: Map<string, Float32Array>, names: readonly string[]): Float32Array {
  const parts = names.map((n) => {
    const t = p.get(n);
    if (!t) throw new Error(`internal: no rnnc parameter ${n}`);
    return t;
  });
  const out = new Float32Array(parts.reduce((a, t) => a + t.length, 0));
  let at = 0;
  for (const t of parts) out.set(t, (at += t.length) - t.length);
  return out;
}

/**
 * The weights as the PyTorch modules of bench/torch_bench.py name them:
 * - encoder workloads: `emb.weight`, `rnn.{weight,bias}_{ih,hh}_l{k}[_reverse]` (nn.LSTM /
 *   nn.GRU, gate row blocks i,f,g,o / r,z,n), `head.{weight,bias}`; the layer-norm LSTM's
 *   `cell.wx` [4H, I], `cell.wh.{weight,bias}`, `cell.ln_{x,h,c}.{weight,bias}`;
 * - GEMM: `lin.weight` (nn.Linear without bias);
 * - W8: `enc_emb.weight`, `enc.*_l0` (nn.LSTM), `dec_emb.weight`, `dec.{weight,bias}_{ih,hh}`
 *   (nn.LSTMCell), `out.{weight,bias}`.
 */
export function torchWeights(w: Workload, p: Map<string, Float32Array>): Map<string, TorchTensor> {
  const model = modelOf(w);
  const shapes = new Map(model.params.map((x) => [x.name, x.shape]));
  const rnnc = new Map<string, Tensor>();
  for (const [name, data] of p)
    rnnc.set(name, { dtype: "F32", shape: [...shapes.get(name)!], data });
  const out = new Map<string, TorchTensor>();
  const put = (name: string, shape: readonly number[], data: Float32Array) =>
    out.set(name, { shape, data });
  const a = w.arch;
  if (a.kind === "encoder" && a.cell === "layernorm_lstm") {
    const H = a.hidden;
    put("cell.wx", [4 * H, a.input], p.get("enc.l0.gates.x.weight")!);
    put("cell.wh.weight", [4 * H, H], p.get("enc.l0.gates.h.weight")!);
    put("cell.wh.bias", [4 * H], p.get("enc.l0.gates.h.bias")!);
    for (const [torch, r, n] of [
      ["ln_x", "gates.ln_x", 4 * H],
      ["ln_h", "gates.ln_h", 4 * H],
      ["ln_c", "h_next.ln_c_next", H],
    ] as const) {
      put(`cell.${torch}.weight`, [n], p.get(`enc.l0.${r}.weight`)!);
      put(`cell.${torch}.bias`, [n], p.get(`enc.l0.${r}.bias`)!);
    }
    return out;
  }
  const modules: TorchModule[] = [];
  if (a.kind === "gemm") {
    modules.push({ module: "Linear", prefix: "y", torch_prefix: "lin.", bias: false });
  } else if (a.kind === "encoder") {
    modules.push({
      module: a.cell === "gru" ? "GRU" : "LSTM",
      prefix: "enc",
      torch_prefix: "rnn.",
      layers: a.layers,
      bidirectional: a.bidirectional,
    });
    if (a.embedding)
      modules.push({ module: "Embedding", prefix: "enc.embedding", torch_prefix: "emb." });
    const head = model.params.find((x) => x.name.endsWith(".weight") && !x.name.startsWith("enc."));
    if (a.head !== undefined) {
      if (!head) throw new Error(`internal: ${w.spec} has no head`);
      modules.push({
        module: "Linear",
        prefix: head.name.slice(0, -".weight".length),
        torch_prefix: "head.",
      });
    }
  } else {
    modules.push(
      { module: "LSTM", prefix: "encoder", torch_prefix: "enc." },
      { module: "Embedding", prefix: "encoder.embedding", torch_prefix: "enc_emb." },
      { module: "Embedding", prefix: "dec.embed", torch_prefix: "dec_emb." },
      { module: "Linear", prefix: "dec.out", torch_prefix: "out." },
    );
    const gates = ["i", "f", "g", "o"];
    const H = a.hidden;
    put(
      "dec.weight_ih",
      [4 * H, a.embed],
      stack(
        p,
        gates.map((g) => `dec.cell.${g}.x.weight`),
      ),
    );
    put(
      "dec.weight_hh",
      [4 * H, H],
      stack(
        p,
        gates.map((g) => `dec.cell.${g}.h.weight`),
      ),
    );
    put(
      "dec.bias_ih",
      [4 * H],
      stack(
        p,
        gates.map((g) => `dec.cell.${g}.x.bias`),
      ),
    );
    put(
      "dec.bias_hh",
      [4 * H],
      stack(
        p,
        gates.map((g) => `dec.cell.${g}.h.bias`),
      ),
    );
    for (const name of [...rnnc.keys()]) if (name.startsWith("dec.cell.")) rnnc.delete(name);
  }
  for (const [name, t] of toTorch(rnnc, modules))
    put(
      name,
      t.shape,
      t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>),
    );
  return out;
}
