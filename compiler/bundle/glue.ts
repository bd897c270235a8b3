/**
 * The typed glue of a bundle, generated with ts-morph and formatted with prettier:
 * `<model>.ts`, and `<model>.js` + `<model>.d.ts` emitted from it, ready to import. One class
 * per model (PascalCase of its name) over runtime/bundle's BundleModel: `load`, `run` with
 * the model's input and output names and dtypes, `stream()` with `step` and `reset` for models
 * that stream, `generate` for models that decode. The glue imports only "rnnc/runtime".
 */
import { format } from "prettier";
import { Project, Scope, ts, type SourceFile } from "ts-morph";
import type { Manifest, TensorSpec } from "../../runtime/bundle/manifest.ts";

const RUNTIME = "rnnc/runtime";

function shapeText(spec: TensorSpec, perStep = false): string {
  const shape = perStep ? spec.shape.filter((d) => d !== spec.time) : spec.shape;
  return `${spec.dtype}[${shape.join(", ")}]`;
}

function key(name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? name : JSON.stringify(name);
}

function addInputs(sf: SourceFile, name: string, specs: readonly TensorSpec[], perStep: boolean) {
  sf.addInterface({
    name,
    isExported: true,
    docs: [
      perStep
        ? "One step of each input: [B, ...] for each [B, T, ...] sequence input."
        : "Batch-major inputs: nested arrays (sequences may be ragged: they are padded and their lengths taken) or `{ data, shape }`.",
    ],
    properties: specs.map((s) => ({
      name: key(s.name),
      type: "InputValue",
      docs: [
        `${shapeText(s, perStep)}${s.vocab !== undefined ? `: token ids in [0, ${s.vocab})` : ""}`,
      ],
    })),
  });
}

function addOutputs(sf: SourceFile, name: string, specs: readonly TensorSpec[], perStep: boolean) {
  sf.addInterface({
    name,
    isExported: true,
    properties: specs.map((s) => ({
      name: key(s.name),
      type: s.dtype === "int" ? "IntOutput" : "FloatOutput",
      docs: [shapeText(s, perStep)],
    })),
  });
}

/** The glue's TypeScript source (unformatted). */
function glueSource(project: Project, manifest: Manifest, header: string): SourceFile {
  const cls = manifest.className;
  const sf = project.createSourceFile(`${manifest.glue}.ts`, "", { overwrite: true });
  sf.addImportDeclaration({ moduleSpecifier: RUNTIME, namedImports: ["BundleModel"] });
  sf.addImportDeclaration({
    moduleSpecifier: RUNTIME,
    isTypeOnly: true,
    namedImports: [
      "BackendName",
      "BundleLocation",
      "FloatOutput",
      "InputValue",
      "IntOutput",
      "LoadOptions",
      "RunOptions",
    ],
  });
  addInputs(sf, `${cls}Inputs`, manifest.inputs, false);
  addOutputs(sf, `${cls}Outputs`, manifest.outputs, false);
  const stream = manifest.stream;
  if (stream) {
    addInputs(sf, `${cls}StepInputs`, manifest.inputs, true);
    addOutputs(sf, `${cls}StepOutputs`, manifest.outputs, true);
  }
  const limits = `at most ${manifest.limits.batch} sequences${Object.entries(manifest.limits.steps)
    .map(([axis, t]) => `, ${t} steps along ${axis}`)
    .join("")}`;
  const c = sf.addClass({
    name: cls,
    isExported: true,
    docs: [
      `Model ${manifest.model} (${manifest.topologies.join(", ")}), compiled by rnnc ${manifest.rnnc} for ${limits}.`,
    ],
  });
  c.addConstructor({
    scope: Scope.Private,
    parameters: [{ name: "model", type: "BundleModel", isReadonly: true, scope: Scope.Private }],
  });
  c.addMethod({
    name: "load",
    isStatic: true,
    isAsync: true,
    docs: [
      "Loads the bundle (default: the folder of this file) on a backend (default: WebGPU, else the CPU).",
    ],
    parameters: [
      { name: "location", type: "BundleLocation", initializer: 'new URL(".", import.meta.url)' },
      { name: "options", type: "LoadOptions", initializer: "{}" },
    ],
    returnType: `Promise<${cls}>`,
    statements: [
      "const model = await BundleModel.load(location, options);",
      `if (model.manifest.model !== ${JSON.stringify(manifest.model)}) throw new Error(\`\${String(location)} holds model \${model.manifest.model}, not ${manifest.model}\`);`,
      `return new ${cls}(model);`,
    ],
  });
  c.addGetAccessor({
    name: "backend",
    returnType: "BackendName",
    statements: ["return this.model.backend;"],
  });
  c.addMethod({
    name: "run",
    isAsync: true,
    docs: [`Runs whole sequences (${limits}); \`options.lengths\` gives each sequence's length.`],
    parameters: [
      { name: "inputs", type: `${cls}Inputs` },
      { name: "options", type: "RunOptions", initializer: "{}" },
    ],
    returnType: `Promise<${cls}Outputs>`,
    statements: [
      `return (await this.model.run({ ...inputs }, options)) as unknown as ${cls}Outputs;`,
    ],
  });
  if (stream) {
    c.addMethod({
      name: "stream",
      docs: [
        `One ${stream.axis} step at a time, the recurrent state kept by the backend between steps (on the device for WebGPU); \`reset()\` starts again.`,
      ],
      returnType: `{ step(inputs: ${cls}StepInputs): Promise<${cls}StepOutputs>; reset(): Promise<void> }`,
      statements: [
        "const s = this.model.stream();",
        "return {",
        `  step: async (inputs) => (await s.step({ ...inputs })) as unknown as ${cls}StepOutputs,`,
        "  reset: () => s.reset(),",
        "};",
      ],
    });
  }
  if (manifest.generates) {
    c.addMethod({
      name: "generate",
      isAsync: true,
      docs: ["Decodes on the device, in one submission (no read-back per step)."],
      parameters: [
        { name: "inputs", type: `${cls}Inputs` },
        { name: "options", type: "RunOptions", initializer: "{}" },
      ],
      returnType: `Promise<${cls}Outputs>`,
      statements: [
        `return (await this.model.generate({ ...inputs }, options)) as unknown as ${cls}Outputs;`,
      ],
    });
  }
  c.addMethod({
    name: "destroy",
    docs: ["Frees the backend's buffers (and the device, when load acquired it)."],
    returnType: "void",
    statements: ["this.model.destroy();"],
  });
  sf.insertText(0, `${header}\n`);
  return sf;
}

/** `<glue>.ts`, `<glue>.js` and `<glue>.d.ts`, formatted. */
export async function glueFiles(manifest: Manifest, header: string): Promise<Map<string, string>> {
  const project = new Project({
    useInMemoryFileSystem: true,
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ES2022,
      declaration: true,
      strict: true,
      skipLibCheck: true,
    },
  });
  const sf = glueSource(project, manifest, header);
  const out = new Map<string, string>([[`${manifest.glue}.ts`, sf.getFullText()]]);
  for (const file of project.emitToMemory().getFiles()) {
    const name = file.filePath.split("/").pop()!;
    const text = name.endsWith(".d.ts")
      ? file.text
      : `${header}\n${file.text.replace(header, "").trimStart()}`;
    out.set(name, text);
  }
  for (const [name, text] of out) {
    const parser = name.endsWith(".js") ? "babel" : "typescript";
    out.set(name, await format(text, { parser, printWidth: 100 }));
  }
  return out;
}
