/**
 * `npm run build:web`: the bundle runtime (runtime/bundle/index.ts) as plain ES modules for
 * browsers, written to dist/web/ (or the folder given): `rnnc-runtime.js` plus lazily loaded
 * chunks. A web page imports it directly, no bundler needed:
 *
 *   import { BundleModel } from "./rnnc-runtime.js";
 *   const model = await BundleModel.load(new URL("./bundle/", location.href));
 *
 * Node-only paths (reading bundles from disk, Dawn's `webgpu` package) stay behind dynamic
 * imports that a browser never runs; WebGPU comes from `navigator.gpu`.
 */
import { build } from "esbuild";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** Builds the browser runtime into `outDir`; the path of its entry module. */
export async function buildWebRuntime(outDir: string): Promise<string> {
  await build({
    entryPoints: { "rnnc-runtime": `${ROOT}runtime/bundle/index.ts` },
    outdir: outDir,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    external: ["node:*", "webgpu"],
    logLevel: "warning",
    legalComments: "none",
  });
  return `${outDir}/rnnc-runtime.js`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const out = process.argv[2] ?? `${ROOT}dist/web`;
  console.log(`wrote ${await buildWebRuntime(out)}`);
}
