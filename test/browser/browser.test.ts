/**
 * A bundle in the browser: the web runtime (scripts/build-web.ts) and two bundles are served
 * on 127.0.0.1 with a plain page that imports the runtime as an ES module (no bundler),
 * fetches each bundle's manifest, kernels and weights, and runs it on `navigator.gpu` in
 * headless Chromium (Debian's `chromium`; here SwiftShader's adapter). Its outputs must equal
 * the Node run of the same bundle within 1e-4. CI installs Chromium (.ci/setup-system) and
 * fails when it is missing; elsewhere the test is skipped with a note.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkParsed, prelude } from "../../compiler/check/index.ts";
import { bundleFiles, writeBundleDir } from "../../compiler/bundle/write.ts";
import { parse } from "../../dsl/parse.ts";
import { SourceFile } from "../../dsl/source.ts";
import { BundleModel, type Inputs } from "../../runtime/bundle/index.ts";
import { decodeTokens } from "../../examples/names/train.ts";
import { buildWebRuntime } from "../../scripts/build-web.ts";
import { serveStatic } from "../../scripts/serve-static.ts";

const CHROMIUM = "/usr/bin/chromium";
const haveChromium = existsSync(CHROMIUM);
if (process.env.CI && !haveChromium)
  throw new Error(`${CHROMIUM} is missing: .ci/setup-system installs Debian's chromium`);
if (!haveChromium) console.warn(`note: ${CHROMIUM} not installed, the browser test is skipped`);

const CHROMIUM_FLAGS = [
  "--headless=new",
  "--no-sandbox",
  "--enable-unsafe-webgpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** The page: runs every bundle listed in cases.json on WebGPU, results in window.__rnnc. */
const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>rnnc in the browser</title>
<script type="module">
  import { BundleModel } from "./runtime/rnnc-runtime.js";
  const plain = (outputs) =>
    Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, { shape: v.shape, data: Array.from(v.data) }]));
  try {
    const cases = await (await fetch("./cases.json")).json();
    const adapter = await navigator.gpu.requestAdapter();
    const results = {};
    for (const c of cases) {
      const model = await BundleModel.load(new URL(c.bundle, location.href), { backend: "webgpu" });
      const started = performance.now();
      const outputs = await model.run(c.inputs);
      results[c.name] = { backend: model.backend, ms: performance.now() - started, outputs: plain(outputs) };
      model.destroy();
    }
    const info = adapter.info || {};
    window.__rnnc = { adapter: [info.vendor, info.architecture, info.description].filter(Boolean).join(" "), results };
  } catch (e) {
    window.__rnnc = { error: String((e && e.stack) || e) };
  }
</script>
`;

interface Case {
  readonly name: string;
  readonly spec: string;
  readonly model: string;
  readonly inputs: Inputs;
}

/** Ragged sequences of `features` numbers per step, from a fixed formula. */
function sequences(lengths: readonly number[], features: number): number[][][] {
  return lengths.map((n, b) =>
    Array.from({ length: n }, (_, t) =>
      Array.from({ length: features }, (_, f) => Math.sin(b * 7.1 + t * 0.37 + f * 1.3)),
    ),
  );
}

const CASES: Case[] = [
  {
    name: "textbook_lstm",
    spec: "examples/textbook.rnn",
    model: "textbook_lstm",
    inputs: { x: sequences([12, 7, 3], 10) },
  },
  {
    name: "bilstm_2x_10_128",
    spec: "examples/params.rnn",
    model: "bilstm_2x_10_128",
    inputs: { x: sequences([9, 16], 10) },
  },
];

describe.skipIf(!haveChromium)("a bundle in headless Chromium", () => {
  const root = mkdtempSync(join(tmpdir(), "rnnc-web-"));
  let server: Server;
  let browser: Browser;

  beforeAll(async () => {
    await buildWebRuntime(join(root, "runtime"));
    for (const c of CASES) {
      const source = new SourceFile(c.spec, readFileSync(c.spec, "utf8"));
      const checked = checkParsed(parse(source), prelude());
      if (!checked.ok) throw new Error(`${c.spec} does not check`);
      const model = checked.models.find((m) => m.name === c.model)!;
      const files = await bundleFiles(model, {
        limits: { batch: 4, steps: { T: 16 } },
        source: c.spec,
      });
      writeBundleDir(join(root, c.name), files);
    }
    // The web demo (examples/web) with an untrained name generator.
    const names = checkParsed(
      parse(new SourceFile("examples/names.rnn", readFileSync("examples/names.rnn", "utf8"))),
      prelude(),
    );
    if (!names.ok) throw new Error("examples/names.rnn does not check");
    writeBundleDir(
      join(root, "names"),
      await bundleFiles(names.models[0]!, {
        limits: { batch: 16, steps: { T: 20 } },
        source: "examples/names.rnn",
      }),
    );
    writeFileSync(join(root, "index.html"), PAGE);
    writeFileSync(
      join(root, "cases.json"),
      JSON.stringify(
        CASES.map((c) => ({ name: c.name, bundle: `./${c.name}/`, inputs: c.inputs })),
      ),
    );
    server = await serveStatic({
      "/": root,
      "/demo/": "examples/web",
      "/demo/runtime/": join(root, "runtime"),
      "/demo/bundle/": join(root, "names"),
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    server?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it("runs each bundle on navigator.gpu with the Node run's outputs", async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    const { port } = server.address() as AddressInfo;
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction(() => (window as { __rnnc?: unknown }).__rnnc !== undefined, null, {
      timeout: 90_000,
    });
    const got = (await page.evaluate(() => (window as { __rnnc?: unknown }).__rnnc)) as {
      error?: string;
      adapter: string;
      results: Record<
        string,
        {
          backend: string;
          ms: number;
          outputs: Record<string, { shape: number[]; data: number[] }>;
        }
      >;
    };
    expect(errors).toEqual([]);
    expect(got.error).toBeUndefined();

    const rows: string[] = [];
    for (const c of CASES) {
      const inBrowser = got.results[c.name]!;
      expect(inBrowser.backend).toBe("webgpu");
      const node = await BundleModel.load(join(root, c.name), { onNote: () => {} });
      const expected = await node.run(c.inputs);
      node.destroy();
      let worst = 0;
      for (const [name, out] of Object.entries(expected)) {
        const fromPage = inBrowser.outputs[name]!;
        expect(fromPage.shape).toEqual([...out.shape]);
        out.data.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - fromPage.data[i]!))));
      }
      rows.push(
        `${c.name}: max |browser - node (${node.backend})| = ${worst.toExponential(1)}, ${inBrowser.ms.toFixed(1)} ms in the page`,
      );
      expect(worst).toBeLessThan(1e-4);
    }
    console.log(`chromium adapter: ${got.adapter}\n${rows.join("\n")}`);
  }, 120_000);

  it("serves the web demo, which generates names on navigator.gpu as Node does", async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    const { port } = server.address() as AddressInfo;
    await page.goto(`http://127.0.0.1:${port}/demo/`);
    await page.waitForSelector("#go:not([disabled])", { timeout: 90_000 });
    await page.selectOption("#gender", "1");
    await page.fill("#count", "6");
    await page.click("#go");
    await page.waitForFunction(() => document.querySelectorAll("#names li").length === 6, null, {
      timeout: 90_000,
    });
    const shown = await page.$$eval("#names li", (items) => items.map((li) => li.textContent));
    const status = await page.textContent("#status");
    expect(errors).toEqual([]);
    expect(status).toMatch(/^6 names in [\d.]+ ms on webgpu\.$/);

    const node = await BundleModel.load(join(root, "names"), { onNote: () => {} });
    const out = await node.generate({ gender: [1, 1, 1, 1, 1, 1] });
    node.destroy();
    const steps = out.name!.shape[1]!;
    // The page spells names as examples/names does, an unfinished one with an ellipsis.
    const expected = Array.from({ length: 6 }, (_, b) => {
      const { name, finished } = decodeTokens(out.name!.data.subarray(b * steps, (b + 1) * steps));
      return finished ? name : `${name}…`;
    });
    expect(shown).toEqual(expected);
  }, 120_000);
});
