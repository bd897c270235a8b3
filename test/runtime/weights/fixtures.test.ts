/**
 * The committed PyTorch fixtures: well-formed, their specs check, every weight (after mapping
 * torch names) is exactly a parameter the checker lists, inputs / outputs / lengths agree with
 * the spec. For the fixtures whose weights come from torch.nn modules, a small forward pass
 * written here from the stdlib equations reproduces PyTorch's outputs from the mapped weights —
 * which proves the torch → rnnc mapping (gate order, reverse direction, proj) numerically.
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkWeights } from "../../../runtime/weights/check.ts";
import { readSafetensors, type Tensor } from "../../../runtime/weights/safetensors.ts";
import { rnncCell, type TorchRecurrent } from "../../../runtime/weights/torch-names.ts";
import { FIXTURES_DIR, fixtureNames, isWeightName, loadFixture } from "../../fixtures/fixtures.ts";
import { checkText } from "../../support/check.ts";

const names = fixtureNames();

describe("the fixture folder", () => {
  it("has every case the issue asks for", () => {
    for (const prefix of [
      "rnn_tanh",
      "rnn_relu",
      "lstm_l1",
      "lstm_l2",
      "lstm_l3",
      "lstm_proj",
      "gru_l1",
      "gru_l2",
      "gru_cho",
      "peephole_lstm",
      "layernorm_lstm",
      "cifg_lstm",
      "indrnn",
      "mingru",
      "minlstm",
      "clipped_gru",
      "seq2seq_none",
      "seq2seq_luong",
      "seq2seq_bahdanau",
      "textbook",
      "tagger",
    ]) {
      expect(
        names.some((n) => n.startsWith(prefix)),
        prefix,
      ).toBe(true);
    }
  });

  it("pairs every .json with a .safetensors, and stays well under 1 MB", () => {
    const files = readdirSync(FIXTURES_DIR).filter(
      (f) => f.endsWith(".json") || f.endsWith(".safetensors"),
    );
    const cases = new Set(files.map((f) => f.replace(/\.(json|safetensors)$/, "")));
    for (const c of cases) {
      expect(files, c).toContain(`${c}.json`);
      expect(files, c).toContain(`${c}.safetensors`);
    }
    const total = [...files, "safetensors/all_dtypes.safetensors"]
      .map((f) => statSync(join(FIXTURES_DIR, f)).size)
      .reduce((a, b) => a + b, 0);
    expect(total).toBeLessThan(500_000);
  });
});

describe.each(names)("fixture %s", (name) => {
  const fixture = loadFixture(name);
  const { json } = fixture;

  it("has a spec that checks, named after the case", () => {
    const result = checkText(json.spec, `${name}.rnn`);
    expect(result.rendered).toBe("");
    expect(result.models.map((m) => m.name)).toEqual([name]);
  });

  it("stores exactly the checker's parameters (after mapping torch names), in float64", () => {
    const model = checkText(json.spec).models[0]!;
    const problems = checkWeights(model.params, fixture.weights, { dtypes: ["F64"] });
    expect(problems.map((p) => p.message)).toEqual([]);
    const meta = readSafetensors(readFileSync(join(FIXTURES_DIR, `${name}.safetensors`))).metadata;
    expect(meta["case"]).toBe(name);
  });

  it("has inputs, lengths, expected outputs and final states that agree with the spec", () => {
    const model = checkText(json.spec).models[0]!;
    // Every tensor is a weight or named by the JSON.
    const named = new Set([
      ...Object.values(json.inputs),
      ...Object.values(json.expected),
      ...Object.values(json.final_states),
      ...Object.values(json.cotangents),
      ...Object.values(json.gradients.inputs),
      ...[...fixture.storedGradients.keys()].map((w) => `${json.gradients.weights}${w}`),
    ]);
    for (const n of fixture.tensors.keys()) {
      expect(isWeightName(n) || named.has(n), n).toBe(true);
    }
    // Inputs: batch-major [B, T?, ...dims], float64 or int64.
    expect(Object.keys(json.inputs).sort()).toEqual(model.inputs.map((i) => i.name).sort());
    const batch = fixture.inputs.values().next().value!.shape[0]!;
    const steps = new Map<string, number>();
    for (const input of model.inputs) {
      const t = fixture.inputs.get(input.name)!;
      expect(t.dtype, input.name).toBe(input.type.dtype === "int" ? "I64" : "F64");
      const time = input.type.time;
      if (time) steps.set(time, t.shape[1]!);
      expect(t.shape, input.name).toEqual([
        batch,
        ...(time ? [t.shape[1]!] : []),
        ...input.type.dims,
      ]);
    }
    // Lengths: one per sequence, per time axis, within the padded length.
    expect(Object.keys(json.lengths).sort()).toEqual([...steps.keys()].sort());
    for (const [axis, lengths] of Object.entries(json.lengths)) {
      expect(lengths.length, axis).toBe(batch);
      for (const n of lengths) expect(n).toBeLessThanOrEqual(steps.get(axis)!);
    }
    // Expected outputs: every model output, with its shape; padded steps hold 0.
    expect(Object.keys(json.expected).sort()).toEqual(model.outputs.map((o) => o.name).sort());
    for (const output of model.outputs) {
      const t = fixture.expected.get(output.name)!;
      const time = output.type.time;
      expect(json.time_axes[output.name], output.name).toBe(time);
      expect(t.dtype).toBe("F64");
      expect(t.shape, output.name).toEqual([
        batch,
        ...(time ? [steps.get(time)!] : []),
        ...output.type.dims,
      ]);
      if (time) {
        const lengths = json.lengths[time]!;
        const T = steps.get(time)!;
        const row = output.type.dims.reduce((a, b) => a * b, 1);
        for (let b = 0; b < batch; b++) {
          const padded = t.data.slice((b * T + lengths[b]!) * row, (b + 1) * T * row);
          expect(
            [...padded].every((v) => v === 0),
            `${output.name}[${b}] padding`,
          ).toBe(true);
        }
      }
      expect([...t.data].every((v) => Number.isFinite(v))).toBe(true);
    }
    for (const [state, t] of fixture.finalStates) {
      expect(t.shape.length, state).toBe(3);
      expect(t.shape[1], state).toBe(batch);
    }
    expect(json.tolerance).toEqual({ float64: 1e-9, float32: 1e-5 });
  });
});

// ---------------------------------------------------------------------------------------------
// A tiny forward pass from the stdlib equations, over rnnc-named weights.

type Vec = number[];
const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

function affine(w: ReadonlyMap<string, Tensor>, name: string, v: Vec, bias = true): Vec {
  const W = w.get(`${name}.weight`)!;
  const [rows, cols] = [W.shape[0]!, W.shape[1]!];
  expect(cols, name).toBe(v.length);
  const out = new Array<number>(rows).fill(0);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < cols; c++) s += (W.data[r * cols + c] as number) * v[c]!;
    out[r] = s + (bias ? (w.get(`${name}.bias`)!.data[r] as number) : 0);
  }
  return out;
}

const add = (a: Vec, b: Vec) => a.map((x, i) => x + b[i]!);
const mul = (a: Vec, b: Vec) => a.map((x, i) => x * b[i]!);

type State = Record<string, Vec>;
type Cell = (w: ReadonlyMap<string, Tensor>, p: string, x: Vec, s: State) => State;

function gates(w: ReadonlyMap<string, Tensor>, p: string, x: Vec, h: Vec, names: string[]): Vec[] {
  return names.map((g) => add(affine(w, `${p}.${g}.x`, x), affine(w, `${p}.${g}.h`, h)));
}

const CELLS: Record<string, Cell> = {
  rnn: (w, p, x, s) => ({ h: gates(w, p, x, s.h!, ["h_next"])[0]!.map(Math.tanh) }),
  rnn_relu: (w, p, x, s) => ({
    h: gates(w, p, x, s.h!, ["h_next"])[0]!.map((v) => Math.max(v, 0)),
  }),
  lstm: (w, p, x, s) => {
    const [i, f, g, o] = gates(w, p, x, s.h!, ["i", "f", "g", "o"]);
    const c = add(mul(f!.map(sigmoid), s.c!), mul(i!.map(sigmoid), g!.map(Math.tanh)));
    return { h: mul(o!.map(sigmoid), c.map(Math.tanh)), c };
  },
  lstm_proj: (w, p, x, s) => {
    const [i, f, g, o] = gates(w, p, x, s.h!, ["i", "f", "g", "o"]);
    const c = add(mul(f!.map(sigmoid), s.c!), mul(i!.map(sigmoid), g!.map(Math.tanh)));
    const r = mul(o!.map(sigmoid), c.map(Math.tanh));
    return { h: affine(w, `${p}.h_next.r`, r, false), c };
  },
  gru: (w, p, x, s) => {
    const h = s.h!;
    const r = add(affine(w, `${p}.r.x`, x), affine(w, `${p}.r.h`, h)).map(sigmoid);
    const z = add(affine(w, `${p}.z.x`, x), affine(w, `${p}.z.h`, h)).map(sigmoid);
    const n = add(affine(w, `${p}.n.x`, x), mul(r, affine(w, `${p}.n.h`, h))).map(Math.tanh);
    return { h: n.map((v, k) => (1 - z[k]!) * v + z[k]! * h[k]!) };
  },
};

/** `encode` over one sequence: per-step top-layer outputs and the final output. */
function encode(
  cell: Cell,
  w: ReadonlyMap<string, Tensor>,
  prefix: string,
  xs: Vec[],
  layers: number,
  bidirectional: boolean,
): { outputs: Vec[]; final: Vec } {
  let input = xs;
  let final: Vec = [];
  for (let k = 0; k < layers; k++) {
    const directions = bidirectional ? [false, true] : [false];
    const outs = directions.map((reverse) => {
      const p = `${prefix}.l${k}${reverse ? "_reverse" : ""}`;
      const H = w.get(
        `${p}.${w.has(`${p}.i.x.weight`) ? "i" : w.has(`${p}.r.x.weight`) ? "r" : "h_next"}.x.weight`,
      )!.shape[0]!;
      const P = w.get(`${p}.h_next.r.weight`)?.shape[0] ?? H;
      let s: State = { h: new Array<number>(P).fill(0), c: new Array<number>(H).fill(0) };
      const out: Vec[] = new Array<Vec>(input.length);
      const order = input.map((_, t) => (reverse ? input.length - 1 - t : t));
      for (const t of order) {
        s = { ...s, ...cell(w, p, input[t]!, s) };
        out[t] = s.h!;
      }
      return out;
    });
    input = input.map((_, t) => outs.flatMap((o) => o[t]!));
    final = outs.flatMap((o, d) => (d === 0 ? o[o.length - 1]! : o[0]!));
  }
  return { outputs: input, final };
}

function rows(t: Tensor, b: number, n: number): Vec[] {
  const [, T, F] = [t.shape[0]!, t.shape[1]!, t.shape[2]!];
  return Array.from({ length: n }, (_, s) =>
    Array.from({ length: F }, (_, f) => t.data[(b * T + s) * F + f] as number),
  );
}

function expectClose(got: Vec, want: ArrayLike<number>, what: string): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < got.length; i++) {
    expect(Math.abs(got[i]! - want[i]!), `${what}[${i}]`).toBeLessThan(1e-9);
  }
}

const torchEncoders = names.filter((n) => {
  const j = loadFixture(n).json;
  return j.weights.format === "torch" && j.weights.modules.length === 1;
});

describe("the torch → rnnc mapping reproduces PyTorch's outputs", () => {
  it("covers every torch.nn encoder fixture", () => {
    expect(torchEncoders.length).toBeGreaterThanOrEqual(17);
  });

  it.each(torchEncoders)("%s", (name) => {
    const { json, weights, inputs, expected } = loadFixture(name);
    const module = (json.weights as { readonly modules: readonly TorchRecurrent[] }).modules[0]!;
    const x = inputs.get("x")!;
    const lengths = json.lengths["T"]!;
    const T = x.shape[1]!;
    for (let b = 0; b < x.shape[0]!; b++) {
      const { outputs, final } = encode(
        CELLS[rnncCell(module)]!,
        weights,
        "enc",
        rows(x, b, lengths[b]!),
        module.layers ?? 1,
        module.bidirectional ?? false,
      );
      const W = final.length;
      const want = expected.get("outputs")!.data;
      expectClose(
        outputs.flat(),
        [...want.slice(b * T * W, (b * T + lengths[b]!) * W)] as number[],
        `outputs[${b}]`,
      );
      expectClose(
        final,
        [...expected.get("final")!.data.slice(b * W, (b + 1) * W)] as number[],
        `final[${b}]`,
      );
    }
  });

  it("textbook_lstm_linear: linear on the 2-layer LSTM's final output", () => {
    const { weights, inputs, expected } = loadFixture("textbook_lstm_linear");
    const x = inputs.get("x")!;
    for (let b = 0; b < x.shape[0]!; b++) {
      const { final } = encode(CELLS["lstm"]!, weights, "enc", rows(x, b, x.shape[1]!), 2, false);
      const want = expected.get("prediction")!.data.slice(b * 2, b * 2 + 2);
      expectClose(affine(weights, "prediction", final), [...want] as number[], `prediction[${b}]`);
    }
  });

  it("tagger_embedding_bigru_linear: embedding, bi-GRU, linear on every valid step", () => {
    const { json, weights, inputs, expected } = loadFixture("tagger_embedding_bigru_linear");
    const tokens = inputs.get("tokens")!;
    const emb = weights.get("e.weight")!;
    const D = emb.shape[1]!;
    const T = tokens.shape[1]!;
    const lengths = json.lengths["T"]!;
    for (let b = 0; b < tokens.shape[0]!; b++) {
      const xs = Array.from({ length: lengths[b]! }, (_, t) => {
        const id = Number(tokens.data[b * T + t]);
        return [...emb.data.slice(id * D, (id + 1) * D)] as number[];
      });
      const { outputs } = encode(CELLS["gru"]!, weights, "enc", xs, 1, true);
      const V = 5;
      const got = outputs.flatMap((o) => affine(weights, "logits", o));
      const want = expected.get("logits")!.data.slice(b * T * V, (b * T + lengths[b]!) * V);
      expectClose(got, [...want] as number[], `logits[${b}]`);
    }
  });
});
