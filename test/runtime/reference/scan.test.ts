import { describe, expect, it } from "vitest";
import { Graph } from "../../../compiler/ir/graph.ts";
import type { Node } from "../../../compiler/ir/node.ts";
import { assertValid } from "../../../compiler/ir/verify.ts";
import { evaluate } from "../../../runtime/reference/interpreter.ts";
import { toNested, type Tensor } from "../../../runtime/reference/tensor.ts";
import { buildScan, f64, lcg, randomTensor, values } from "./helpers.ts";

describe("scan", () => {
  it("computes an exponential moving average exactly like a plain loop", () => {
    const [B, T, D] = [3, 12, 4];
    const alpha = 0.9;
    const g = new Graph();
    const x = g.input("x", "float", [B, T, D]);
    const h0 = g.input("h0", "float", [B, D]);
    const [final, ys] = buildScan(g, {
      seqs: [x],
      inits: [h0],
      consts: [],
      steps: T,
      step: (b, { slices: [xt], states: [h] }) => {
        const next = b.node("add", [
          b.node("mul", [h!, b.constant(alpha)]),
          b.node("mul", [xt!, b.constant(1 - alpha)]),
        ]);
        return { next: [next], outputs: [next] };
      },
    });
    g.output("final", final!);
    g.output("ys", ys!);
    assertValid(g);
    const next = lcg(1);
    const xv = randomTensor([B, T, D], next);
    const hv = randomTensor([B, D], next);
    const r = evaluate(g, { inputs: { x: xv, h0: hv } });
    expect(r.ys!.shape).toEqual([B, T, D]);

    const want = new Float64Array(B * T * D);
    const h = Float64Array.from(hv.data);
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < B; b++) {
        for (let d = 0; d < D; d++) {
          h[b * D + d] = h[b * D + d]! * alpha + xv.data[(b * T + t) * D + d]! * (1 - alpha);
          want[(b * T + t) * D + d] = h[b * D + d]!;
        }
      }
    }
    expect(values(r.ys!)).toEqual(Array.from(want));
    expect(values(r.final!)).toEqual(Array.from(h));
  });

  it("passes the time index as the step input, forward and reverse, and stacks by time", () => {
    for (const reverse of [false, true]) {
      const g = new Graph();
      const count0 = g.input("n", "float", [2, 1]);
      const [final, times, order] = buildScan(g, {
        seqs: [],
        inits: [count0],
        consts: [],
        steps: 5,
        reverse,
        step: (b, { states: [n], t }) => {
          const tf = b.node("reshape", [b.node("cast", [t], { to: "float" })], { shape: [1, 1] });
          const time = b.node("mul", [tf, b.constant(1, "float", [2, 1])]);
          const next = b.node("add", [n!, b.constant(1)]);
          // outputs: the time index, and how many steps ran before this one
          return { next: [next], outputs: [time, n!] };
        },
      });
      g.output("final", final!);
      g.output("times", times!);
      g.output("order", order!);
      assertValid(g);
      const r = evaluate(g, { inputs: { n: f64([2, 1], [0, 0]) } });
      expect(values(r.final!)).toEqual([5, 5]);
      expect(r.times!.shape).toEqual([2, 5, 1]);
      expect(values(r.times!)).toEqual([0, 1, 2, 3, 4, 0, 1, 2, 3, 4]);
      // a reverse scan runs t = 4 first: its outputs are still stored in time order
      const ran = reverse ? [4, 3, 2, 1, 0] : [0, 1, 2, 3, 4];
      expect(values(r.order!)).toEqual([...ran, ...ran]);
    }
  });

  it("runs a reverse cumulative sum (suffix sums), outputs in time order", () => {
    const g = new Graph();
    const x = g.input("x", "float", [2, 4]);
    const zero = g.constant(0, "float", [2]);
    const [total, sums] = buildScan(g, {
      seqs: [x],
      inits: [zero],
      consts: [],
      steps: 4,
      reverse: true,
      step: (b, { slices: [xt], states: [s] }) => {
        const next = b.node("add", [xt!, s!]);
        return { next: [next], outputs: [next] };
      },
    });
    g.output("total", total!);
    g.output("sums", sums!);
    assertValid(g);
    const r = evaluate(g, { inputs: { x: f64([2, 4], [1, 2, 3, 4, 10, 20, 30, 40]) } });
    expect(toNested(r.sums!)).toEqual([
      [10, 9, 7, 4],
      [100, 90, 70, 40],
    ]);
    expect(values(r.total!)).toEqual([10, 100]);
  });

  it("feeds constants to every step and carries several states", () => {
    // fibonacci-like pair (a, b) -> (b, a + k * b), k a constant
    const g = new Graph();
    const a0 = g.input("a", "float", [1, 1]);
    const b0 = g.input("b", "float", [1, 1]);
    const k = g.param("k", [1, 1]);
    const [a, b, bs] = buildScan(g, {
      seqs: [],
      inits: [a0, b0],
      consts: [k],
      steps: 6,
      step: (body, { states: [sa, sb], consts: [sk] }) => {
        const nb = body.node("add", [sa!, body.node("mul", [sk!, sb!])]);
        return { next: [sb!, nb], outputs: [nb] };
      },
    });
    g.output("a", a!);
    g.output("b", b!);
    g.output("bs", bs!);
    assertValid(g);
    const r = evaluate(g, {
      inputs: { a: f64([1, 1], [0]), b: f64([1, 1], [1]) },
      params: { k: f64([1, 1], [1]) },
    });
    expect(values(r.bs!)).toEqual([1, 2, 3, 5, 8, 13]);
    expect(values(r.a!)).toEqual([8]);
    expect(values(r.b!)).toEqual([13]);
  });

  it("runs nested scans (a scan inside a step graph)", () => {
    // outer over T steps: s <- s + sum_u (m[:, u] * x_t) computed by an inner scan over U
    const [B, T, U] = [2, 3, 4];
    const g = new Graph();
    const x = g.input("x", "float", [B, T, 1]);
    const m = g.input("m", "float", [B, U, 1]);
    const s0 = g.constant(0, "float", [B, 1]);
    const [sFinal, sSeq] = buildScan(g, {
      seqs: [x],
      inits: [s0],
      consts: [m],
      steps: T,
      step: (body, { slices: [xt], states: [s], consts: [mem] }) => {
        const [acc] = buildScan(body, {
          seqs: [mem!],
          inits: [s!],
          consts: [xt!],
          steps: U,
          step: (inner, { slices: [mu], states: [a], consts: [xc] }) => {
            const next = inner.node("add", [a!, inner.node("mul", [mu!, xc!])]);
            return { next: [next], outputs: [] };
          },
        });
        return { next: [acc!], outputs: [acc!] };
      },
    });
    g.output("s", sFinal!);
    g.output("seq", sSeq!);
    assertValid(g);
    const next = lcg(5);
    const xv = randomTensor([B, T, 1], next);
    const mv = randomTensor([B, U, 1], next);
    const r = evaluate(g, { inputs: { x: xv, m: mv } });
    const want: number[] = [];
    const finals: number[] = [];
    for (let b = 0; b < B; b++) {
      let s = 0;
      for (let t = 0; t < T; t++) {
        for (let u = 0; u < U; u++) s = s + mv.data[b * U + u]! * xv.data[b * T + t]!;
        want.push(s);
      }
      finals.push(s);
    }
    expect(values(r.seq!)).toEqual(want);
    expect(values(r.s!)).toEqual(finals);
  });
});

// ---------------------------------------------------------------------------------------------
// LSTM: the scan, an unrolled graph and a plain loop must agree to the bit.

interface LstmWeights {
  wih: Tensor[];
  whh: Tensor[];
  bih: Tensor[];
  bhh: Tensor[];
}

/** One PyTorch LSTM step in IR: gates = (x Wihᵀ + bih) + (h Whhᵀ + bhh), order i, f, g, o. */
function lstmStep(g: Graph, x: Node, h: Node, c: Node, w: Node[], H: number): [Node, Node] {
  const [wih, whh, bih, bhh] = w as [Node, Node, Node, Node];
  const gates = g.node("add", [
    g.node("add", [g.node("matmul", [x, wih], { transposeB: true }), bih]),
    g.node("add", [g.node("matmul", [h, whh], { transposeB: true }), bhh]),
  ]);
  const part = (k: number) => g.node("slice", [gates], { axis: 1, start: k * H, end: (k + 1) * H });
  const i = g.node("sigmoid", [part(0)]);
  const f = g.node("sigmoid", [part(1)]);
  const gg = g.node("tanh", [part(2)]);
  const o = g.node("sigmoid", [part(3)]);
  const c2 = g.node("add", [g.node("mul", [f, c]), g.node("mul", [i, gg])]);
  const h2 = g.node("mul", [o, g.node("tanh", [c2])]);
  return [h2, c2];
}

function lstmParams(g: Graph, layers: number, I: number, H: number): Node[][] {
  return Array.from({ length: layers }, (_, l) => [
    g.param(`l${l}.wih`, [4 * H, l === 0 ? I : H]),
    g.param(`l${l}.whh`, [4 * H, H]),
    g.param(`l${l}.bih`, [4 * H]),
    g.param(`l${l}.bhh`, [4 * H]),
  ]);
}

/** A stacked LSTM as one scan per layer. */
function lstmScanGraph(layers: number, B: number, T: number, I: number, H: number): Graph {
  const g = new Graph("lstm-scan");
  let seq = g.input("x", "float", [B, T, I]);
  const params = lstmParams(g, layers, I, H);
  for (let l = 0; l < layers; l++) {
    const zeros = g.constant(0, "float", [B, H]);
    const [hT, cT, hs] = buildScan(g, {
      seqs: [seq],
      inits: [zeros, zeros],
      consts: params[l]!,
      steps: T,
      step: (body, { slices: [xt], states: [h, c], consts }) => {
        const [h2, c2] = lstmStep(body, xt!, h!, c!, consts, H);
        return { next: [h2, c2], outputs: [h2] };
      },
    });
    g.output(`h${l}`, hT!);
    g.output(`c${l}`, cT!);
    seq = hs!;
  }
  g.output("y", seq);
  return g;
}

/** The same LSTM unrolled over time into one static graph. */
function lstmUnrolledGraph(layers: number, B: number, T: number, I: number, H: number): Graph {
  const g = new Graph("lstm-unrolled");
  const x = g.input("x", "float", [B, T, I]);
  const params = lstmParams(g, layers, I, H);
  let inputs = Array.from({ length: T }, (_, t) =>
    g.node("reshape", [g.node("slice", [x], { axis: 1, start: t, end: t + 1 })], { shape: [B, I] }),
  );
  for (let l = 0; l < layers; l++) {
    let h = g.constant(0, "float", [B, H]);
    let c = h;
    const outs: Node[] = [];
    for (let t = 0; t < T; t++) {
      [h, c] = lstmStep(g, inputs[t]!, h, c, params[l]!, H);
      outs.push(h);
    }
    g.output(`h${l}`, h);
    g.output(`c${l}`, c);
    inputs = outs;
  }
  const stacked = g.node(
    "concat",
    inputs.map((h) => g.node("reshape", [h], { shape: [B, 1, H] })),
    { axis: 1 },
  );
  g.output("y", stacked);
  return g;
}

function lstmWeights(layers: number, I: number, H: number, seed: number): Record<string, Tensor> {
  const next = lcg(seed);
  const k = 1 / Math.sqrt(H);
  const out: Record<string, Tensor> = {};
  for (let l = 0; l < layers; l++) {
    out[`l${l}.wih`] = randomTensor([4 * H, l === 0 ? I : H], next, k);
    out[`l${l}.whh`] = randomTensor([4 * H, H], next, k);
    out[`l${l}.bih`] = randomTensor([4 * H], next, k);
    out[`l${l}.bhh`] = randomTensor([4 * H], next, k);
  }
  return out;
}

/** A plain-loop LSTM, written independently of the IR, in the same operation order. */
function lstmLoop(
  params: Record<string, Tensor>,
  x: Tensor,
  layers: number,
  B: number,
  T: number,
  I: number,
  H: number,
): { y: number[]; h: number[][]; c: number[][] } {
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  let seq: number[][] = Array.from({ length: T }, (_, t) =>
    Array.from({ length: B * I }, (_, j) => x.data[(Math.floor(j / I) * T + t) * I + (j % I)]!),
  );
  const hs: number[][] = [];
  const cs: number[][] = [];
  let inSize = I;
  for (let l = 0; l < layers; l++) {
    const w: LstmWeights = {
      wih: [params[`l${l}.wih`]!],
      whh: [params[`l${l}.whh`]!],
      bih: [params[`l${l}.bih`]!],
      bhh: [params[`l${l}.bhh`]!],
    };
    const wih = w.wih[0]!.data;
    const whh = w.whh[0]!.data;
    const bih = w.bih[0]!.data;
    const bhh = w.bhh[0]!.data;
    let h = new Array<number>(B * H).fill(0);
    let c = new Array<number>(B * H).fill(0);
    const out: number[][] = [];
    for (let t = 0; t < T; t++) {
      const xt = seq[t]!;
      const h2 = new Array<number>(B * H);
      const c2 = new Array<number>(B * H);
      for (let b = 0; b < B; b++) {
        const gate = (r: number) => {
          let dx = 0;
          for (let q = 0; q < inSize; q++) dx += xt[b * inSize + q]! * wih[r * inSize + q]!;
          let dh = 0;
          for (let q = 0; q < H; q++) dh += h[b * H + q]! * whh[r * H + q]!;
          return dx + bih[r]! + (dh + bhh[r]!);
        };
        for (let j = 0; j < H; j++) {
          const i = sig(gate(j));
          const f = sig(gate(H + j));
          const gg = Math.tanh(gate(2 * H + j));
          const o = sig(gate(3 * H + j));
          const cn = f * c[b * H + j]! + i * gg;
          c2[b * H + j] = cn;
          h2[b * H + j] = o * Math.tanh(cn);
        }
      }
      h = h2;
      c = c2;
      out.push(h);
    }
    hs.push(h);
    cs.push(c);
    seq = out;
    inSize = H;
  }
  const y: number[] = [];
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++) y.push(...seq[t]!.slice(b * H, (b + 1) * H));
  return { y, h: hs, c: cs };
}

describe("LSTM through scan", () => {
  it("equals a plain loop to the bit (2 layers, batch 4, 100 steps, hidden 128)", () => {
    const [L, B, T, I, H] = [2, 4, 100, 32, 128];
    const g = lstmScanGraph(L, B, T, I, H);
    assertValid(g);
    const params = lstmWeights(L, I, H, 3);
    const x = randomTensor([B, T, I], lcg(4));
    const r = evaluate(g, { inputs: { x }, params });
    const want = lstmLoop(params, x, L, B, T, I, H);
    expect(r.y!.shape).toEqual([B, T, H]);
    expect(values(r.y!)).toEqual(want.y);
    for (let l = 0; l < L; l++) {
      expect(values(r[`h${l}`]!)).toEqual(want.h[l]);
      expect(values(r[`c${l}`]!)).toEqual(want.c[l]);
    }
  });

  it("equals the same LSTM unrolled into a static graph", () => {
    const [L, B, T, I, H] = [2, 3, 20, 5, 8];
    const scan = lstmScanGraph(L, B, T, I, H);
    const unrolled = lstmUnrolledGraph(L, B, T, I, H);
    assertValid(unrolled);
    const params = lstmWeights(L, I, H, 9);
    const x = randomTensor([B, T, I], lcg(10));
    const a = evaluate(scan, { inputs: { x }, params });
    const b = evaluate(unrolled, { inputs: { x }, params });
    for (const name of ["y", "h0", "c0", "h1", "c1"])
      expect(values(a[name]!)).toEqual(values(b[name]!));
    for (const precision of ["float32"] as const) {
      const a32 = evaluate(scan, { inputs: { x }, params }, { precision });
      const b32 = evaluate(unrolled, { inputs: { x }, params }, { precision });
      expect(values(a32.y!)).toEqual(values(b32.y!));
      // float32 stays close to float64
      values(a32.y!).forEach((v, i) => expect(Math.abs(v - a.y!.data[i]!)).toBeLessThan(1e-5));
    }
  });
});

describe("long graphs", () => {
  it("evaluates a 100k-node unrolled recurrence without deep recursion", () => {
    const steps = 50_000;
    const g = new Graph("long");
    const a = g.input("a", "float", [2]);
    const x = g.input("x", "float", [2]);
    let h = g.constant(0, "float", [2]);
    for (let t = 0; t < steps; t++) h = g.node("add", [g.node("mul", [h, a]), x]);
    g.output("h", h);
    expect(g.nodes.length).toBeGreaterThan(100_000);
    const r = evaluate(g, { inputs: { a: f64([2], [0.5, 0.999]), x: f64([2], [1, 0.001]) } });
    let h0 = 0;
    let h1 = 0;
    for (let t = 0; t < steps; t++) {
      h0 = h0 * 0.5 + 1;
      h1 = h1 * 0.999 + 0.001;
    }
    expect(values(r.h!)).toEqual([h0, h1]);
  });
});
