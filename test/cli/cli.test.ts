import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../cli/main.ts";
import { stdlibFiles } from "../../compiler/check/index.ts";

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

const examples = ["textbook", "spam", "co2", "stress", "names", "g2p", "params"].map(
  (n) => `examples/${n}.rnn`,
);

describe("rnnc check", () => {
  it("accepts the standard library and every example", async () => {
    const r = await run("check", ...stdlibFiles(), ...examples);
    expect(r.err).toMatch(/no errors/);
    expect(r.code).toBe(0);
  });

  it("lists parameters with counts and totals", async () => {
    const r = await run("check", "--params", "examples/params.rnn");
    expect(r.code).toBe(0);
    expect(r.out).toContain("model lstm_10_128 (many-to-one): 71,680 parameters");
    expect(r.out).toContain("model gru_10_128 (many-to-one): 53,760 parameters");
    expect(r.out).toContain("model rnn_10_128 (many-to-one): 17,920 parameters");
    expect(r.out).toContain("model bilstm_2x_10_128 (many-to-one): 538,624 parameters");
    expect(r.out).toMatch(/h\.encode\.l0\.i\.x\.weight\s+\[128, 10\]\s+1,280/);
  });

  it("lists a stdlib cell's parameters symbolically or with bound sizes", async () => {
    const symbolic = await run("check", "--params", "dsl/stdlib/lstm.rnn");
    expect(symbolic.out).toContain(
      "cell lstm(hidden: H), input x: [I]: 8*H + 4*H*H + 4*H*I parameters",
    );
    const bound = await run(
      "check",
      "--params",
      "--bind",
      "hidden=128,input=10",
      "dsl/stdlib/lstm.rnn",
    );
    expect(bound.out).toContain(
      "cell lstm(hidden: H), input x: [I]: 71,680 parameters with hidden=128, input=10",
    );
  });

  it("exits 1 with positioned diagnostics on errors", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rnnc-cli-"));
    const path = join(dir, "bad.rnn");
    writeFileSync(path, "model m {\n  input x: float[T, 3]\n  output y = lineer(x, 2)\n}\n");
    const r = await run("check", path);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${path}:3:14: error RNN2002: unknown function 'lineer'`);
    expect(r.err).toContain("help: did you mean 'linear'?");
  });

  it("exits 2 on usage errors and unreadable files", async () => {
    expect((await run("check")).code).toBe(2);
    expect((await run("frobnicate")).code).toBe(2);
    expect((await run("check", "--nope", "x.rnn")).code).toBe(2);
    const missing = await run("check", "does/not/exist.rnn");
    expect(missing.code).toBe(2);
    expect(missing.err).toBe("rnnc: cannot read 'does/not/exist.rnn': no such file");
    expect((await run("check", "--params", "--bind", "hidden=x", "examples/params.rnn")).code).toBe(
      2,
    );
  });

  it("prints help with exit 0", async () => {
    const r = await run("--help");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/check/);
    expect(r.out).toMatch(/fmt/);
  });
});

describe("rnnc fmt", () => {
  it("--check passes on canonical files and fails on others; --write fixes them atomically", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rnnc-fmt-"));
    const path = join(dir, "m.rnn");
    writeFileSync(path, "model m{input x:float[T,3]\noutput y=linear(x,2)}\n");
    expect((await run("fmt", "--check", path)).code).toBe(1);
    expect((await run("fmt", "--write", path)).code).toBe(0);
    expect(readFileSync(path, "utf8")).toBe(
      "model m {\n  input x: float[T, 3]\n  output y = linear(x, 2)\n}\n",
    );
    expect((await run("fmt", "--check", path)).code).toBe(0);
  });

  it("keeps every committed .rnn file canonical", async () => {
    const r = await run("fmt", "--check", ...stdlibFiles(), ...examples);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
  });

  it("reports syntax errors with exit 1 and leaves the file alone", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rnnc-fmt-"));
    const path = join(dir, "bad.rnn");
    writeFileSync(path, "cell c(hidden: H) {\n  input x\n");
    const r = await run("fmt", "--write", path);
    expect(r.code).toBe(1);
    expect(r.err).toContain("RNN1003");
    expect(readFileSync(path, "utf8")).toBe("cell c(hidden: H) {\n  input x\n");
  });
});
