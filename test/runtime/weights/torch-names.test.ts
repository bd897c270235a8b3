import { describe, expect, it } from "vitest";
import { WeightsError } from "../../../runtime/weights/errors.ts";
import { tensor, writeSafetensors, type Tensor } from "../../../runtime/weights/safetensors.ts";
import {
  GATE_ORDERS,
  TORCH_GATES,
  fromTorch,
  nameMappings,
  rnncCell,
  rnncParams,
  toTorch,
  torchParams,
  type TorchModule,
  type TorchRecurrent,
} from "../../../runtime/weights/torch-names.ts";
import { checkOk } from "../../support/check.ts";

/** Tensors with distinct values (a running counter), so every block is identifiable. */
function stateDict(
  params: readonly { name: string; shape: readonly number[] }[],
  dtype: "F64" | "F32" = "F64",
): Map<string, Tensor> {
  let next = 0;
  return new Map(
    params.map(({ name, shape }) => {
      const n = shape.reduce((a, b) => a * b, 1);
      return [
        name,
        tensor(
          dtype,
          shape,
          Array.from({ length: n }, () => next++ / 8),
        ),
      ];
    }),
  );
}

function errorOf(f: () => unknown): WeightsError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(WeightsError);
    return e as WeightsError;
  }
  throw new Error("expected a WeightsError");
}

const RECURRENT: TorchRecurrent[] = [];
for (const module of ["RNN", "LSTM", "GRU"] as const) {
  for (const layers of [1, 2, 3]) {
    for (const bidirectional of [false, true]) {
      RECURRENT.push({ module, prefix: "enc", torch_prefix: "rnn.", layers, bidirectional });
    }
  }
}
RECURRENT.push(
  {
    module: "RNN",
    prefix: "enc",
    torch_prefix: "rnn",
    layers: 2,
    bidirectional: true,
    nonlinearity: "relu",
  },
  {
    module: "LSTM",
    prefix: "enc",
    torch_prefix: "",
    layers: 1,
    bidirectional: false,
    proj_size: 3,
  },
  {
    module: "LSTM",
    prefix: "enc",
    torch_prefix: "lstm.",
    layers: 2,
    bidirectional: true,
    proj_size: 3,
  },
  {
    module: "LSTM",
    prefix: "h.encode",
    torch_prefix: "model.rnn.",
    layers: 3,
    bidirectional: false,
    proj_size: 2,
  },
);

function label(m: TorchRecurrent): string {
  return `${m.module} layers=${m.layers} bi=${m.bidirectional} proj=${m.proj_size ?? 0} ${m.nonlinearity ?? ""}`;
}

/** The spec whose encoder has exactly this module's parameters. */
function encoderSpec(m: TorchRecurrent, input: number, hidden: number): string {
  const cell =
    rnncCell(m) === "lstm_proj"
      ? `lstm_proj(hidden: ${hidden}, proj: ${m.proj_size})`
      : `${rnncCell(m)}(hidden: ${hidden})`;
  const opts = [`cell: ${cell}`];
  if ((m.layers ?? 1) > 1) opts.push(`layers: ${m.layers}`);
  if (m.bidirectional) opts.push("bidirectional");
  const binding = m.prefix === "h.encode" ? "output h = encode(x, " : "enc = encode(x, ";
  const tail = m.prefix === "h.encode" ? ").final" : ")\n  output y = enc.final";
  return `model m {\n  input x: float[T, ${input}]\n  ${binding}${opts.join(", ")}${tail}\n}\n`;
}

describe("torch ↔ rnnc names for nn.RNN / LSTM / GRU", () => {
  for (const m of RECURRENT) {
    it(`${label(m)}: rnnc names and shapes are the checker's, and the mapping round-trips`, () => {
      const sizes = { input: 3, hidden: 5 };
      const torch = stateDict(torchParams(m, sizes));
      const rnnc = fromTorch(torch, [m]);

      // The checker names the same parameters, in the same order, with the same shapes.
      const model = checkOk(encoderSpec(m, sizes.input, sizes.hidden)).models[0]!;
      const expected = rnncParams(m, sizes);
      expect(model.params.map((p) => [p.name, p.shape])).toEqual(
        expected.map((p) => [p.name, p.shape]),
      );
      expect([...rnnc.keys()].sort()).toEqual(expected.map((p) => p.name).sort());
      for (const p of expected) expect(rnnc.get(p.name)!.shape, p.name).toEqual(p.shape);

      // Back to torch: the same names, in state_dict order, and the same bytes.
      const again = toTorch(rnnc, [m]);
      expect([...again.keys()]).toEqual([...torch.keys()]);
      expect(writeSafetensors(again)).toEqual(writeSafetensors(torch));
    });
  }

  it("splits row blocks in torch's gate order (LSTM i, f, g, o)", () => {
    const m: TorchModule = { module: "LSTM", prefix: "enc", torch_prefix: "rnn.", layers: 1 };
    const H = 2;
    const rows = (first: number) => Array.from({ length: 4 * H * 3 }, (_, k) => first + k);
    const torch = new Map<string, Tensor>([
      ["rnn.weight_ih_l0", tensor("F64", [4 * H, 3], rows(0))],
      ["rnn.weight_hh_l0", tensor("F64", [4 * H, H], rows(100).slice(0, 4 * H * H))],
      ["rnn.bias_ih_l0", tensor("F64", [4 * H], [0, 1, 2, 3, 4, 5, 6, 7])],
      ["rnn.bias_hh_l0", tensor("F64", [4 * H], [10, 11, 12, 13, 14, 15, 16, 17])],
    ]);
    const r = fromTorch(torch, [m]);
    expect([...r.get("enc.l0.i.x.weight")!.data]).toEqual([0, 1, 2, 3, 4, 5]);
    expect([...r.get("enc.l0.f.x.weight")!.data]).toEqual([6, 7, 8, 9, 10, 11]);
    expect([...r.get("enc.l0.o.x.weight")!.data]).toEqual([18, 19, 20, 21, 22, 23]);
    expect(r.get("enc.l0.o.x.weight")!.shape).toEqual([H, 3]);
    expect([...r.get("enc.l0.g.x.bias")!.data]).toEqual([4, 5]);
    expect([...r.get("enc.l0.g.h.bias")!.data]).toEqual([14, 15]);
    expect([...r.get("enc.l0.f.h.weight")!.data]).toEqual([104, 105, 106, 107]);
  });

  it("maps GRU blocks r, z, n and the reverse direction", () => {
    const m: TorchModule = { module: "GRU", prefix: "enc", layers: 1, bidirectional: true };
    const torch = stateDict(torchParams(m, { input: 2, hidden: 1 }));
    const r = fromTorch(torch, [m]);
    const bias = [...torch.get("bias_hh_l0_reverse")!.data];
    expect([...r.get("enc.l0_reverse.r.h.bias")!.data]).toEqual([bias[0]]);
    expect([...r.get("enc.l0_reverse.z.h.bias")!.data]).toEqual([bias[1]]);
    expect([...r.get("enc.l0_reverse.n.h.bias")!.data]).toEqual([bias[2]]);
  });

  it("maps weight_hr to h_next.r.weight for proj_size", () => {
    const m: TorchModule = { module: "LSTM", prefix: "enc", torch_prefix: "rnn.", proj_size: 2 };
    const torch = stateDict(torchParams(m, { input: 3, hidden: 4 }));
    expect(torch.get("rnn.weight_hh_l0")!.shape).toEqual([16, 2]);
    expect(torch.get("rnn.weight_hr_l0")!.shape).toEqual([2, 4]);
    const r = fromTorch(torch, [m]);
    expect(r.get("enc.l0.h_next.r.weight")).toBe(torch.get("rnn.weight_hr_l0"));
    expect(r.get("enc.l0.i.h.weight")!.shape).toEqual([4, 2]);
  });

  it("keeps the dtype (float32 in, float32 out)", () => {
    const m: TorchModule = { module: "GRU", prefix: "enc" };
    const r = fromTorch(stateDict(torchParams(m, { input: 3, hidden: 2 }), "F32"), [m]);
    for (const t of r.values()) {
      expect(t.dtype).toBe("F32");
      expect(t.data).toBeInstanceOf(Float32Array);
    }
  });
});

describe("nn.Linear and nn.Embedding with a module map", () => {
  const modules: TorchModule[] = [
    { module: "Embedding", torch_prefix: "emb.", prefix: "e" },
    { module: "LSTM", torch_prefix: "lstm.", prefix: "enc", layers: 2 },
    { module: "Linear", torch_prefix: "fc.", prefix: "logit" },
    { module: "Linear", torch_prefix: "proj.", prefix: "p", bias: false },
  ];
  const torch = new Map<string, Tensor>([
    ...stateDict(torchParams(modules[0]!, { input: 11, hidden: 3 })),
    ...stateDict(torchParams(modules[1]!, { input: 3, hidden: 4 })),
    ...stateDict(torchParams(modules[2]!, { input: 4, hidden: 2 })),
    ...stateDict(torchParams(modules[3]!, { input: 2, hidden: 2 })),
  ]);

  it("maps every module and matches the checker's parameter table", () => {
    const r = fromTorch(torch, modules);
    const model = checkOk(`model m {
  input tokens: int[T]
  e = embedding(tokens, vocab: 11, dim: 3)
  enc = encode(e, cell: lstm(hidden: 4), layers: 2)
  logit = linear(enc.final, 2)
  output y = linear(logit, out: 2, bias: false)
}
`).models[0]!;
    const names = model.params.map((p) => p.name.replace(/^y\./, "p."));
    expect([...r.keys()].sort()).toEqual([...names].sort());
    for (const p of model.params) {
      expect(r.get(p.name.replace(/^y\./, "p."))!.shape, p.name).toEqual(p.shape);
    }
    expect(r.get("e.weight")).toBe(torch.get("emb.weight"));
    expect(r.get("logit.bias")).toBe(torch.get("fc.bias"));
    expect(toTorch(r, modules)).toEqual(torch);
  });

  it("reports every unmapped and missing tensor in one error, never dropping one", () => {
    const broken = new Map(torch);
    broken.delete("fc.bias");
    broken.delete("lstm.weight_hh_l1");
    broken.set("head.weight", tensor("F64", [1], [0]));
    broken.set("lstm.weight_ih_l2", tensor("F64", [16, 4], new Array(64).fill(0)));
    const e = errorOf(() => fromTorch(broken, modules, { source: "model.pt.safetensors" }));
    expect(e.code).toBe("RNN4109");
    expect(e.message).toMatch(
      /^RNN4109: the PyTorch state_dict does not match the module descriptions \(model\.pt\.safetensors\): 4 problems:/,
    );
    expect(e.problems).toEqual([
      "lstm.weight_hh_l1: missing from the state_dict (it holds enc.l1.i.h.weight, enc.l1.f.h.weight, enc.l1.g.h.weight, enc.l1.o.h.weight)",
      "fc.bias: missing from the state_dict (it holds logit.bias)",
      "head.weight: no module description claims this tensor",
      "lstm.weight_ih_l2: no module description claims this tensor (a recurrent layer or direction the module descriptions do not have: check layers, bidirectional and torch_prefix)",
    ]);
  });

  it("passes unclaimed tensors through with unmapped: keep", () => {
    const extra = new Map(torch).set("step", tensor("I64", [], [7n]));
    const r = fromTorch(extra, modules, { unmapped: "keep" });
    expect(r.get("step")).toBe(extra.get("step"));
    const back = toTorch(r, modules, { unmapped: "keep" });
    expect(back.get("step")).toBe(extra.get("step"));
    expect(() => toTorch(r, modules)).toThrow(/step: no module description claims this tensor/);
  });
});

describe("shape problems", () => {
  const m: TorchModule = { module: "LSTM", prefix: "enc", torch_prefix: "rnn.", layers: 2 };

  it("names the tensor, the expected shape with its gate blocks, and what it got", () => {
    const torch = stateDict(torchParams(m, { input: 3, hidden: 5 }));
    torch.set("rnn.weight_ih_l1", tensor("F64", [20, 4], new Array(80).fill(0)));
    torch.set("rnn.bias_hh_l0", tensor("F64", [16], new Array(16).fill(0)));
    const e = errorOf(() => fromTorch(torch, [m]));
    expect(e.problems).toEqual([
      "rnn.bias_hh_l0: expected shape [20] (4 row blocks i, f, g, o of [5]), got [16]",
      "rnn.weight_ih_l1: expected shape [20, 5] (4 row blocks i, f, g, o of [5, 5]), got [20, 4]",
    ]);
  });

  it("says when the sizes cannot be told (rows not a multiple of the gates)", () => {
    const torch = stateDict(torchParams(m, { input: 3, hidden: 5 }));
    torch.set("rnn.weight_hh_l0", tensor("F64", [18, 5], new Array(90).fill(0)));
    expect(errorOf(() => fromTorch(torch, [m])).problems).toEqual([
      "rnn.weight_hh_l0: cannot tell the module's sizes from shape [18, 5] (expected 4 row blocks i, f, g, o)",
    ]);
  });

  it("toTorch reports gates that disagree and missing gates", () => {
    const rnnc = fromTorch(stateDict(torchParams(m, { input: 3, hidden: 5 })), [m]);
    const broken = new Map(rnnc);
    broken.set("enc.l0.f.x.weight", tensor("F64", [4, 3], new Array(12).fill(0)));
    broken.delete("enc.l1.o.h.bias");
    broken.set("enc.l0.g.x.bias", tensor("F32", [5], new Array(5).fill(0)));
    const e = errorOf(() => toTorch(broken, [m]));
    expect(e.message).toMatch(
      /^RNN4109: the rnnc weights do not match the PyTorch module descriptions/,
    );
    expect(e.problems).toEqual([
      "enc.l0.f.x.weight: shape [4, 3] differs from enc.l0.i.x.weight [5, 3] (row blocks of rnn.weight_ih_l0 must agree)",
      "enc.l0.g.x.bias: dtype F32 differs from enc.l0.i.x.bias F64 (row blocks of rnn.bias_ih_l0 must agree)",
      "enc.l1.o.h.bias: missing (needed for rnn.bias_hh_l1)",
    ]);
  });

  it("toTorch checks the stacked shapes across layers", () => {
    const rnnc = fromTorch(stateDict(torchParams(m, { input: 3, hidden: 5 })), [m]);
    for (const g of TORCH_GATES.LSTM) {
      rnnc.set(`enc.l1.${g}.x.weight`, tensor("F64", [5, 3], new Array(15).fill(0)));
    }
    expect(errorOf(() => toTorch(rnnc, [m])).problems).toEqual([
      "rnn.weight_ih_l1: expected shape [20, 5] (4 row blocks i, f, g, o of [5, 5]), got [20, 3]",
    ]);
  });
});

describe("module descriptions", () => {
  it("reports bad descriptions and collisions", () => {
    const e = errorOf(() =>
      fromTorch(new Map(), [
        { module: "LSTM", prefix: "enc", layers: 0 },
        { module: "GRU", prefix: "enc", proj_size: 2 } as TorchModule,
        { module: "Conv" as "LSTM", prefix: "x" },
        { module: "Linear", prefix: "", torch_prefix: "fc." },
        { module: "Linear", prefix: "a", torch_prefix: "same." },
        { module: "Linear", prefix: "b", torch_prefix: "same." },
      ]),
    );
    expect(e.problems).toEqual([
      "module '(root)': layers must be a whole number >= 1, got 0",
      "module '(root)': proj_size exists only for LSTM",
      "module '(root)': unknown module kind \"Conv\" (known: RNN, LSTM, GRU, Linear, Embedding)",
      "module 'fc.': the rnnc prefix must be a non-empty name, e.g. \"enc\"",
      "same.weight: claimed by both Linear 'same.' (→ a) and Linear 'same.' (→ b)",
      "same.bias: claimed by both Linear 'same.' (→ a) and Linear 'same.' (→ b)",
      "same.weight: missing from the state_dict (it holds a.weight)",
      "same.bias: missing from the state_dict (it holds a.bias)",
    ]);
  });

  it("lists torch names in state_dict order", () => {
    const m: TorchModule = {
      module: "LSTM",
      prefix: "enc",
      torch_prefix: "rnn.",
      bidirectional: true,
      proj_size: 2,
    };
    expect(nameMappings(m).map((x) => x.torch)).toEqual([
      "rnn.weight_ih_l0",
      "rnn.weight_hh_l0",
      "rnn.bias_ih_l0",
      "rnn.bias_hh_l0",
      "rnn.weight_hr_l0",
      "rnn.weight_ih_l0_reverse",
      "rnn.weight_hh_l0_reverse",
      "rnn.bias_ih_l0_reverse",
      "rnn.bias_hh_l0_reverse",
      "rnn.weight_hr_l0_reverse",
    ]);
  });

  it("picks the stdlib cell", () => {
    expect(rnncCell({ module: "RNN", prefix: "e" })).toBe("rnn");
    expect(rnncCell({ module: "RNN", prefix: "e", nonlinearity: "relu" })).toBe("rnn_relu");
    expect(rnncCell({ module: "LSTM", prefix: "e", proj_size: 0 })).toBe("lstm");
    expect(rnncCell({ module: "LSTM", prefix: "e", proj_size: 4 })).toBe("lstm_proj");
    expect(rnncCell({ module: "GRU", prefix: "e" })).toBe("gru");
  });
});

describe("gate orders of other layouts (data)", () => {
  it("covers torch, ONNX and Keras, each order a permutation of the rnnc gates", () => {
    const find = (framework: string, module: string) =>
      GATE_ORDERS.find((g) => g.framework === framework && g.module === module)!;
    expect(find("onnx", "LSTM").order).toEqual(["i", "o", "f", "c"]);
    expect(find("onnx", "GRU").order).toEqual(["z", "r", "h"]);
    expect(find("keras", "LSTM").order).toEqual(["i", "f", "c", "o"]);
    expect(find("keras", "GRU").order).toEqual(["z", "r", "h"]);
    for (const g of GATE_ORDERS) {
      expect([...g.rnnc].sort(), `${g.framework} ${g.module}`).toEqual(
        [...TORCH_GATES[g.module]].sort(),
      );
      expect(g.order.length).toBe(g.rnnc.length);
    }
  });
});
