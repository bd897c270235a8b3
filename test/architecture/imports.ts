/**
 * The import graph's rules, and the small parser they need: every `import ... from`,
 * `export ... from`, bare `import "..."` and dynamic `import("...")` specifier of a
 * TypeScript file, relative ones resolved to a path from the repository root.
 *
 * Rules (ARCHITECTURE.md, "Imports flow one way"): runtime/ imports neither dsl/ nor
 * compiler/ (a bundle runs with the runtime alone); dsl/ imports neither compiler/ nor
 * runtime/; nothing but cli/ itself (and tests) imports cli/.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";

const SPECIFIER =
  /(?:^|[\s;}])(?:import|export)\s+(?:type\s+)?(?:[^"';]*?\sfrom\s+)?["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/g;

/** The module specifiers a source text imports or re-exports, in order. */
export function importSpecifiers(text: string): string[] {
  const withoutComments = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  return [...withoutComments.matchAll(SPECIFIER)].map((m) => (m[1] ?? m[2])!);
}

/** A relative specifier resolved against `file` (both from the root); packages unchanged. */
export function resolveSpecifier(file: string, specifier: string): string {
  if (!specifier.startsWith(".")) return specifier;
  return normalize(join(dirname(file), specifier))
    .split("\\")
    .join("/");
}

/** Top folders each source folder must not reach. */
export const FORBIDDEN: Readonly<Record<string, readonly string[]>> = {
  runtime: ["dsl", "compiler", "cli"],
  compiler: ["cli"],
  dsl: ["compiler", "runtime", "cli"],
};

export interface Violation {
  readonly file: string;
  readonly specifier: string;
  readonly target: string;
}

/** The imports of `file` (path from the root) that break a rule. */
export function violations(file: string, text: string): Violation[] {
  const top = file.split("/")[0]!;
  const banned = FORBIDDEN[top] ?? [];
  const out: Violation[] = [];
  for (const specifier of importSpecifiers(text)) {
    const target = resolveSpecifier(file, specifier);
    const targetTop = target.split("/")[0]!;
    if (specifier.startsWith(".") && banned.includes(targetTop))
      out.push({ file, specifier, target });
    else if (target.startsWith("..")) out.push({ file, specifier, target });
  }
  return out;
}

/** Every .ts file under `dir` (from `root`), sorted. */
export function sourceFiles(root: string, dir: string): string[] {
  const out: string[] = [];
  const walk = (abs: string) => {
    for (const entry of readdirSync(abs, { withFileTypes: true })) {
      const path = join(abs, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".ts")) out.push(relative(root, path).split("\\").join("/"));
    }
  };
  walk(join(root, dir));
  return out.sort();
}

/** Every violation under the checked folders of `root`. */
export function checkTree(root: string): Violation[] {
  return Object.keys(FORBIDDEN).flatMap((dir) =>
    sourceFiles(root, dir).flatMap((file) =>
      violations(file, readFileSync(join(root, file), "utf8")),
    ),
  );
}
