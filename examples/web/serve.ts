/**
 * The web demo: serves examples/web/ with rnnc's browser runtime and a trained name-generator
 * bundle on http://127.0.0.1:PORT/ — open it in a browser with WebGPU.
 *
 *   npx tsx examples/names/train.ts        # train and write examples/names/bundle (minutes)
 *   npx tsx examples/web/serve.ts [--bundle examples/names/bundle] [--port 8080]
 *
 * Any bundle of examples/names.rnn works, e.g. `npm run generate`'s untrained
 * generated/name_generator (its names are noise).
 */
import { existsSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { buildWebRuntime } from "../../scripts/build-web.ts";
import { serveStatic } from "../../scripts/serve-static.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const { values: args } = parseArgs({
  options: {
    bundle: { type: "string", default: "examples/names/bundle" },
    port: { type: "string", default: "8080" },
  },
});
if (!existsSync(join(args.bundle, "manifest.json"))) {
  console.error(
    `error: no bundle at ${args.bundle} (manifest.json missing); run \`npx tsx examples/names/train.ts\` first, or pass --bundle generated/name_generator after \`npm run generate\``,
  );
  process.exit(1);
}
const runtime = join(ROOT, "dist/web");
await buildWebRuntime(runtime);
const server = await serveStatic(
  { "/": join(ROOT, "examples/web"), "/runtime/": runtime, "/bundle/": args.bundle },
  Number(args.port),
);
const { port } = server.address() as AddressInfo;
console.log(`rnnc web demo: http://127.0.0.1:${port}/ (bundle ${args.bundle}; Ctrl-C stops)`);
