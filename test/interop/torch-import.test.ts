// importTorch / exportTorch (compiler/interop) on their own: every PyTorch-written fixture's
// state_dict maps to the weights its explicit module descriptions give, with the modules
// found from the spec alone; what no torch.nn module holds, ambiguity and bad --map are
// reported by name and place.
import { describe, expect, it } from "vitest";
import { InteropError } from "../../compiler/interop/errors.ts";
import { exportTorch } from "../../compiler/interop/torch-export.ts";
import { importTorch } from "../../compiler/interop/torch-import.ts";
import { torchLayout } from "../../compiler/interop/torch-layout.ts";
import { initialWeights } from "../../runtime/weights/init.ts";
import { fixtureNames, loadFixture } from "../fixtures/fixtures.ts";
import { checkOk } from "../support/check.ts";

function modelOf(spec: string) {
  return checkOk(spec).models[0]!;
}

function problemsOf(f: () => unknown): InteropError {
  try {
    f();
  } catch (e) {
    if (e instanceof InteropError) return e;
    throw e;
  }
  throw new Error("expected an InteropError");
}

const torchCases = fixtureNames().filter((n) => loadFixture(n).json.weights.format === "torch");

describe("the PyTorch fixtures' state_dicts, modules found from the spec", () => {
  it.each(torchCases)("%s", (name) => {
    const fixture = loadFixture(name);
    const model = modelOf(fixture.json.spec);
    const { weights, modules } = importTorch(model, fixture.storedWeights);
    expect(modules.every((m) => m.by === "fit")).toBe(true);
    expect([...weights.keys()].sort()).toEqual(model.params.map((p) => p.name).sort());
    for (const [n, t] of fixture.weights) {
      expect(weights.get(n)!.shape).toEqual(t.shape);
      expect([...weights.get(n)!.data]).toEqual([...t.data]);
    }
    // And back: the same tensors under the fixture's torch names.
    const map = new Map(
      fixture.json.weights.format === "torch"
        ? fixture.json.weights.modules.map((m) => [m.torch_prefix!.replace(/\.$/, ""), m.prefix])
        : [],
    );
    const back = exportTorch(model, weights, { map }).stateDict;
    expect([...back.keys()].sort()).toEqual([...fixture.storedWeights.keys()].sort());
    for (const [n, t] of back) expect([...t.data]).toEqual([...fixture.storedWeights.get(n)!.data]);
  });
});

describe("the spec's torch.nn modules", () => {
  it("finds encoders of standard cells, linears and embeddings; the rest is unmappable", () => {
    const model = modelOf(`
cell mine(hidden: H) {
  input x
  state h: [H]
  h' = tanh(linear(x, h))
}
model m {
  input tokens: int[T]
  e = embedding(tokens, vocab: 7, dim: 3)
  a = encode(e, cell: lstm_proj(hidden: 4, proj: 2), layers: 2, bidirectional)
  b = encode(a.outputs, cell: mine(hidden: 3))
  c = encode(e, cell: clipped_gru(hidden: 3))
  output y = linear(b.final, 2)
  output z = linear(a.final, 2, bias: false)
}`);
    const layout = torchLayout(model);
    expect(layout.modules.map((m) => m.label)).toEqual([
      "embedding 'e' (nn.Embedding(7, 3))",
      "encoder 'a' (nn.LSTM(3, 4), 2 layers, bidirectional, proj_size 2)",
      "linear 'y' (nn.Linear(3, 2))",
      "linear 'z' (nn.Linear(4, 2, bias=False))",
    ]);
    expect(layout.unmappable.map((u) => u.why)).toEqual([
      "cell mine is not one of the standard cells torch.nn computes (rnn, rnn_relu, lstm, lstm_proj, gru)",
      "cell clipped_gru is not one of the standard cells torch.nn computes (rnn, rnn_relu, lstm, lstm_proj, gru)",
    ]);
  });

  it("export names each parameter no torch.nn module holds, at its call (RNN4602)", () => {
    const model = modelOf(`model m {
  input x: float[T, 3]
  enc = encode(x, cell: peephole_lstm(hidden: 2))
  output y = linear(enc.final, 1)
}`);
    const e = problemsOf(() => exportTorch(model, initialWeights(model.params, 0)));
    expect(e.code).toBe("RNN4602");
    expect(e.problems).toHaveLength(1);
    expect(e.problems[0]!.span).toBeDefined();
    expect(e.problems[0]!.details).toContain("enc.l0.p_i");
    const kept = exportTorch(model, initialWeights(model.params, 0), { keepUnmapped: true });
    expect(kept.stateDict.has("enc.l0.p_i")).toBe(true);
    expect(kept.stateDict.has("y.weight")).toBe(true);
    // and those tensors come back under their rnnc names
    expect(importTorch(model, kept.stateDict).byName).toContain("enc.l0.p_i");
  });

  it("export of weights that are a state_dict already says so", () => {
    const fixture = loadFixture("gru_l1");
    const e = problemsOf(() => exportTorch(modelOf(fixture.json.spec), fixture.storedWeights));
    expect(e.problems[0]!.message).toBe(
      "the weights have PyTorch names: they are a state_dict already",
    );
  });

  it("two state_dict modules that fit one spec module equally: an error asks for --map", () => {
    const model = modelOf(`model m {
  input x: float[T, 3]
  enc = encode(x, cell: gru(hidden: 2))
  a = linear(enc.final, 2)
  output y = linear(a, 2)
}`);
    const dict = exportTorch(model, initialWeights(model.params, 0), {
      map: new Map([
        ["rnn", "enc"],
        ["first", "a"],
        ["second", "y"],
      ]),
    }).stateDict;
    const e = problemsOf(() => importTorch(model, dict));
    expect(e.problems.map((p) => p.message)).toEqual([
      "2 modules of the state_dict fit linear 'a' (nn.Linear(2, 2)): first, second",
      "2 modules of the state_dict fit linear 'y' (nn.Linear(2, 2)): first, second",
    ]);
    const ok = importTorch(model, dict, {
      map: new Map([
        ["first", "a"],
        ["second", "y"],
      ]),
    });
    expect(ok.modules.map((m) => `${m.torch}:${m.by}`)).toEqual([
      "first:--map",
      "second:--map",
      "rnn:fit",
    ]);
  });

  it("the root module's own state_dict (a bare nn.LSTM) maps too", () => {
    const fixture = loadFixture("lstm_l1");
    const bare = new Map([...fixture.storedWeights].map(([n, t]) => [n.replace(/^rnn\./, ""), t]));
    const { modules } = importTorch(modelOf(fixture.json.spec), bare);
    expect(modules.map((m) => [m.torch, m.by])).toEqual([["", "fit"]]);
  });
});
