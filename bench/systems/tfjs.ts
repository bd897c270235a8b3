/**
 * TensorFlow.js on its CPU (plain JS), wasm and WebGPU backends (the last on the shared Dawn
 * device). The models are composed from tfjs ops rather than tf.layers: tf.layers' GRU has only
 * the reset-before variant (not torch.nn.GRU's), and the layer-norm LSTM and greedy decoder
 * need ops anyway; every model hoists its input projection out of the step loop (one matMul
 * over all steps), as rnnc does. Weights are the workload's PyTorch state_dict, transposed.
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { WebGPUBackend } from "@tensorflow/tfjs-backend-webgpu";
import type { EncoderArch, Seq2SeqArch, TorchTensor } from "../workloads.ts";
import type { BenchContext, Prepared, System, Values } from "./types.ts";

type Backend = "cpu" | "wasm" | "webgpu";
type T2 = tf.Tensor2D;
type Dict = ReadonlyMap<string, TorchTensor>;

let registeredDevice: GPUDevice | undefined;

async function use(backend: Backend, device: GPUDevice | undefined): Promise<void> {
  if (backend === "webgpu" && registeredDevice !== device) {
    // tfjs-backend-webgpu would request its own adapter and device: use the shared one.
    if (tf.findBackend("webgpu")) tf.removeBackend("webgpu");
    tf.registerBackend("webgpu", () => new WebGPUBackend(device!));
    registeredDevice = device;
  }
  if (!(await tf.setBackend(backend)))
    throw new Error(`tfjs backend ${backend} did not initialise`);
  await tf.ready();
}

/** Variables of the model's weights, by torch name (transposed where a matMul wants it). */
type Weights = Map<string, tf.Variable>;

function weightsOf(dict: Dict): Weights {
  const out: Weights = new Map();
  for (const [name, t] of dict) {
    const value = tf.tensor(t.data, [...t.shape]);
    // [out, in] matrices are used as x·Wᵀ: keep them transposed, embeddings as they are.
    const transposed =
      t.shape.length === 2 && !name.endsWith("emb.weight") ? tf.transpose(value) : value;
    out.set(name, tf.variable(transposed, true, `${name}_${Math.random()}`));
    if (transposed !== value) value.dispose();
  }
  return out;
}

function w(weights: Weights, name: string): tf.Tensor {
  const t = weights.get(name);
  if (!t) throw new Error(`internal: no tfjs weight ${name}`);
  return t;
}

function layerNorm(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return x
    .sub(mean)
    .mul(tf.rsqrt(variance.add(1e-5)))
    .mul(g)
    .add(b);
}

interface Recurrence {
  /** One step: the input projection of this step, the state → the next state (h first). */
  step(xw: tf.Tensor, state: tf.Tensor[]): tf.Tensor[];
  /** The input projections of all steps [B, T, G·H]. */
  project(x: tf.Tensor): tf.Tensor;
  zeros(batch: number): tf.Tensor[];
}

function projection(x: tf.Tensor, wT: tf.Tensor, bias?: tf.Tensor): tf.Tensor {
  const [B, T, I] = x.shape as [number, number, number];
  let y = tf.matMul(x.reshape([B * T, I]), wT as T2);
  if (bias) y = y.add(bias);
  return y.reshape([B, T, -1]);
}

function recurrence(
  weights: Weights,
  cell: EncoderArch["cell"],
  suffix: string,
  prefix: string,
  H: number,
): Recurrence {
  const zeros = (n: number) => (batch: number) =>
    Array.from({ length: n }, () => tf.zeros([batch, H]));
  if (cell === "layernorm_lstm") {
    const [whT, bh] = [w(weights, "cell.wh.weight"), w(weights, "cell.wh.bias")];
    const ln = (n: string, x: tf.Tensor) =>
      layerNorm(x, w(weights, `cell.${n}.weight`), w(weights, `cell.${n}.bias`));
    return {
      project: (x) => ln("ln_x", projection(x, w(weights, "cell.wx"))),
      step(xw, [h, c]) {
        const gates = xw.add(ln("ln_h", tf.matMul(h as T2, whT as T2).add(bh)));
        const [i, f, g, o] = tf.split(gates, 4, 1);
        const cNext = tf
          .sigmoid(f!)
          .mul(c!)
          .add(tf.sigmoid(i!).mul(tf.tanh(g!)));
        return [tf.sigmoid(o!).mul(tf.tanh(ln("ln_c", cNext))), cNext];
      },
      zeros: zeros(2),
    };
  }
  const wihT = w(weights, `${prefix}weight_ih${suffix}`);
  const whhT = w(weights, `${prefix}weight_hh${suffix}`);
  const bih = w(weights, `${prefix}bias_ih${suffix}`);
  const bhh = w(weights, `${prefix}bias_hh${suffix}`);
  if (cell === "gru") {
    return {
      project: (x) => projection(x, wihT, bih),
      step(xw, [h]) {
        const hw = tf.matMul(h as T2, whhT as T2).add(bhh);
        const [xr, xz, xn] = tf.split(xw, 3, 1);
        const [hr, hz, hn] = tf.split(hw, 3, 1);
        const r = tf.sigmoid(xr!.add(hr!));
        const z = tf.sigmoid(xz!.add(hz!));
        const n = tf.tanh(xn!.add(r.mul(hn!)));
        return [tf.sub(1, z).mul(n).add(z.mul(h!))];
      },
      zeros: zeros(1),
    };
  }
  return {
    project: (x) => projection(x, wihT, bih.add(bhh)),
    step(xw, [h, c]) {
      const gates = xw.add(tf.matMul(h as T2, whhT as T2));
      const [i, f, g, o] = tf.split(gates, 4, 1);
      const cNext = tf
        .sigmoid(f!)
        .mul(c!)
        .add(tf.sigmoid(i!).mul(tf.tanh(g!)));
      return [tf.sigmoid(o!).mul(tf.tanh(cNext)), cNext];
    },
    zeros: zeros(2),
  };
}

/** Runs a recurrence over [B, T, I]: the per-step outputs [B, T, H] (when asked) and final state. */
function scan(
  r: Recurrence,
  x: tf.Tensor,
  reverse: boolean,
  outputs: boolean,
  initial?: tf.Tensor[],
) {
  const [B, T] = x.shape as [number, number];
  const xs = tf.unstack(r.project(x), 1);
  let state = initial ?? r.zeros(B);
  const hs: tf.Tensor[] = new Array(T);
  for (let k = 0; k < T; k++) {
    const t = reverse ? T - 1 - k : k;
    state = r.step(xs[t]!, state);
    hs[t] = state[0]!;
  }
  return { seq: outputs ? tf.stack(hs, 1) : undefined, state };
}

function encoderForward(weights: Weights, a: EncoderArch, x: tf.Tensor, initial?: tf.Tensor[][]) {
  let seq = a.embedding ? tf.gather(w(weights, "emb.weight"), x) : x;
  const dirs = a.bidirectional ? 2 : 1;
  let finals: tf.Tensor[] = [];
  const states: tf.Tensor[][] = [];
  for (let l = 0; l < a.layers; l++) {
    const last = l === a.layers - 1;
    const results = Array.from({ length: dirs }, (_, d) =>
      scan(
        recurrence(weights, a.cell, `_l${l}${d === 1 ? "_reverse" : ""}`, "rnn.", a.hidden),
        seq,
        d === 1,
        !last,
        initial?.[l],
      ),
    );
    states.push(results[0]!.state);
    finals = results.map((r) => r.state[0]!);
    if (!last)
      seq =
        dirs === 1
          ? results[0]!.seq!
          : tf.concat(
              results.map((r) => r.seq!),
              2,
            );
  }
  let out = dirs === 1 ? finals[0]! : tf.concat(finals, 1);
  if (a.head !== undefined)
    out = tf.matMul(out as T2, w(weights, "head.weight") as T2).add(w(weights, "head.bias"));
  return { out, states };
}

function seq2seqForward(weights: Weights, a: Seq2SeqArch, src: tf.Tensor): tf.Tensor {
  const enc = recurrence(weights, "lstm", "_l0", "enc.", a.hidden);
  let [h, c] = scan(enc, tf.gather(w(weights, "enc_emb.weight"), src), false, false).state as [
    tf.Tensor,
    tf.Tensor,
  ];
  const B = src.shape[0]!;
  const [wih, whh, bias] = [
    w(weights, "dec.weight_ih"),
    w(weights, "dec.weight_hh"),
    w(weights, "dec.bias_ih").add(w(weights, "dec.bias_hh")),
  ];
  const eos = tf.fill([B], a.eos, "int32");
  let prev: tf.Tensor = tf.fill([B], a.bos, "int32");
  const tokens: tf.Tensor[] = [];
  for (let t = 0; t < a.maxSteps; t++) {
    const e = tf.gather(w(weights, "dec_emb.weight"), prev);
    const gates = tf
      .matMul(e as T2, wih as T2)
      .add(tf.matMul(h as T2, whh as T2))
      .add(bias);
    const [i, f, g, o] = tf.split(gates, 4, 1);
    c = tf
      .sigmoid(f!)
      .mul(c)
      .add(tf.sigmoid(i!).mul(tf.tanh(g!)));
    h = tf.sigmoid(o!).mul(tf.tanh(c));
    const best = tf.argMax(
      tf.matMul(h as T2, w(weights, "out.weight") as T2).add(w(weights, "out.bias")),
      1,
    );
    prev = tf.where(tf.equal(prev, eos), eos, best);
    tokens.push(prev);
  }
  return tf.stack(tokens, 1);
}

async function read(t: tf.Tensor): Promise<Values> {
  const data = await t.data();
  t.dispose();
  return data instanceof Float32Array || data instanceof Int32Array
    ? data
    : Int32Array.from(data as Uint8Array);
}

function inputTensor(ctx: BenchContext): tf.Tensor {
  const x = ctx.inputs[ctx.workload.inputName]!;
  return x.data instanceof Int32Array
    ? tf.tensor(x.data, [...x.shape], "int32")
    : tf.tensor(x.data, [...x.shape]);
}

async function prepare(ctx: BenchContext, backend: Backend): Promise<Prepared | string> {
  if (backend === "webgpu" && !ctx.device) return "no WebGPU adapter";
  await use(backend, ctx.device);
  const wl = ctx.workload;
  const a = wl.arch;
  const weights = weightsOf(ctx.torch);
  const x = inputTensor(ctx);
  const release = () => {
    for (const v of weights.values()) v.dispose();
    x.dispose();
  };
  const note = backend === "wasm" ? "1 thread (no threads in Node)" : undefined;
  if (wl.mode === "forward" || wl.mode === "decode") {
    const run = () =>
      read(
        tf.tidy(() =>
          a.kind === "gemm"
            ? projection(x, w(weights, "lin.weight"))
            : a.kind === "seq2seq"
              ? seq2seqForward(weights, a, x)
              : encoderForward(weights, a, x).out,
        ),
      );
    return { check: run, run, dispose: release, note };
  }
  if (a.kind !== "encoder") return "internal: not an encoder";
  if (wl.mode === "stream") {
    const xs = x.reshape([1, 1, a.input]);
    const zeros = () =>
      Array.from({ length: a.layers }, () => [tf.zeros([1, a.hidden]), tf.zeros([1, a.hidden])]);
    let state = zeros();
    const step = async () => {
      const { out, states } = tf.tidy(() => {
        const r = encoderForward(weights, a, xs, state);
        return { out: r.out, states: r.states };
      });
      for (const s of state.flat()) s.dispose();
      state = states;
      return read(out);
    };
    return {
      async check() {
        for (const s of state.flat()) s.dispose();
        state = zeros();
        let last: Values = [];
        for (let i = 0; i < 3; i++) last = await step();
        return last;
      },
      run: step,
      dispose() {
        for (const s of state.flat()) s.dispose();
        xs.dispose();
        release();
      },
      note,
    };
  }
  // Training: MSE against y, Adam as torch.optim.Adam's defaults (eps 1e-8).
  const y = tf.tensor(ctx.inputs.y!.data, [...ctx.inputs.y!.shape]);
  const trainer = (vars: Weights) => {
    const optimizer = tf.train.adam(1e-3, 0.9, 0.999, 1e-8);
    return async () => {
      const loss = optimizer.minimize(
        () => tf.mean(tf.squaredDifference(encoderForward(vars, a, x).out, y)) as tf.Scalar,
        true,
        [...vars.values()],
      )!;
      return (await read(loss))[0]!;
    };
  };
  const step = trainer(weights);
  return {
    async check() {
      const fresh = weightsOf(ctx.torch);
      const run = trainer(fresh);
      const losses = [await run(), await run()];
      for (const v of fresh.values()) v.dispose();
      return losses;
    },
    run: step,
    dispose() {
      y.dispose();
      release();
    },
    note,
  };
}

function tfjsSystem(backend: Backend, label: string): System {
  return { id: `tfjs-${backend}`, label, prepare: (ctx) => prepare(ctx, backend) };
}

export const TFJS_SYSTEMS: readonly System[] = [
  tfjsSystem("cpu", "tfjs CPU (JS)"),
  tfjsSystem("wasm", "tfjs wasm"),
  tfjsSystem("webgpu", "tfjs WebGPU"),
];
