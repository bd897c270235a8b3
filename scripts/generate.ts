/**
 * `npm run generate`: the bundle of every model of examples/*.rnn, written to
 * generated/<model>/ with modest limits (GENERATED_LIMITS), seed 0, deterministically: a
 * second run writes the same bytes. test/generated/stale.test.ts fails when they are stale.
 * The weights files are not committed (.gitignore): they are reproducible from the seed, and
 * each manifest holds their SHA-256.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { checkParsed, prelude } from "../compiler/check/index.ts";
import { bundleFiles, writeBundleDir } from "../compiler/bundle/write.ts";
import { parse } from "../dsl/parse.ts";
import { SourceFile } from "../dsl/source.ts";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Small enough to keep the naive plans readable in git; the manifest records them. */
export const GENERATED_LIMITS = { batch: 8, steps: 32 } as const;

/** Every example model's bundle files, by model name, in file and model order. */
export async function exampleBundles(root = ROOT): Promise<Map<string, Map<string, Uint8Array>>> {
  const out = new Map<string, Map<string, Uint8Array>>();
  const specs = readdirSync(join(root, "examples"))
    .filter((f) => f.endsWith(".rnn"))
    .sort();
  for (const file of specs) {
    const path = `examples/${file}`;
    const checked = checkParsed(
      parse(new SourceFile(path, readFileSync(join(root, path), "utf8"))),
      prelude(),
    );
    if (!checked.ok) throw new Error(`${path} does not check: run rnnc check ${path}`);
    for (const model of checked.models) {
      const steps = Object.fromEntries(
        model.inputs
          .filter((i) => !i.training && i.type.time)
          .map((i) => [i.type.time!, GENERATED_LIMITS.steps]),
      );
      const files = await bundleFiles(model, {
        limits: { batch: GENERATED_LIMITS.batch, steps },
        seed: 0,
        source: path,
      });
      out.set(model.name, files);
    }
  }
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const [name, files] of await exampleBundles()) {
    writeBundleDir(join(ROOT, "generated", name), files);
    console.log(`generated/${name}: ${files.size} files`);
  }
}
