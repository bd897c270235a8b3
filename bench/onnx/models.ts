/**
 * The ONNX models onnxruntime runs, built in TypeScript from the workload's PyTorch state_dict
 * (bench/workloads.ts torchWeights), so they hold exactly the weights every other system has
 * and need no PyTorch at bench time. What torch.onnx.export writes for the same modules:
 *
 * - LSTM / GRU layers as ONNX LSTM / GRU ops (gate blocks reordered: PyTorch i,f,g,o → ONNX
 *   i,o,f,c; r,z,n → z,r,h with linear_before_reset=1; B = [bias_ih; bias_hh]), batch-first
 *   input transposed to [T, B, ·], bidirectional outputs joined as [T, B, 2H];
 * - the layer-norm LSTM (W7), which no ONNX op computes, as a composed graph unrolled over
 *   the steps (MatMul, LayerNormalization, Split, Sigmoid, Tanh; the input projection and its
 *   layer norm hoisted out of the loop as one MatMul over all steps);
 * - W8's greedy decoder unrolled over its 30 steps (Gather, Gemm, ArgMax, Where), the encoder
 *   an LSTM op.
 */
import type { EncoderArch, Seq2SeqArch, TorchTensor, Workload } from "../workloads.ts";
import { DT, encodeModel, GraphBuilder, type ValueInfo } from "./proto.ts";

const OPSET = 17;

type Dict = ReadonlyMap<string, TorchTensor>;

function get(dict: Dict, name: string): TorchTensor {
  const t = dict.get(name);
  if (!t) throw new Error(`internal: no torch weight ${name}`);
  return t;
}

/** Row blocks of `t` ([G·H, ...]) in the order `order` (indices of PyTorch's blocks). */
function reorder(t: Float32Array, blocks: number, order: readonly number[]): Float32Array {
  const size = t.length / blocks;
  const out = new Float32Array(t.length);
  order.forEach((from, to) => out.set(t.subarray(from * size, (from + 1) * size), to * size));
  return out;
}

function concat(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const ORDER = { lstm: [0, 3, 1, 2], gru: [1, 0, 2] } as const;

/** W, R, B of one ONNX LSTM/GRU layer (all directions) from nn.LSTM/nn.GRU's tensors. */
function recurrentInits(
  g: GraphBuilder,
  dict: Dict,
  torch: string,
  layer: number,
  cell: "lstm" | "gru",
  dirs: number,
): { W: string; R: string; B: string } {
  const order = ORDER[cell];
  const G = order.length;
  const suffixes = dirs === 2 ? [`l${layer}`, `l${layer}_reverse`] : [`l${layer}`];
  const pick = (kind: string) =>
    suffixes.map((s) => reorder(get(dict, `${torch}${kind}_${s}`).data, G, order));
  const wih = get(dict, `${torch}weight_ih_${suffixes[0]}`).shape;
  const whh = get(dict, `${torch}weight_hh_${suffixes[0]}`).shape;
  const bih = pick("bias_ih");
  const bhh = pick("bias_hh");
  const p = `${torch}l${layer}`;
  return {
    W: g.constant(`${p}.W`, [dirs, ...wih], concat(pick("weight_ih"))),
    R: g.constant(`${p}.R`, [dirs, ...whh], concat(pick("weight_hh"))),
    B: g.constant(`${p}.B`, [dirs, 2 * wih[0]!], concat(bih.flatMap((b, d) => [b, bhh[d]!]))),
  };
}

/** A Linear as Gemm(x, W, b, transB = 1). */
function linear(g: GraphBuilder, dict: Dict, torch: string, x: string): string {
  const w = get(dict, `${torch}.weight`);
  const b = get(dict, `${torch}.bias`);
  return g.op(
    "Gemm",
    [
      x,
      g.constant(`${torch}.weight`, w.shape, w.data),
      g.constant(`${torch}.bias`, b.shape, b.data),
    ],
    { transB: 1 },
  );
}

function layerNorm(g: GraphBuilder, dict: Dict, torch: string, x: string): string {
  const w = get(dict, `${torch}.weight`);
  const b = get(dict, `${torch}.bias`);
  if (!g.initializers.some((i) => i.name === `${torch}.weight`)) {
    g.constant(`${torch}.weight`, w.shape, w.data);
    g.constant(`${torch}.bias`, b.shape, b.data);
  }
  return g.op("LayerNormalization", [x, `${torch}.weight`, `${torch}.bias`], {
    axis: -1,
    epsilon: { float: 1e-5 },
  });
}

/** [T, B, H] sequence of a layer's Y [T, dirs, B, H]. */
function joinDirections(g: GraphBuilder, y: string, dirs: number, axes1: string): string {
  if (dirs === 1) return g.op("Squeeze", [y, axes1]);
  const t = g.op("Transpose", [y], { perm: [0, 2, 1, 3] });
  return g.op("Reshape", [t, g.ints("shape_0_0_m1", [0, 0, -1])]);
}

/** [B, dirs·H] of a layer's Y_h [dirs, B, H]. */
function finalState(g: GraphBuilder, yh: string): string {
  const t = g.op("Transpose", [yh], { perm: [1, 0, 2] });
  return g.op("Reshape", [t, g.ints("shape_0_m1", [0, -1])]);
}

function encoderModel(w: Workload, a: EncoderArch, dict: Dict): Uint8Array {
  const g = new GraphBuilder();
  const dirs = a.bidirectional ? 2 : 1;
  const axes1 = g.ints("axes_1", [1]);
  const inputs: ValueInfo[] = [];
  let x: string;
  if (a.embedding) {
    inputs.push({ name: "x", type: DT.int64, dims: ["B", "T"] });
    const emb = get(dict, "emb.weight");
    x = g.op("Gather", [g.constant("emb.weight", emb.shape, emb.data), "x"]);
  } else {
    inputs.push({ name: "x", type: DT.float, dims: ["B", "T", a.input] });
    x = "x";
  }
  let seq = g.op("Transpose", [x], { perm: [1, 0, 2] });
  const stream = w.mode === "stream";
  const outputs: ValueInfo[] = [];
  let yh = "";
  for (let l = 0; l < a.layers; l++) {
    const { W, R, B } = recurrentInits(g, dict, "rnn.", l, a.cell === "gru" ? "gru" : "lstm", dirs);
    const lstm = a.cell !== "gru";
    const state: string[] = ["", ""];
    if (stream) {
      state[0] = `h${l}`;
      inputs.push({ name: `h${l}`, type: DT.float, dims: [dirs, "B", a.hidden] });
      if (lstm) {
        state[1] = `c${l}`;
        inputs.push({ name: `c${l}`, type: DT.float, dims: [dirs, "B", a.hidden] });
      }
    }
    const operands = [seq, W, R, B, "", state[0]!, ...(lstm ? [state[1]!] : [])];
    while (operands.at(-1) === "") operands.pop();
    const attrs = {
      hidden_size: a.hidden,
      direction: a.bidirectional ? "bidirectional" : "forward",
      ...(lstm ? {} : { linear_before_reset: 1 }),
    };
    const [y, h, c] = g.node(lstm ? "LSTM" : "GRU", operands, attrs, lstm ? 3 : 2);
    yh = h!;
    if (stream) {
      g.output(h!, `h${l}_next`);
      outputs.push({ name: `h${l}_next`, type: DT.float, dims: [dirs, "B", a.hidden] });
      if (lstm) {
        g.output(c!, `c${l}_next`);
        outputs.push({ name: `c${l}_next`, type: DT.float, dims: [dirs, "B", a.hidden] });
      }
    }
    if (l < a.layers - 1) seq = joinDirections(g, y!, dirs, axes1);
  }
  let out = finalState(g, yh);
  if (a.head !== undefined) out = linear(g, dict, "head", out);
  g.output(out, "out");
  outputs.unshift({ name: "out", type: DT.float, dims: ["B", a.head ?? dirs * a.hidden] });
  return encodeModel({
    name: w.id,
    nodes: g.nodes,
    initializers: g.initializers,
    inputs,
    outputs,
    opset: OPSET,
  });
}

function layerNormLstmModel(w: Workload, a: EncoderArch, dict: Dict): Uint8Array {
  const g = new GraphBuilder();
  const H = a.hidden;
  const B = w.batch;
  const wx = get(dict, "cell.wx");
  const wxT = transpose(wx.data, wx.shape[0]!, wx.shape[1]!);
  const xw = g.op("MatMul", ["x", g.constant("cell.wx.T", [wx.shape[1]!, wx.shape[0]!], wxT)]);
  const xn = layerNorm(g, dict, "cell.ln_x", xw); // [B, T, 4H], per step
  let h = g.constant("h0", [B, H], new Float32Array(B * H));
  let c = g.constant("c0", [B, H], new Float32Array(B * H));
  const wh = get(dict, "cell.wh.weight");
  const bh = get(dict, "cell.wh.bias");
  g.constant("cell.wh.weight", wh.shape, wh.data);
  g.constant("cell.wh.bias", bh.shape, bh.data);
  for (let t = 0; t < w.steps; t++) {
    const xt = g.op("Gather", [xn, g.constant(`t${t}`, [], BigInt64Array.of(BigInt(t)))], {
      axis: 1,
    });
    const hw = g.op("Gemm", [h, "cell.wh.weight", "cell.wh.bias"], { transB: 1 });
    const gates = g.op("Add", [xt, layerNorm(g, dict, "cell.ln_h", hw)]);
    const [i, f, gg, o] = g.node("Split", [gates], { axis: 1 }, 4);
    const cNext = g.op("Add", [
      g.op("Mul", [g.op("Sigmoid", [f!]), c]),
      g.op("Mul", [g.op("Sigmoid", [i!]), g.op("Tanh", [gg!])]),
    ]);
    h = g.op("Mul", [
      g.op("Sigmoid", [o!]),
      g.op("Tanh", [layerNorm(g, dict, "cell.ln_c", cNext)]),
    ]);
    c = cNext;
  }
  g.output(h, "out");
  return encodeModel({
    name: w.id,
    nodes: g.nodes,
    initializers: g.initializers,
    inputs: [{ name: "x", type: DT.float, dims: [B, w.steps, a.input] }],
    outputs: [{ name: "out", type: DT.float, dims: [B, H] }],
    opset: OPSET,
  });
}

function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++)
    for (let k = 0; k < cols; k++) out[k * rows + r] = data[r * cols + k]!;
  return out;
}

function seq2seqModel(w: Workload, a: Seq2SeqArch, dict: Dict): Uint8Array {
  const g = new GraphBuilder();
  const B = w.batch;
  const H = a.hidden;
  const axes0 = g.ints("axes_0", [0]);
  const axes1 = g.ints("axes_1", [1]);
  const encEmb = get(dict, "enc_emb.weight");
  const e = g.op("Gather", [g.constant("enc_emb.weight", encEmb.shape, encEmb.data), "x"]);
  const seq = g.op("Transpose", [e], { perm: [1, 0, 2] });
  const { W, R, B: bias } = recurrentInits(g, dict, "enc.", 0, "lstm", 1);
  const [, yh, yc] = g.node("LSTM", [seq, W, R, bias], { hidden_size: H }, 3);
  let h = g.op("Squeeze", [yh!, axes0]);
  let c = g.op("Squeeze", [yc!, axes0]);
  const decEmb = get(dict, "dec_emb.weight");
  g.constant("dec_emb.weight", decEmb.shape, decEmb.data);
  for (const n of ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]) {
    const t = get(dict, `dec.${n}`);
    g.constant(`dec.${n}`, t.shape, t.data);
  }
  const out = get(dict, "out.weight");
  const outB = get(dict, "out.bias");
  g.constant("out.weight", out.shape, out.data);
  g.constant("out.bias", outB.shape, outB.data);
  const eos = g.constant(
    "eos",
    [B],
    BigInt64Array.from({ length: B }, () => BigInt(a.eos)),
  );
  let prev = g.constant(
    "bos",
    [B],
    BigInt64Array.from({ length: B }, () => BigInt(a.bos)),
  );
  const tokens: string[] = [];
  for (let t = 0; t < a.maxSteps; t++) {
    const emb = g.op("Gather", ["dec_emb.weight", prev]);
    const gates = g.op("Add", [
      g.op("Gemm", [emb, "dec.weight_ih", "dec.bias_ih"], { transB: 1 }),
      g.op("Gemm", [h, "dec.weight_hh", "dec.bias_hh"], { transB: 1 }),
    ]);
    const [i, f, gg, o] = g.node("Split", [gates], { axis: 1 }, 4);
    c = g.op("Add", [
      g.op("Mul", [g.op("Sigmoid", [f!]), c]),
      g.op("Mul", [g.op("Sigmoid", [i!]), g.op("Tanh", [gg!])]),
    ]);
    h = g.op("Mul", [g.op("Sigmoid", [o!]), g.op("Tanh", [c])]);
    const logits = g.op("Gemm", [h, "out.weight", "out.bias"], { transB: 1 });
    const best = g.op("ArgMax", [logits], { axis: 1, keepdims: 0 });
    prev = g.op("Where", [g.op("Equal", [prev, eos]), eos, best]);
    tokens.push(g.op("Unsqueeze", [prev, axes1]));
  }
  g.output(g.op("Concat", tokens, { axis: 1 }), "out");
  return encodeModel({
    name: w.id,
    nodes: g.nodes,
    initializers: g.initializers,
    inputs: [{ name: "x", type: DT.int64, dims: [B, a.srcLen] }],
    outputs: [{ name: "out", type: DT.int64, dims: [B, a.maxSteps] }],
    opset: OPSET,
  });
}

function gemmModel(w: Workload, dict: Dict): Uint8Array {
  const g = new GraphBuilder();
  const wt = get(dict, "lin.weight");
  const [N, K] = wt.shape as [number, number];
  const y = g.op("MatMul", ["x", g.constant("lin.weight.T", [K, N], transpose(wt.data, N, K))]);
  g.output(y, "out");
  return encodeModel({
    name: w.id,
    nodes: g.nodes,
    initializers: g.initializers,
    inputs: [{ name: "x", type: DT.float, dims: ["B", "T", K] }],
    outputs: [{ name: "out", type: DT.float, dims: ["B", "T", N] }],
    opset: OPSET,
  });
}

/** The ONNX model of a workload (forward, stream step, or decode), or why there is none. */
export function onnxModel(w: Workload, dict: Dict): Uint8Array | string {
  const a = w.arch;
  if (w.mode === "train")
    return "onnxruntime-node/-web run inference only (training needs onnxruntime-training artifacts)";
  if (a.kind === "seq2seq") return seq2seqModel(w, a, dict);
  if (a.kind === "gemm") return gemmModel(w, dict);
  if (a.cell === "layernorm_lstm") return layerNormLstmModel(w, a, dict);
  return encoderModel(w, a, dict);
}
