import { describe, expect, it } from "vitest";
import { checkOk, totalParams } from "../../support/check.ts";

function encoderModel(cell: string, options = "", input = 10): string {
  return `model m {\n  input x: float[T, ${input}]\n  output h = encode(x, cell: ${cell}${options}).final\n}`;
}

function params(cell: string, options = "", input = 10) {
  return checkOk(encoderModel(cell, options, input)).models[0]!.params;
}

describe("parameter counts equal torch.nn", () => {
  it.each([
    ["lstm(hidden: 128)", "", 71_680], // torch.nn.LSTM(10, 128)
    ["gru(hidden: 128)", "", 53_760], // torch.nn.GRU(10, 128)
    ["rnn(hidden: 128)", "", 17_920], // torch.nn.RNN(10, 128)
    ["rnn_relu(hidden: 128)", "", 17_920],
    ["lstm(hidden: 128)", ", layers: 2, bidirectional", 538_624], // LSTM(10,128,2,bidirectional=True)
    ["lstm(hidden: 128)", ", layers: 2", 203_776], // LSTM(10,128,num_layers=2)
    [
      "gru(hidden: 64)",
      ", layers: 3, bidirectional",
      2 * (3 * 64 * (10 + 64) + 6 * 64) + 4 * (3 * 64 * (128 + 64) + 6 * 64),
    ],
    ["lstm_proj(hidden: 128, proj: 32)", "", 4 * 128 * (10 + 32) + 8 * 128 + 32 * 128], // LSTM(10,128,proj_size=32)
  ])("%s%s has %d parameters", (cell, options, expected) => {
    expect(totalParams(params(cell, options))).toBe(expected);
  });

  it("sum-merged bidirectional layers read the hidden size, not twice it", () => {
    const p = params("gru(hidden: 16)", ", layers: 2, bidirectional, merge: sum");
    expect(p.find((q) => q.name === "h.encode.l1.r.x.weight")?.shape).toEqual([16, 16]);
  });
});

describe("parameter names are deterministic and readable", () => {
  it("names lstm weights by binding, operand and layer, with PyTorch-like reverse suffixes", () => {
    const names = checkOk(
      `model m {\n  input x: float[T, 3]\n  enc = encode(x, cell: lstm(hidden: 4), bidirectional)\n  output y = linear(enc.final, 2)\n}`,
    ).models[0]!.params.map((p) => `${p.name} [${p.shape.join(", ")}]`);
    expect(names.slice(0, 4)).toEqual([
      "enc.l0.i.x.weight [4, 3]",
      "enc.l0.i.x.bias [4]",
      "enc.l0.i.h.weight [4, 4]",
      "enc.l0.i.h.bias [4]",
    ]);
    expect(names).toContain("enc.l0_reverse.o.h.bias [4]");
    expect(names.slice(-2)).toEqual(["y.weight [2, 8]", "y.bias [2]"]);
  });

  it("shares one bias across a multi-operand linear and dedupes repeats", () => {
    const cell = checkOk(
      `cell c(hidden: H) {\n  input x\n  state h: [H]\n  a = linear(x, h) + linear(x)\n  h' = tanh(a)\n}`,
    ).cells[0]!;
    expect(cell.params.map((p) => p.name)).toEqual([
      "a.x.weight",
      "a.h.weight",
      "a.bias",
      "a.x_1.weight",
      "a.x_1.bias",
    ]);
  });

  it("names nested model calls after their binding and function", () => {
    const model = checkOk(
      `model m {\n  input t: int[T]\n  enc = encode(embedding(t, vocab: 9, dim: 4), cell: gru(hidden: 3))\n  output y = enc.final\n}`,
    ).models[0]!;
    expect(model.params[0]).toMatchObject({
      name: "enc.embedding.weight",
      shape: [9, 4],
      init: "normal",
    });
  });

  it("lists explicit params, layernorm gains and the decoder's attention and head", () => {
    const model = checkOk(`model m {
  input s: int[S]
  input t: int[T] for training
  enc = encode(embedding(s, vocab: 10, dim: 4), cell: lstm(hidden: 3), bidirectional)
  dec = decode(from: enc, cell: lstm(hidden: 6), attention: bahdanau, attention_size: 5, vocab: 7, embed: 2, bos: 1, eos: 2, max_steps: 9, teacher: t)
  output y = dec.tokens
  loss cross_entropy(dec.logits, t)
}`).models[0]!;
    const shapes = Object.fromEntries(model.params.map((p) => [p.name, p.shape]));
    expect(shapes["dec.embed.weight"]).toEqual([7, 2]);
    expect(shapes["dec.cell.i.x.weight"]).toEqual([6, 2 + 6]); // embedding + context (memory width 6)
    expect(shapes["dec.attn.query.weight"]).toEqual([5, 6]);
    expect(shapes["dec.attn.key.weight"]).toEqual([5, 6]);
    expect(shapes["dec.attn.v"]).toEqual([5]);
    expect(shapes["dec.out.weight"]).toEqual([7, 12]);
    expect([...model.topologies]).toEqual(["encoder-decoder"]);
  });
});

describe("the standard library", () => {
  it("symbolic shapes of the layer-norm LSTM are inferred through split", () => {
    const cell = checkOk("").scope.get("layernorm_lstm")!;
    expect(cell.params.map((p) => p.name)).toEqual([
      "gates.x.weight",
      "gates.ln_x.weight",
      "gates.ln_x.bias",
      "gates.h.weight",
      "gates.h.bias",
      "gates.ln_h.weight",
      "gates.ln_h.bias",
      "h_next.ln_c_next.weight",
      "h_next.ln_c_next.bias",
    ]);
  });

  it("holds every cell the issue asks for", () => {
    const names = [...checkOk("").scope.keys()];
    for (const cell of [
      "rnn",
      "rnn_relu",
      "lstm",
      "gru",
      "gru_cho",
      "peephole_lstm",
      "layernorm_lstm",
      "cifg_lstm",
      "indrnn",
      "mingru",
    ]) {
      expect(names).toContain(cell);
    }
  });
});
