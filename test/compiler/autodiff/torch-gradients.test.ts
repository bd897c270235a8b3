// rnnc's reverse-mode gradients against PyTorch's (torch.autograd in float64, committed in the
// fixtures by test/fixtures/make_fixtures.py) for every fixture: every parameter and every float
// input, of L = Σ over the fixture's outputs of sum(output · cotangent), with the fixture's
// cotangents (0 at don't-care padded steps; the graph's other float outputs, the encoders'
// final states, get a zero cotangent, so L is PyTorch's).
//
// The error of one gradient tensor `got` against PyTorch's `want` is
//
//   max_i |got_i - want_i| / max(|want_i|, 1e-3 · max_j |want_j|, 1e-4 · S)
//
// with S the largest |entry| of all the case's gradients (every parameter and input): a
// relative error per entry, with entries that are nearly 0 — within a thousandth of their
// tensor's largest, or within 1e-4 of the case's gradient scale — held to an absolute error at
// that scale instead. The second floor is for tensors that are small as a whole: float32 sums
// of terms of the case's scale S carry absolute errors of some 1e-9 to 1e-8 · S whatever the
// tensor, so an entry of 1e-6 · S has barely two digits in any float32 implementation
// (seq2seq_bahdanau's dec.attn.key.bias has an entry of 5.4e-6 next to gradients of 4.8:
// without the second floor rnnc's float32 error there is 3.6e-3, PyTorch's own float32
// autograd's 5e-4). The error must be <= 1e-6 in float64 and <= 1e-3 in float32 (issue 5). Gradients with respect to padded input positions (t >= the sequence's
// length) must be exactly 0 in both precisions, as they are in PyTorch (never read).
import { describe, expect, it } from "vitest";
import { withGradients } from "../../../compiler/autodiff/reverse.ts";
import { compileModel } from "../../../compiler/pipeline.ts";
import { evaluate } from "../../../runtime/reference/interpreter.ts";
import { fromStored } from "../../../compiler/driver/run-model.ts";
import { tensor, type Tensor } from "../../../runtime/reference/tensor.ts";
import type { Tensor as StoredTensor } from "../../../runtime/weights/safetensors.ts";
import { fixtureNames, loadFixture, type Fixture } from "../../fixtures/fixtures.ts";
import { checkOk } from "../../support/check.ts";

const TOLERANCE = { float64: 1e-6, float32: 1e-3 } as const;
type Precision = keyof typeof TOLERANCE;

/** Largest |entry| of a stored tensor. */
function maxAbs(t: StoredTensor): number {
  let m = 0;
  for (let i = 0; i < t.data.length; i++) m = Math.max(m, Math.abs(Number(t.data[i])));
  return m;
}

/** The error defined above, for the case's gradient scale `caseScale` (S). */
function relativeError(got: Tensor, want: StoredTensor, caseScale: number): number {
  expect(got.shape).toEqual([...want.shape]);
  const floor = Math.max(1e-3 * maxAbs(want), 1e-4 * caseScale, Number.MIN_VALUE);
  let error = 0;
  for (let i = 0; i < want.data.length; i++) {
    const w = Number(want.data[i]);
    const e = Math.abs(got.data[i]! - w) / Math.max(Math.abs(w), floor);
    if (!(e <= error)) error = e; // NaN wins
  }
  return error;
}

/** Flat indices of the entries at padded steps of a batch-major [B, T, ...] tensor. */
function paddedEntries(shape: readonly number[], lengths: readonly number[]): number[] {
  const [batch, steps] = shape as [number, number];
  const row = shape.slice(2).reduce((a, b) => a * b, 1);
  const out: number[] = [];
  for (let b = 0; b < batch; b++)
    for (let t = lengths[b]!; t < steps; t++)
      for (let k = 0; k < row; k++) out.push((b * steps + t) * row + k);
  return out;
}

interface Run {
  /** Worst error per gradient output (`grad.<param>` / `grad.<input>`). */
  readonly errors: Map<string, number>;
  /** Gradients of padded input positions that are not exactly 0. */
  readonly nonzeroPadded: string[];
}

/** Differentiated unrolled (a chain of steps) or in scan form (a backward scan per scan). */
type Form = "unrolled" | "scan form";

function gradients(
  fixture: Fixture,
  precisions: readonly Precision[],
  form: Form = "unrolled",
): Map<Precision, Run> {
  const model = checkOk(fixture.json.spec).models[0]!;
  const mode = model.inputs.some((i) => i.training && fixture.inputs.has(i.name))
    ? "train"
    : "infer";
  const batch = fixture.inputs.values().next().value!.shape[0]!;
  const steps: Record<string, number> = {};
  for (const input of model.inputs) {
    const given = fixture.inputs.get(input.name);
    if (input.type.time && given) steps[input.type.time] = given.shape[1]!;
  }
  const floatInputs = model.inputs
    .filter((i) => i.type.dtype === "float" && fixture.inputs.has(i.name))
    .map((i) => i.name);
  expect(floatInputs.sort()).toEqual([...fixture.inputGradients.keys()].sort());
  expect(model.params.map((p) => p.name).sort()).toEqual([...fixture.gradients.keys()].sort());

  const until = form === "scan form" ? "hoist-input-projections" : undefined;
  const graph = withGradients(compileModel(model, { batch, steps, mode, until }), {
    inputs: floatInputs,
  });
  const inputs: Record<string, Tensor> = {};
  for (const [name, t] of fixture.inputs) inputs[name] = fromStored(t);
  for (const [axis, lengths] of Object.entries(fixture.json.lengths))
    inputs[`lengths.${axis}`] = tensor("int", [batch], lengths);
  for (const [name, node] of graph.inputs) {
    if (!name.startsWith("cotangent.")) continue;
    const given = fixture.cotangents.get(name.slice("cotangent.".length));
    const size = node.shape.reduce((a, b) => a * b, 1);
    inputs[name] = given ? fromStored(given) : tensor("float", node.shape, new Array(size).fill(0));
  }
  for (const output of fixture.cotangents.keys())
    expect(graph.inputs.has(`cotangent.${output}`), output).toBe(true);
  const params = Object.fromEntries(
    model.params.map((p) => [p.name, fromStored(fixture.weights.get(p.name)!)]),
  );

  const wanted: [string, StoredTensor][] = [
    ...[...fixture.gradients].map(([n, t]) => [`grad.${n}`, t] as [string, StoredTensor]),
    ...[...fixture.inputGradients].map(([n, t]) => [`grad.${n}`, t] as [string, StoredTensor]),
  ];
  const caseScale = Math.max(...wanted.map(([, t]) => maxAbs(t)));
  const runs = new Map<Precision, Run>();
  for (const precision of precisions) {
    const out = evaluate(graph, { inputs, params }, { precision });
    const errors = new Map<string, number>();
    for (const [name, want] of wanted) {
      const got = out[name];
      expect(got, name).toBeDefined();
      errors.set(name, relativeError(got!, want, caseScale));
    }
    const nonzeroPadded: string[] = [];
    for (const input of model.inputs) {
      const axis = input.type.time;
      if (!axis || !fixture.inputGradients.has(input.name)) continue;
      const got = out[`grad.${input.name}`]!;
      const want = fixture.inputGradients.get(input.name)!;
      for (const i of paddedEntries(got.shape, fixture.json.lengths[axis]!)) {
        expect(want.data[i], `PyTorch's grad.${input.name}[${i}] (padded)`).toBe(0);
        if (got.data[i] !== 0) nonzeroPadded.push(`grad.${input.name}[${i}] = ${got.data[i]}`);
      }
    }
    runs.set(precision, { errors, nonzeroPadded });
  }
  return runs;
}

function worst(errors: ReadonlyMap<string, number>): [string, number] {
  return [...errors].reduce((a, b) => (b[1] > a[1] || Number.isNaN(b[1]) ? b : a), ["", 0]);
}

const names = fixtureNames();

describe("rnnc's gradients equal PyTorch's", () => {
  it("covers rnn / lstm / gru, 1-2 layers, bidirectional, variable lengths, every stdlib variant and attention", () => {
    for (const prefix of [
      "rnn_tanh_l1",
      "rnn_tanh_l2_bi_varlen",
      "lstm_l2_bi_varlen",
      "gru_l2_bi_bf",
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
    ])
      expect(
        names.some((n) => n.startsWith(prefix)),
        prefix,
      ).toBe(true);
  });

  it.each(names.flatMap((n) => (["unrolled", "scan form"] as const).map((f) => [n, f] as const)))(
    "%s, %s",
    (name, form) => {
      const fixture = loadFixture(name);
      const runs = gradients(fixture, ["float64", "float32"], form);
      for (const [precision, { errors, nonzeroPadded }] of runs) {
        const [tensorName, error] = worst(errors);
        expect(error, `${name} ${tensorName} in ${precision}`).toBeLessThanOrEqual(
          TOLERANCE[precision],
        );
        expect(nonzeroPadded, `${name} padded input positions in ${precision}`).toEqual([]);
      }
    },
  );
});
