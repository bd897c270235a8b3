// The import graph's rules hold for the whole tree, and the checker can see a violation.
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { checkTree, importSpecifiers, resolveSpecifier, violations } from "./imports.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));

describe("import graph", () => {
  it("runtime/ reaches neither dsl/ nor compiler/; dsl/ stays alone; only cli/ imports cli/", () => {
    const found = checkTree(root).map((v) => `${v.file} imports '${v.specifier}' (${v.target})`);
    expect(found).toEqual([]);
  });

  it("parses every form of import and re-export", () => {
    const text = [
      '/** import { no } from "../../compiler/comment.ts"; */',
      'import { a } from "./a.ts";',
      'import type { B } from "../b.ts";',
      "import {\n  c,\n  type D,\n} from '../../c.ts';",
      'export { e } from "./e.ts";',
      'export * from "./f.ts";',
      'import "./side-effect.ts";',
      'const g = await import("./g.ts");',
      'import { x } from "node:fs";',
      '// import { no } from "../compiler/line-comment.ts";',
    ].join("\n");
    expect(importSpecifiers(text)).toEqual([
      "./a.ts",
      "../b.ts",
      "../../c.ts",
      "./e.ts",
      "./f.ts",
      "./side-effect.ts",
      "./g.ts",
      "node:fs",
    ]);
    expect(resolveSpecifier("runtime/reference/kernels.ts", "../../compiler/ir/ops.ts")).toBe(
      "compiler/ir/ops.ts",
    );
  });

  it("names the file and the import of a violation", () => {
    const text = 'import type { Node } from "../../compiler/ir/node.ts";\nimport "../cpu/x.ts";';
    expect(violations("runtime/reference/interpreter.ts", text)).toEqual([
      {
        file: "runtime/reference/interpreter.ts",
        specifier: "../../compiler/ir/node.ts",
        target: "compiler/ir/node.ts",
      },
    ]);
    expect(violations("compiler/x.ts", 'export * from "../cli/main.ts";')).toHaveLength(1);
    expect(violations("dsl/x.ts", 'import { y } from "../runtime/y.ts";')).toHaveLength(1);
    expect(violations("runtime/x.ts", 'import { y } from "../../outside.ts";')).toHaveLength(1);
    expect(violations("compiler/x.ts", 'import { y } from "../runtime/y.ts";')).toEqual([]);
  });
});
