/**
 * The rnnc command line. Exit codes: 0 ok, 1 diagnostics (errors in the input), 2 usage
 * (bad flags, unreadable files), 3 an internal error of rnnc (a bug: please report it).
 */
import { Command, CommanderError, Option } from "commander";
import { runCheck, type Output } from "./check.ts";
import { runDevices } from "./devices.ts";
import { runInit, type InitOptions } from "./init.ts";
import { DEFAULT_LIMITS, runCompile, type CompileOptions } from "./compile.ts";
import { runBundle } from "./run-bundle.ts";
import { runRun, type RunCommandOptions } from "./run.ts";
import { runTrain, type TrainOptions } from "./train.ts";
import { runFmt } from "./fmt.ts";
import { isDirectory, UsageError } from "./io.ts";
import { runImportTorch, type ImportTorchOptions } from "./import-torch.ts";
import { runExportTorch, type ExportTorchOptions } from "./export-torch.ts";
import { runGraph, type GraphOptions } from "./graph.ts";

export const EXIT = { ok: 0, diagnostics: 1, usage: 2, internal: 3 } as const;

const consoleOutput: Output = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** The limits of a bundle's plans, as `compile` and `import-torch` take them. */
function batchOption(): Option {
  return new Option("--batch <n>", `most sequences per run (default ${DEFAULT_LIMITS.batch})`);
}

function stepsOption(): Option {
  return new Option(
    "--steps <limits>",
    `most steps per time axis, e.g. T=100,S=20 (default ${DEFAULT_LIMITS.steps})`,
  );
}

function program(io: Output, setStatus: (code: number) => void): Command {
  const cli = new Command("rnnc")
    .description(
      "A compiler for recurrent neural networks: .rnn specs to WGSL kernels, TypeScript glue and weights.",
    )
    .version("0.1.0")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s.replace(/\n$/, "")),
      writeErr: (s) => io.err(s.replace(/\n$/, "")),
    })
    .showHelpAfterError("(run rnnc --help for usage)");

  cli
    .command("check")
    .description("check .rnn files: syntax, names, shapes; exit 1 on errors")
    .argument("<files...>", ".rnn files")
    .option("--params", "list the parameters of each model and cell (name, shape, count, total)")
    .option("--bind <sizes>", "with --params, bind cell sizes, e.g. hidden=128,input=10")
    .action((files: string[], options: { params?: boolean; bind?: string }) =>
      setStatus(runCheck(files, options, io)),
    );

  cli
    .command("fmt")
    .description("print .rnn files in canonical form")
    .argument("<files...>", ".rnn files")
    .option("--check", "exit 1 if a file is not in canonical form; change nothing")
    .option("--write", "rewrite files in place (atomically)")
    .action((files: string[], options: { check?: boolean; write?: boolean }) =>
      setStatus(runFmt(files, options, io)),
    );

  cli
    .command("init")
    .description("write initial weights for a model, drawn from a seed as PyTorch would")
    .argument("<spec>", "the .rnn file")
    .requiredOption("--output <file>", "the .safetensors file to write (atomically)")
    .option("--seed <n>", "seed (default 0)")
    .option("--model <name>", "the model, when the file has several")
    .option("--dtype <type>", "float32 (default) or float64")
    .action((spec: string, options: InitOptions) => setStatus(runInit(spec, options, io)));

  cli
    .command("compile")
    .description(
      "write a model's bundle: manifest, plans, WGSL kernels, graph, weights and typed glue",
    )
    .argument("<spec>", "the .rnn file")
    .requiredOption("-o, --output <dir>", "the bundle folder (replaced atomically)")
    .option("--model <name>", "the model, when the file has several")
    .addOption(batchOption())
    .addOption(stepsOption())
    .option("--weights <file>", "weights to bundle (.safetensors) instead of initial ones")
    .option("--seed <n>", "seed of the initial weights and of sampling decoders (default 0)")
    .action(async (spec: string, options: CompileOptions) =>
      setStatus(await runCompile(spec, options, io)),
    );

  cli
    .command("run")
    .description(
      "run a bundle folder (rnnc compile), or a spec on the reference interpreter; print the outputs as JSON",
    )
    .argument("<spec-or-bundle>", "a bundle folder, or a .rnn file (then --weights is needed)")
    .requiredOption(
      "--input <file>",
      'inputs (.json: {"inputs": {"x": [...]}, "lengths": {"T": [...]}})',
    )
    .option("--backend <name>", "bundles: webgpu, cpu or reference (default: webgpu, else cpu)")
    .option("--weights <file>", "specs: weights (.safetensors, rnnc parameter names)")
    .option("--model <name>", "specs: the model to run, when the file has several")
    .option("--precision <p>", "specs: float64 (default) or float32")
    .option("--mode <m>", "specs: infer (default) or train (decoders read their teacher sequences)")
    .option("--seed <n>", "specs: seed of sampling decoders (default 0)")
    .option("--output <file>", "write the JSON here (atomically) instead of printing it")
    .action(async (target: string, options: RunCommandOptions) =>
      setStatus(
        isDirectory(target) ? await runBundle(target, options, io) : runRun(target, options, io),
      ),
    );

  cli
    .command("train")
    .description(
      "train a model on JSON Lines data; writes weights, checkpoints, a log and a loss plot",
    )
    .argument("<spec>", "the .rnn file")
    .requiredOption(
      "--data <file>",
      'training examples, one JSON object per line keyed by input name: {"x": [[0.1, 0.2]], "y": [1]}',
    )
    .requiredOption(
      "--out <dir>",
      "where weights.safetensors, checkpoint.safetensors, log.jsonl and loss.svg go",
    )
    .option("--valid <file>", "validation examples (default: hold out --valid-fraction of --data)")
    .option(
      "--valid-fraction <f>",
      "share of --data held out for validation, by a fixed seeded split (default 0.1)",
    )
    .option("--model <name>", "the model, when the file has several")
    .option("--epochs <n>", "passes over the data (default 10)")
    .option("--batch <n>", "examples per batch, bucketed by length (default 32)")
    .option("--optimizer <name>", "sgd, adam (default) or adamw")
    .option("--lr <rate>", "learning rate (default 0.001)")
    .option("--momentum <m>", "SGD momentum (default 0)")
    .option("--weight-decay <w>", "weight decay (default 0; AdamW 0.01)")
    .option("--clip <norm>", "clip gradients to this global norm")
    .option("--schedule <name>", "constant (default), step (halve every epoch) or cosine")
    .option("--warmup <steps>", "linear learning-rate warm-up steps (default 0)")
    .option(
      "--seed <n>",
      "seed of initial weights, dropout masks, shuffling and the split (default 0)",
    )
    .option("--precision <p>", "float32 (default) or float64 (with --backend reference)")
    .option(
      "--backend <name>",
      "cpu (default: generated kernels, float32), webgpu (fused kernels, float32) or reference (the interpreter, exact)",
    )
    .option("--weights <file>", "start from these weights instead of a fresh initialisation")
    .option("--resume", "continue from --out's checkpoint")
    .option(
      "--bptt <steps>",
      "truncated backpropagation through time: windows of this many steps, states carried between them",
    )
    .action(async (spec: string, options: TrainOptions) =>
      setStatus(await runTrain(spec, options, io)),
    );

  cli
    .command("import-torch")
    .description(
      "write a bundle of a spec's model with the weights of a PyTorch state_dict (.safetensors): nn.RNN/LSTM/GRU, nn.Linear, nn.Embedding",
    )
    .argument("<spec>", "the .rnn file")
    .requiredOption("--state-dict <file>", "the state_dict, saved as safetensors")
    .option("-o, --output <dir>", "the bundle folder (replaced atomically)")
    .addOption(new Option("--out <dir>", "same as --output").hideHelp())
    .option("--model <name>", "the model, when the file has several")
    .option(
      "--map <pairs>",
      "torch module = rnnc binding, where names and shapes do not tell, e.g. rnn=enc,fc=logit",
    )
    .addOption(batchOption())
    .addOption(stepsOption())
    .option("--seed <n>", "seed of sampling decoders (default 0)")
    .action(async (spec: string, options: ImportTorchOptions) =>
      setStatus(await runImportTorch(spec, options, io)),
    );

  cli
    .command("export-torch")
    .description(
      "write a model's weights as a PyTorch state_dict (.safetensors) that loads into the equivalent torch.nn modules",
    )
    .argument("<spec-or-bundle>", "a .rnn file (with --weights), or a bundle folder (with --spec)")
    .option("-o, --output <file>", "the .safetensors file to write (atomically)")
    .addOption(new Option("--out <file>", "same as --output").hideHelp())
    .option("--weights <file>", "specs: the weights (.safetensors, rnnc parameter names)")
    .option("--seed <n>", "specs: export initial weights drawn from this seed instead")
    .option("--spec <file>", "bundles: the .rnn file the bundle was compiled from")
    .option("--model <name>", "the model, when the file has several")
    .option(
      "--map <pairs>",
      "torch module = rnnc binding: the names to write, e.g. rnn=enc,fc=logit",
    )
    .option(
      "--keep-unmapped",
      "write parameters no torch.nn module holds (custom cells, decoders) under their rnnc names",
    )
    .action((target: string, options: ExportTorchOptions) =>
      setStatus(runExportTorch(target, options, io)),
    );

  cli
    .command("graph")
    .description(
      "write the model graph and its fused WebGPU kernel schedule as DOT and SVG (SVG needs Graphviz's dot)",
    )
    .argument("<spec>", "the .rnn file")
    .option(
      "-o, --output <dir>",
      "the folder for <model>.graph.dot|svg and <model>.schedule.dot|svg (default .)",
    )
    .addOption(new Option("--out <dir>", "same as --output").hideHelp())
    .option("--model <name>", "the model, when the file has several")
    .addOption(batchOption())
    .addOption(stepsOption())
    .option("--seed <n>", "seed of sampling decoders (default 0)")
    .action((spec: string, options: GraphOptions) => setStatus(runGraph(spec, options, io)));

  cli
    .command("devices")
    .description("show the WebGPU adapter rnnc will use, or that it falls back to the CPU backend")
    .option("--require", "exit 1 when there is no WebGPU adapter")
    .action(async (options: { require?: boolean }) => setStatus(await runDevices(options, io)));

  return cli;
}

/** Runs the command line; returns the exit code. Never throws. */
export async function main(argv: readonly string[], io: Output = consoleOutput): Promise<number> {
  let status: number = EXIT.ok;
  try {
    const cli = program(io, (code) => (status = code));
    if (argv.length === 0) {
      cli.outputHelp();
      return EXIT.usage;
    }
    await cli.parseAsync([...argv], { from: "user" });
    return status;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (e instanceof UsageError) {
      io.err(`rnnc: ${e.message}`);
      return EXIT.usage;
    }
    const error = e as Error;
    io.err(`rnnc: internal error: ${error.message}`);
    io.err(
      process.env.RNNC_DEBUG
        ? String(error.stack)
        : "this is a bug in rnnc; set RNNC_DEBUG=1 to see where it happened",
    );
    return EXIT.internal;
  }
}
