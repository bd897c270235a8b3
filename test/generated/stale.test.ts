// generated/ holds exactly what `npm run generate` writes now: every example model's bundle,
// byte for byte (so generation is deterministic: the committed files were written by another
// process). The weights are not committed (their SHA-256 is in each manifest); when a
// weights file is present it must match too.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { exampleBundles, ROOT } from "../../scripts/generate.ts";

const NOT_COMMITTED = new Set(["weights.safetensors"]);

describe("generated/", () => {
  it("is what npm run generate writes (run it when this fails)", async () => {
    const stale: string[] = [];
    const bundles = await exampleBundles();
    for (const [name, files] of bundles) {
      const dir = join(ROOT, "generated", name);
      for (const [path, bytes] of files) {
        const on = join(dir, path);
        if (!existsSync(on)) {
          if (!NOT_COMMITTED.has(path)) stale.push(`generated/${name}/${path}: missing`);
          continue;
        }
        if (!Buffer.from(bytes).equals(readFileSync(on)))
          stale.push(`generated/${name}/${path}: differs from what the compiler writes now`);
      }
      if (existsSync(dir))
        for (const path of readdirSync(dir))
          if (!files.has(path)) stale.push(`generated/${name}/${path}: not written any more`);
    }
    for (const name of readdirSync(join(ROOT, "generated")))
      if (!bundles.has(name)) stale.push(`generated/${name}: no example model of this name`);
    expect(stale, "generated/ is stale: run npm run generate").toEqual([]);
  });
});
