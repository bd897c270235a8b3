import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { astEqual, stripSpans } from "../../dsl/ast-equal.ts";
import { format, MAX_WIDTH } from "../../dsl/format.ts";
import { parse } from "../../dsl/parse.ts";
import { SourceFile } from "../../dsl/source.ts";

/** Formats `src`, checking on the way that the tree and comments survive and a second pass is a no-op. */
function fmt(src: string): string {
  const result = format(src);
  expect(result.diagnostics).toEqual([]);
  const out = result.text;
  if (out === undefined) throw new Error("no text");
  const before = parse(src);
  const after = parse(out);
  expect(stripSpans(after.program)).toEqual(stripSpans(before.program));
  expect(after.comments.map((c) => c.text)).toEqual(before.comments.map((c) => c.text.trimEnd()));
  expect(format(out).text).toBe(out);
  return out;
}

/** Formats one expression as the value of `y = ...` in a model and returns the printed value. */
function fmtExpr(e: string): string {
  const out = fmt(`model m { y = ${e} }`);
  return out.split("\n")[1]!.replace(/^ {2}y = /, "");
}

describe("expressions", () => {
  it.each([
    ["a - (b - c)", "a - (b - c)"],
    ["(a - b) - c", "a - b - c"],
    ["a + (b - c)", "a + (b - c)"],
    ["a - (b + c)", "a - (b + c)"],
    ["(a + b) + c", "a + b + c"],
    ["(a * b) + c", "a * b + c"],
    ["a + (b * c)", "a + b * c"],
    ["a * (b + c)", "a * (b + c)"],
    ["(a + b) * c", "(a + b) * c"],
    ["a / (b * c)", "a / (b * c)"],
    ["(a / b) * c", "a / b * c"],
    ["a * (b / c)", "a * (b / c)"],
    ["-(a * b)", "-(a * b)"],
    ["-(a + b)", "-(a + b)"],
    ["(-a) * b", "-a * b"],
    ["a * (-b)", "a * -b"],
    ["a - (-b)", "a - -b"],
    ["-(-a)", "--a"],
    ["- - a", "--a"],
    ["-(a.b)", "-a.b"],
    ["(-a).b", "(-a).b"],
    ["(a + b).c", "(a + b).c"],
    ["(a * b).c", "(a * b).c"],
    ["(f(x)).y.z", "f(x).y.z"],
    ["(3).f", "(3).f"],
    ["(1e-5).f", "(1e-5).f"],
    ["((((a))))", "a"],
    ["-(1)", "-1"],
    ["(1 - z) * n + z * h", "(1 - z) * n + z * h"],
    ["h'*c'", "h' * c'"],
    ["0.50+1e-5-2.5E+3+007", "0.50 + 1e-5 - 2.5E+3 + 007"],
    ["true*false", "true * false"],
    ["f( )", "f()"],
    ["f(a,b :2 , cell:lstm(hidden:256))", "f(a, b: 2, cell: lstm(hidden: 256))"],
    ["f(for: 1, true: (2), training: x)", "f(for: 1, true: 2, training: x)"],
  ])("%s → %s", (input, expected) => {
    expect(fmtExpr(input)).toBe(expected);
  });
});

describe("statements and declarations", () => {
  it("spaces every statement kind canonically", () => {
    const src = `cell  lstm ( hidden:H , eps=1e-5,floor = - 2 ) {
input x,y:[H]
  state h:[H],c:[ 4*H ]
    param g:[H]=ones,b:[H] =zeros, p : []
r,z=split( v,2 )
h'=o*tanh(c')
output   p=sigmoid( x )
}
model   m{input tokens:int [T],label : float[1]for  training
loss f(a,b: 2)}`;
    expect(fmt(src)).toBe(`cell lstm(hidden: H, eps = 1e-5, floor = -2) {
  input x, y: [H]
  state h: [H], c: [4 * H]
  param g: [H] = ones, b: [H] = zeros, p: []
  r, z = split(v, 2)
  h' = o * tanh(c')
  output p = sigmoid(x)
}

model m {
  input tokens: int[T], label: float[1] for training
  loss f(a, b: 2)
}
`);
  });

  it("prints empty bodies and headers compactly", () => {
    expect(fmt("cell c ( ) {\n\n}\nmodel m {   }")).toBe("cell c() {}\n\nmodel m {}\n");
  });

  it("formats an empty program to the empty string", () => {
    expect(fmt("")).toBe("");
    expect(fmt("  \n\n\t\n")).toBe("");
  });
});

describe("blank lines", () => {
  it("keeps single blank lines between statements, collapses runs, trims block edges", () => {
    const src = "model m {\n\n\n  a = 1\n  b = 2\n\n\n\n  c = 3\n\n  d = 4\n\n}\n";
    expect(fmt(src)).toBe("model m {\n  a = 1\n  b = 2\n\n  c = 3\n\n  d = 4\n}\n");
  });

  it("separates declarations by exactly one blank line", () => {
    expect(fmt("cell a() {}cell b() {}\n\n\n\nmodel c {}")).toBe(
      "cell a() {}\n\ncell b() {}\n\nmodel c {}\n",
    );
  });

  it("counts statements on one line as adjacent", () => {
    expect(fmt("model m { a = 1 b = 2\n\n c = 3 }")).toBe(
      "model m {\n  a = 1\n  b = 2\n\n  c = 3\n}\n",
    );
  });

  it("accepts CRLF line endings and prints LF", () => {
    expect(fmt("# top\r\nmodel m {\r\n  a = 1 # one\r\n\r\n  b = 2\r\n}\r\n")).toBe(
      "# top\nmodel m {\n  a = 1 # one\n\n  b = 2\n}\n",
    );
  });
});

describe("comments", () => {
  it("keeps file-leading comments, with or without a blank line after them", () => {
    expect(fmt("# file\n\n# about a\ncell a() {}\n")).toBe("# file\n\n# about a\ncell a() {}\n");
    expect(fmt("   # about a\ncell a() {}")).toBe("# about a\ncell a() {}\n");
  });

  it("keeps leading and trailing comments of statements", () => {
    const src = `model m {
      # leading a
  a = 1    # trailing a
  # leading b, line 1
      # leading b, line 2

  b = 2 #trailing b
}`;
    expect(fmt(src)).toBe(`model m {
  # leading a
  a = 1 # trailing a
  # leading b, line 1
  # leading b, line 2

  b = 2 #trailing b
}
`);
  });

  it("keeps a comment on the header line and after the closing brace", () => {
    expect(fmt("model g2p {   # encoder-decoder\n  a = 1\n}   # done\n")).toBe(
      "model g2p { # encoder-decoder\n  a = 1\n} # done\n",
    );
    expect(fmt("model m { # only a comment\n}")).toBe("model m { # only a comment\n}\n");
    expect(fmt("model m {} # after")).toBe("model m {} # after\n");
  });

  it("keeps comments at the end of a block at the end of the block", () => {
    expect(fmt("model m {\n  a = 1\n\n  # todo: b\n  # and c\n}\n")).toBe(
      "model m {\n  a = 1\n\n  # todo: b\n  # and c\n}\n",
    );
    expect(fmt("model m {\n# nothing yet\n}")).toBe("model m {\n  # nothing yet\n}\n");
  });

  it("moves comments inside a statement before it", () => {
    const src = `model m {
  a = 1

  y = f(x, # the input
        w: 2 # a weight
        ) + # plus
      1 # end
}`;
    expect(fmt(src)).toBe(`model m {
  a = 1

  # the input
  # a weight
  # plus
  y = f(x, w: 2) + 1 # end
}
`);
  });

  it("moves comments inside a declaration header before the declaration", () => {
    const src = "cell a(hidden: H, # size\n  eps = 1e-5 # epsilon\n) { # body\n  x = 1\n}\n";
    expect(fmt(src)).toBe(
      "# size\n# epsilon\ncell a(hidden: H, eps = 1e-5) { # body\n  x = 1\n}\n",
    );
  });

  it("keeps comments between and after declarations", () => {
    const src = "cell a() {}\n# about b\ncell b() {} # b\n# the end\n\n# really\n";
    expect(fmt(src)).toBe("cell a() {}\n\n# about b\ncell b() {} # b\n# the end\n\n# really\n");
  });

  it("formats a file of comments only", () => {
    expect(fmt("\n\n# one   \n\n\n# two\n")).toBe("# one\n\n# two\n");
  });

  it("keeps comment text verbatim except trailing blanks", () => {
    const out = fmt("model m {\n  a = 1 #   spaced  {}()# é ✓\t \n}");
    expect(out).toBe("model m {\n  a = 1 #   spaced  {}()# é ✓\n}\n");
  });
});

describe("long statements", () => {
  it("breaks the outermost call's arguments one per line; nested calls stay whole", () => {
    const src = `model g2p {
  dec = decode(from: enc, cell: lstm(hidden: 256), attention: luong,
               vocab: 42, embed: 64, bos: 1, eos: 2, max_steps: 30, teacher: phones) # decoder
}`;
    expect(fmt(src)).toBe(`model g2p {
  dec = decode(
    from: enc,
    cell: lstm(hidden: 256),
    attention: luong,
    vocab: 42,
    embed: 64,
    bos: 1,
    eos: 2,
    max_steps: 30,
    teacher: phones
  ) # decoder
}
`);
  });

  it(`breaks only beyond ${MAX_WIDTH} columns`, () => {
    // "  y = f(" is 8 columns and ")" one: arguments of 91 columns make exactly 100.
    const fits = `  y = f(${"a".repeat(91)})`;
    expect(fits.length).toBe(MAX_WIDTH);
    expect(fmt(`model m {\n${fits}\n}`)).toBe(`model m {\n${fits}\n}\n`);
    const long = `  y = f(${"a".repeat(92)})`;
    expect(fmt(`model m {\n${long}\n}`)).toBe(
      `model m {\n  y = f(\n    ${"a".repeat(92)}\n  )\n}\n`,
    );
  });

  it("breaks the widest of several outermost calls, and leaves call-free lines alone", () => {
    const args = Array.from({ length: 14 }, (_, i) => `arg${i}`).join(", ");
    const out = fmt(`model m { y = -g(1).f + h(${args}) * 2 }`);
    expect(out).toBe(
      `model m {\n  y = -g(1).f + h(\n${Array.from({ length: 14 }, (_, i) => `    arg${i}`).join(",\n")}\n  ) * 2\n}\n`,
    );
    const sum = Array.from({ length: 30 }, (_, i) => `x${i}`).join(" + ");
    expect(fmt(`model m { loss ${sum} }`)).toBe(`model m {\n  loss ${sum}\n}\n`);
  });

  it("breaks output and loss statements too", () => {
    const args = Array.from({ length: 15 }, (_, i) => `name${i}: ${i}`).join(", ");
    const out = fmt(`model m { output o = f(${args}) loss g(${args}) }`);
    expect(out.split("\n").filter((l) => l === "  )")).toHaveLength(2);
    expect(out).toContain("  output o = f(\n    name0: 0,\n");
    expect(out).toContain("  loss g(\n    name0: 0,\n");
  });
});

describe("errors", () => {
  it("returns the syntax diagnostics and no text", () => {
    const result = format("model m { y = (a + }");
    expect(result.text).toBeUndefined();
    expect(result.diagnostics.length).toBeGreaterThan(0);
    expect(result.diagnostics[0]!.code).toMatch(/^RNN1\d{3}$/);
  });

  it("never throws on garbage", () => {
    for (const junk of ["}", "cell", "model m { ", "@@@", "# only\ncell (", "model m { x = 3H }"]) {
      const result = format(junk);
      expect(result.text).toBeUndefined();
      expect(result.diagnostics.length).toBeGreaterThan(0);
    }
  });

  it("accepts a SourceFile", () => {
    expect(format(new SourceFile("a.rnn", "model m{a=1}")).text).toBe("model m {\n  a = 1\n}\n");
  });
});

const messyLstm = `# stdlib-style file: an LSTM, a GRU and a model using them.
cell lstm( hidden:H ) {
    input x
    state h:[H],c:[H]
    i=sigmoid(linear(x)+linear(h))
    f=sigmoid(linear(x)+linear(h))   # forget gate
    g=tanh(linear(x)+linear(h))
    o=sigmoid(linear(x)+linear(h))



    c'=(f*c)+(i*g)
    h'=o*tanh(c')
}
cell gru(hidden: H) {
  input x
  state h: [H]
  r = sigmoid(linear(x) + linear(h))
  z = sigmoid(linear(x) + linear(h))
  n = tanh(linear(x) + r * (linear(h)))
  h' = ((1 - z) * n) + (z * h)
}
model sentiment {input tokens: int[T]
  input label: float[1] for training
  e     = embedding(tokens, vocab: 10000, dim: 100)
  enc   = encode(e, cell: lstm(hidden: 256), layers: 2, bidirectional, dropout: 0.5, reverse: false, pack: true)
  logit = linear(dropout(enc.final, 0.5), 1)        # many-to-one
  output prob = sigmoid(logit)
  loss bce_with_logits(logit, label)}
`;

const canonicalLstm = `# stdlib-style file: an LSTM, a GRU and a model using them.
cell lstm(hidden: H) {
  input x
  state h: [H], c: [H]
  i = sigmoid(linear(x) + linear(h))
  f = sigmoid(linear(x) + linear(h)) # forget gate
  g = tanh(linear(x) + linear(h))
  o = sigmoid(linear(x) + linear(h))

  c' = f * c + i * g
  h' = o * tanh(c')
}

cell gru(hidden: H) {
  input x
  state h: [H]
  r = sigmoid(linear(x) + linear(h))
  z = sigmoid(linear(x) + linear(h))
  n = tanh(linear(x) + r * linear(h))
  h' = (1 - z) * n + z * h
}

model sentiment {
  input tokens: int[T]
  input label: float[1] for training
  e = embedding(tokens, vocab: 10000, dim: 100)
  enc = encode(
    e,
    cell: lstm(hidden: 256),
    layers: 2,
    bidirectional,
    dropout: 0.5,
    reverse: false,
    pack: true
  )
  logit = linear(dropout(enc.final, 0.5), 1) # many-to-one
  output prob = sigmoid(logit)
  loss bce_with_logits(logit, label)
}
`;

describe("realistic files", () => {
  it("formats a messy LSTM/GRU/model file to canonical form, idempotently", () => {
    expect(fmt(messyLstm)).toBe(canonicalLstm);
    expect(fmt(canonicalLstm)).toBe(canonicalLstm);
  });

  it("keeps every .rnn file in the repository's tree and comments", () => {
    const dirs = ["dsl/stdlib", "examples"];
    for (const dir of dirs) {
      let names: string[];
      try {
        names = readdirSync(dir).filter((n) => n.endsWith(".rnn"));
      } catch {
        continue;
      }
      for (const name of names) {
        const text = readFileSync(`${dir}/${name}`, "utf8");
        if (!parse(text).program) continue; // syntax errors are other tests' business
        fmt(text);
      }
    }
  });
});

describe("astEqual", () => {
  it("ignores spans and undefined keys, and compares everything else", () => {
    const a = parse("model m { y = f(a, b: 2) }").program;
    const b = parse("model   m {\n\n  y = f( a ,b:2 )\n}").program;
    const c = parse("model m { y = f(a, b: 3) }").program;
    expect(astEqual(a, b)).toBe(true);
    expect(astEqual(a, c)).toBe(false);
    expect(astEqual({ x: 1, y: undefined, span: 1 }, { x: 1, bodySpan: 2 })).toBe(true);
    expect(astEqual([1, 2], [1, 2, 3])).toBe(false);
    expect(astEqual(0, -0)).toBe(false);
    expect(stripSpans({ span: 1, kids: [{ bodySpan: 2, n: 3 }] })).toEqual({ kids: [{ n: 3 }] });
  });
});
