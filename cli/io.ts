/** File input and output for the command line: readable errors, atomic writes. */
import { mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";

export class UsageError extends Error {}

export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT"
        ? "no such file"
        : code === "EISDIR"
          ? "it is a folder"
          : code === "EACCES"
            ? "permission denied"
            : String((e as Error).message);
    throw new UsageError(`cannot read '${path}': ${why}`);
  }
}

/**
 * Replaces a file's contents atomically: the new text goes to a temporary file in the same
 * folder, which is then renamed over the target, so a reader never sees a half-written file.
 */
export function writeTextAtomic(path: string, text: string): void {
  const dir = mkdtempSync(join(dirname(path), `.${basename(path)}.tmp-`));
  const temp = join(dir, basename(path));
  try {
    writeFileSync(temp, text);
    renameSync(temp, path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
