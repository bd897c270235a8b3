// Test bundles: a spec compiled into a fresh folder under .tmp/ (inside the repository, so the
// generated glue's import of "rnnc/runtime" resolves to this package).
import { mkdirSync, mkdtempSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { bundleFiles, writeBundleDir } from "../../../compiler/bundle/write.ts";
import type { BundleLimits } from "../../../compiler/bundle/plans.ts";
import { checkOk } from "../../support/check.ts";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));

/** Compiles the (only) model of `source` into a new bundle folder; returns its path. */
export async function compileBundle(
  source: string,
  limits: BundleLimits,
  seed = 0,
): Promise<string> {
  const parent = join(ROOT, ".tmp", "test-bundles");
  mkdirSync(parent, { recursive: true });
  const dir = join(mkdtempSync(join(parent, "b-")), "bundle");
  const model = checkOk(source).models[0]!;
  writeBundleDir(dir, await bundleFiles(model, { limits, seed }));
  return dir;
}
