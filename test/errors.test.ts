// The golden error suite: every test/errors/NNN-name.rnn is a small file with a mistake a
// user might make; its .out is exactly what `rnnc check` prints for it on stderr. Review a
// changed golden by eye: the caret, the message, the help, and no follow-on errors.
//
// RNNC_UPDATE_GOLDENS=1 npx vitest run test/errors.test.ts rewrites the .out files (locally;
// CI never writes).
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { main } from "../cli/main.ts";
import type { Output } from "../cli/check.ts";
import { CODES } from "../compiler/check/codes.ts";

const DIR = "test/errors";
const UPDATE = process.env.RNNC_UPDATE_GOLDENS === "1" && !process.env.CI;
const SYNTAX_CODES = ["RNN1001", "RNN1002", "RNN1003", "RNN1004", "RNN1005", "RNN1006"];

// Paths in the output are relative to the repository root, as a user would type them.
if (!existsSync(DIR)) throw new Error(`run the tests from the repository root (no ${DIR} here)`);
const cases = readdirSync(DIR)
  .filter((f) => f.endsWith(".rnn"))
  .sort();

async function check(path: string): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: Output = { out: (line) => out.push(line), err: (line) => err.push(line) };
  const code = await main(["check", path], io);
  return { code, out, err };
}

describe("golden errors", () => {
  it("has enough cases, named NNN-short-name", () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
    for (const name of cases) expect(name).toMatch(/^\d{3}-[a-z0-9-]+\.rnn$/);
    const orphans = readdirSync(DIR).filter(
      (f) => f.endsWith(".out") && !cases.includes(f.replace(/\.out$/, ".rnn")),
    );
    expect(orphans, "goldens without an input").toEqual([]);
  });

  it.each(cases)("%s", async (name) => {
    const path = `${DIR}/${name}`;
    const golden = path.replace(/\.rnn$/, ".out");
    const { code, out, err } = await check(path);
    const text = `${err.join("\n")}\n`;
    expect(out).toEqual([]);
    expect(text).not.toContain("    at ");
    expect(text).not.toContain("internal error");
    expect(text.split("\n")[0]).toMatch(/^test\/errors\/[^:]+:\d+:\d+: error RNN[12]\d{3}: /);
    expect(code).toBe(1);
    if (UPDATE) writeFileSync(golden, text);
    expect(existsSync(golden), `${golden} is missing; run with RNNC_UPDATE_GOLDENS=1`).toBe(true);
    expect(text).toBe(readFileSync(golden, "utf8"));
  });

  it("exercises every syntax and semantic code", () => {
    const seen = new Set<string>();
    for (const name of cases) {
      const golden = `${DIR}/${name.replace(/\.rnn$/, ".out")}`;
      if (!existsSync(golden)) continue;
      for (const m of readFileSync(golden, "utf8").matchAll(/ error (RNN\d{4}): /g))
        seen.add(m[1]!);
    }
    const missing = [...SYNTAX_CODES, ...Object.values(CODES)].filter((c) => !seen.has(c));
    expect(missing).toEqual([]);
  });
});
