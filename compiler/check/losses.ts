/**
 * `loss` statements: mse(pred, target), bce_with_logits(logit, target) and
 * cross_entropy(logits, targets, ignore: id) (logits float[..., V], targets int[...]).
 * Several losses in one model are summed.
 */
import type { Call, Expr } from "../../dsl/ast.ts";
import { bindArgs, readInteger } from "./args.ts";
import { LOSSES } from "./builtins.ts";
import type { ModelScope } from "./model-scope.ts";
import { tensorOf } from "./model-expr.ts";
import { formatType, sameTensorShape, type Tensor } from "./model-types.ts";
import { didYouMean } from "./suggest.ts";

export type LossKind = (typeof LOSSES)[number];

export interface CheckedLoss {
  readonly kind: LossKind;
  readonly call: Call;
  readonly prediction: Expr;
  readonly target: Expr;
  readonly ignoreIndex: number | undefined;
}

export function checkLoss(scope: ModelScope, value: Expr): CheckedLoss | undefined {
  const report = scope.report;
  if (value.kind !== "call")
    return report.error(
      "wrongArgumentType",
      value.span,
      "a loss is a call such as mse(pred, y)",
      `losses are ${LOSSES.join(", ")}`,
    );
  const kind = value.callee.name;
  if (!(LOSSES as readonly string[]).includes(kind)) {
    return report.error(
      "unknownFunction",
      value.callee.span,
      `unknown loss '${kind}'`,
      didYouMean(kind, LOSSES) ?? `losses are ${LOSSES.join(", ")}`,
    );
  }
  const args = bindArgs(
    value,
    { positional: ["prediction", "target"], options: kind === "cross_entropy" ? ["ignore"] : [] },
    report,
  );
  if (!args) return undefined;
  const [predExpr, targetExpr] = args.positional as [Expr, Expr];
  const pred = tensorOf(scope, predExpr, "the prediction");
  const target = tensorOf(scope, targetExpr, "the target");
  const ignore = args.named.get("ignore");
  const ignoreIndex = ignore ? readInteger(ignore.value, "ignore", report, 0) : undefined;
  if (!pred || !target) return undefined;
  // A decoder without a teacher runs its own number of steps (`dec.steps`), not the targets'.
  const untaught =
    (pred.origins.has("decode") || pred.origins.has("generate")) &&
    target.time !== undefined &&
    pred.time !== target.time;
  const targetName = targetExpr.kind === "name" ? targetExpr.name : "the targets";
  const mismatch = (why: string, help: string) =>
    report.error(
      "shapeMismatch",
      value.span,
      `shape mismatch in ${kind}: prediction is ${formatType(pred)}, target is ${formatType(target)}`,
      untaught
        ? `the decoder runs its own number of steps (${pred.time}), not the targets' ${target.time}; to train it on them, give it teacher: ${targetName}`
        : pred.time === undefined && target.time !== undefined
          ? "the prediction is one per sequence, the targets one per step: predict from per-step values such as enc.outputs"
          : pred.time !== undefined && target.time === undefined
            ? "the prediction is one per step, the target one per sequence: predict from enc.final"
            : `${why}; ${help}`,
    );
  if (pred.dtype !== "float")
    return report.error(
      "wrongArgumentType",
      predExpr.span,
      `${kind} needs float predictions, got ${formatType(pred)}`,
    );
  if (kind === "cross_entropy") {
    const classes = pred.dims[pred.dims.length - 1];
    if (target.dtype !== "int")
      return report.error(
        "wrongArgumentType",
        targetExpr.span,
        `cross_entropy needs class ids (int) as targets, got ${formatType(target)}`,
        "for float targets use mse or bce_with_logits",
      );
    if (
      classes === undefined ||
      !sameTensorShape({ ...pred, dims: pred.dims.slice(0, -1) } as Tensor, target)
    ) {
      return mismatch(
        "logits must be the targets' shape plus one class dimension",
        "e.g. logits float[T, 42] with targets int[T]",
      );
    }
    if (ignoreIndex !== undefined && ignoreIndex >= classes)
      report.error(
        "badValue",
        ignore!.value.span,
        `ignore must be a class id below ${classes}, got ${ignoreIndex}`,
      );
  } else {
    if (target.dtype !== "float")
      return report.error(
        "wrongArgumentType",
        targetExpr.span,
        `${kind} needs float targets, got ${formatType(target)}`,
      );
    if (!sameTensorShape(pred, target))
      return mismatch(
        "prediction and target must have the same shape",
        `project the prediction to the target's size with linear(..., ${target.dims[target.dims.length - 1] ?? "N"})`,
      );
  }
  return {
    kind: kind as LossKind,
    call: value,
    prediction: predExpr,
    target: targetExpr,
    ignoreIndex,
  };
}
