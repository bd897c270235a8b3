/**
 * SVG from DOT with Graphviz's `dot` (Debian: apt-get install graphviz). rnnc needs no
 * Graphviz otherwise: when `dot` is not installed the caller keeps the DOT and says so.
 */
import { spawnSync } from "node:child_process";

export type SvgResult =
  | { readonly ok: true; readonly svg: string }
  | { readonly ok: false; readonly missing: boolean; readonly message: string };

export function renderSvg(dot: string): SvgResult {
  const r = spawnSync("dot", ["-Tsvg"], {
    input: dot,
    encoding: "utf8",
    maxBuffer: 512 * 1024 * 1024,
    timeout: 120_000,
  });
  if (r.error) {
    const missing = (r.error as NodeJS.ErrnoException).code === "ENOENT";
    return {
      ok: false,
      missing,
      message: missing
        ? "Graphviz's 'dot' is not installed (Debian: apt-get install graphviz)"
        : `Graphviz's 'dot' failed: ${r.error.message}`,
    };
  }
  if (r.status !== 0)
    return {
      ok: false,
      missing: false,
      message: `Graphviz's 'dot' failed (exit ${r.status}): ${r.stderr.trim().split("\n")[0] ?? ""}`,
    };
  return { ok: true, svg: r.stdout };
}
