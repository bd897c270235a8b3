/**
 * A training process killed (SIGKILL) while it writes a checkpoint leaves the previous
 * checkpoint intact: `rnnc train` writes checkpoints atomically (temporary file, fsync,
 * rename), so the file at checkpoint.safetensors is always a whole one, and `--resume`
 * continues from it. The model has a large embedding so each checkpoint (weights and Adam's
 * moments, about 90 MB) takes long enough to write that the kill lands mid-write.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readSafetensorsFileSync } from "../../runtime/weights/safetensors-file.ts";

const SPEC = `model big {
  input tokens: int[T]
  input label: float[1] for training

  enc = encode(embedding(tokens, vocab: 30000, dim: 256), cell: gru(hidden: 8))
  logit = linear(enc.final, 1)

  output prob = sigmoid(logit)
  loss bce_with_logits(logit, label)
}
`;

function rnnc(args: string[]) {
  return spawn(process.execPath, ["bin/rnnc.js", ...args], { stdio: ["ignore", "pipe", "pipe"] });
}

describe("a training process killed during a checkpoint write", () => {
  const dir = mkdtempSync(join(tmpdir(), "rnnc-kill-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("leaves the previous checkpoint whole, and --resume continues from it", async () => {
    writeFileSync(join(dir, "big.rnn"), SPEC);
    const lines = Array.from({ length: 8 }, (_, i) =>
      JSON.stringify({ tokens: [i + 1, i + 2, i + 3], label: [i % 2] }),
    );
    writeFileSync(join(dir, "data.jsonl"), `${lines.join("\n")}\n`);
    const out = join(dir, "out");
    const args = ["train", join(dir, "big.rnn"), "--data", join(dir, "data.jsonl"), "--out", out];
    const child = rnnc([...args, "--epochs", "50", "--batch", "4", "--valid-fraction", "0"]);
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const exited = new Promise<NodeJS.Signals | null>((done) =>
      child.on("exit", (_code, signal) => done(signal)),
    );

    // Wait for a finished checkpoint, then for the next one's temporary file to fill.
    let killedMidWrite = false;
    const started = Date.now();
    while (Date.now() - started < 120_000 && child.exitCode === null) {
      const names = (() => {
        try {
          return readdirSync(out);
        } catch {
          return [];
        }
      })();
      const temp = names.find(
        (n) => n.startsWith(".checkpoint.safetensors.") && n.endsWith(".tmp"),
      );
      if (names.includes("checkpoint.safetensors") && temp) {
        const size = (() => {
          try {
            return statSync(join(out, temp)).size;
          } catch {
            return 0;
          }
        })();
        if (size > 0) {
          child.kill("SIGKILL");
          killedMidWrite = true;
          break;
        }
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    expect(await exited, stderr).toBe("SIGKILL");
    expect(killedMidWrite, `the checkpoint write was not caught in flight:\n${stderr}`).toBe(true);

    // The checkpoint on disk is a whole one: every tensor, and the epoch it finished.
    const checkpoint = readSafetensorsFileSync(join(out, "checkpoint.safetensors"));
    const epoch = Number(checkpoint.metadata.epoch);
    expect(epoch).toBeGreaterThanOrEqual(1);
    expect(checkpoint.tensors.size).toBeGreaterThan(3);
    for (const t of checkpoint.tensors.values())
      expect(t.data.length).toBe(t.shape.reduce((a, b) => a * b, 1));

    const resumed = rnnc([
      ...args,
      "--epochs",
      String(epoch + 1),
      "--batch",
      "4",
      "--valid-fraction",
      "0",
      "--resume",
    ]);
    let log = "";
    resumed.stderr.on("data", (d) => (log += d));
    resumed.stdout.on("data", (d) => (log += d));
    const code = await new Promise<number | null>((done) => resumed.on("exit", (c) => done(c)));
    expect(code, log).toBe(0);
    expect(log).toContain(`epoch ${epoch}`);
    expect(log).toContain(`epoch ${epoch + 1}:`);
  }, 180_000);
});
