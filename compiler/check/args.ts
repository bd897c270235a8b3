/**
 * Binding a call's arguments to a function's signature, and reading constant option values.
 * Shared by cell functions, model functions, losses and cell instantiation so that arity,
 * unknown and duplicate options, and wrong value types read the same everywhere.
 */
import type { Arg, Call, Expr, Ident } from "../../dsl/ast.ts";
import { LIMITS, tooLarge } from "./limits.ts";
import type { Reporter } from "./report.ts";
import { didYouMean } from "./suggest.ts";

export interface Signature {
  /** Names of positional parameters, for messages; `min` of them are required. */
  readonly positional: readonly string[];
  readonly min?: number;
  /** Any number of positional arguments (at least `min`). */
  readonly variadic?: boolean;
  /** Named options this function accepts. */
  readonly options?: readonly string[];
  /** Bare names accepted as boolean options (`bidirectional`). */
  readonly flags?: readonly string[];
}

export interface BoundArgs {
  readonly positional: readonly Expr[];
  readonly named: ReadonlyMap<string, Arg>;
  readonly flags: ReadonlySet<string>;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

export function bindArgs(
  call: Call,
  signature: Signature,
  report: Reporter,
): BoundArgs | undefined {
  const positional: Expr[] = [];
  const named = new Map<string, Arg>();
  const flags = new Set<string>();
  const allowed = [...(signature.options ?? []), ...(signature.flags ?? [])];
  let ok = true;
  let misordered = false;
  const unknown = call.args.flatMap((a) =>
    a.name && !allowed.includes(a.name.name) ? [a.name] : [],
  );
  if (unknown.length > 0) reportUnknownOptions(call, unknown, allowed, report);
  for (const arg of call.args) {
    if (arg.name) {
      const name = arg.name.name;
      if (!allowed.includes(name)) {
        ok = false;
      } else if (named.has(name) || flags.has(name)) {
        ok = false;
        const first = named.get(name);
        report.error(
          "duplicateOption",
          arg.name.span,
          `option '${name}' is given twice`,
          "remove one of them",
          first ? [{ message: "first given here", span: first.span }] : undefined,
        );
      } else named.set(name, arg);
      continue;
    }
    const value = arg.value;
    if (value.kind === "name" && !value.primed && signature.flags?.includes(value.name)) {
      if (flags.has(value.name) || named.has(value.name)) {
        ok = false;
        report.error(
          "duplicateOption",
          value.span,
          `option '${value.name}' is given twice`,
          "remove one of them",
        );
      }
      flags.add(value.name);
      continue;
    }
    if ((named.size > 0 || flags.size > 0) && !misordered) {
      ok = false;
      misordered = true;
      report.error(
        "wrongArgumentCount",
        arg.span,
        `positional argument after named options in '${call.callee.name}'`,
        "put positional arguments first",
      );
    }
    positional.push(value);
  }
  const max = signature.variadic ? Infinity : signature.positional.length;
  const min = signature.min ?? signature.positional.length;
  // Unknown options usually mean another function was meant: its arity is beside the point.
  if (!misordered && unknown.length === 0 && (positional.length > max || positional.length < min)) {
    ok = false;
    const expected = signature.variadic
      ? `at least ${plural(min, "argument")}`
      : min === max
        ? plural(max, "argument")
        : `${min} to ${plural(max, "argument")}`;
    const extra = positional[max];
    report.error(
      "wrongArgumentCount",
      positional.length > max && extra ? extra.span : call.span,
      `'${call.callee.name}' takes ${expected}, got ${positional.length}`,
      signature.positional.length
        ? `write ${call.callee.name}(${signature.positional.join(", ")})`
        : undefined,
    );
  }
  return ok ? { positional, named, flags } : undefined;
}

/** One diagnostic for all the unknown options of a call, at the first. */
function reportUnknownOptions(
  call: Call,
  unknown: readonly Ident[],
  allowed: readonly string[],
  report: Reporter,
): void {
  const first = unknown[0]!;
  const options = allowed.length ? `its options are ${allowed.join(", ")}` : "it takes no options";
  if (unknown.length === 1) {
    report.error(
      "unknownOption",
      first.span,
      `'${call.callee.name}' has no option '${first.name}'`,
      didYouMean(first.name, allowed) ?? options,
    );
    return;
  }
  const names = unknown.map((u) => `'${u.name}'`).join(", ");
  report.error(
    "unknownOption",
    first.span,
    `'${call.callee.name}' has no options ${names}`,
    `${options}; is this the function you meant?`,
  );
}

/** A constant number: a literal, or a negated one. */
export function constantNumber(expr: Expr): number | undefined {
  if (expr.kind === "number") return expr.value;
  if (expr.kind === "unary") {
    const inner = constantNumber(expr.operand);
    return inner === undefined ? undefined : -inner;
  }
  return undefined;
}

export function readNumber(
  expr: Expr,
  what: string,
  report: Reporter,
  range?: { min?: number; max?: number; below?: number },
): number | undefined {
  const value = constantNumber(expr);
  if (value === undefined)
    return report.error("wrongArgumentType", expr.span, `${what} must be a number`);
  if (
    (range?.min !== undefined && value < range.min) ||
    (range?.max !== undefined && value > range.max) ||
    (range?.below !== undefined && value >= range.below)
  ) {
    const bounds = [
      range.min !== undefined ? `at least ${range.min}` : "",
      range.max !== undefined ? `at most ${range.max}` : "",
      range.below !== undefined ? `below ${range.below}` : "",
    ].filter(Boolean);
    return report.error(
      "badValue",
      expr.span,
      `${what} must be ${bounds.join(" and ")}, got ${value}`,
    );
  }
  return value;
}

export function readInteger(
  expr: Expr,
  what: string,
  report: Reporter,
  min = 0,
  max: number = LIMITS.size,
): number | undefined {
  const value = constantNumber(expr);
  if (value === Infinity) return tooLarge(report, expr.span, what, value, max);
  if (
    value === undefined ||
    !Number.isInteger(value) ||
    (expr.kind === "number" && !expr.isInteger)
  ) {
    return report.error(
      "wrongArgumentType",
      expr.span,
      `${what} must be a whole number${expr.kind === "number" ? `, got ${expr.text}` : ""}`,
    );
  }
  if (value < min)
    return report.error("badValue", expr.span, `${what} must be at least ${min}, got ${value}`);
  if (value > max) return tooLarge(report, expr.span, what, value, max);
  return value;
}

export function readBool(expr: Expr, what: string, report: Reporter): boolean | undefined {
  if (expr.kind === "bool") return expr.value;
  return report.error(
    "wrongArgumentType",
    expr.span,
    `${what} must be true or false${expr.kind === "number" ? `, got ${expr.text}` : ""}`,
    `write ${what}: true or ${what}: false`,
  );
}

/** One of a fixed set of words (`attention: luong`). */
export function readChoice<T extends string>(
  expr: Expr,
  what: string,
  choices: readonly T[],
  report: Reporter,
): T | undefined {
  if (expr.kind === "name" && !expr.primed && (choices as readonly string[]).includes(expr.name))
    return expr.name as T;
  const got = expr.kind === "name" ? `'${expr.name}'` : "this";
  const hint = expr.kind === "name" ? didYouMean(expr.name, choices) : undefined;
  return report.error(
    "wrongArgumentType",
    expr.span,
    `${what} must be one of ${choices.join(", ")}; got ${got}`,
    hint,
  );
}
