/**
 * A thin, typed layer over `Graph.node` for writing gradient rules: arithmetic by name,
 * broadcasting back to an input's shape (`unbroadcast`), and masks.
 */
import type { Graph } from "../ir/graph.ts";
import type { Node } from "../ir/node.ts";

export class Builder {
  constructor(readonly graph: Graph) {}

  scalar(value: number): Node {
    return this.graph.constant(value);
  }

  zeros(shape: readonly number[]): Node {
    return this.graph.constant(0, "float", shape);
  }

  add(a: Node, b: Node): Node {
    return this.graph.node("add", [a, b]);
  }

  sub(a: Node, b: Node): Node {
    return this.graph.node("sub", [a, b]);
  }

  mul(a: Node, b: Node): Node {
    return this.graph.node("mul", [a, b]);
  }

  div(a: Node, b: Node): Node {
    return this.graph.node("div", [a, b]);
  }

  neg(a: Node): Node {
    return this.graph.node("neg", [a]);
  }

  where(mask: Node, a: Node, b: Node): Node {
    return this.graph.node("where", [mask, a, b]);
  }

  greater(a: Node, b: Node): Node {
    return this.graph.node("greater", [a, b]);
  }

  less(a: Node, b: Node): Node {
    return this.graph.node("less", [a, b]);
  }

  equal(a: Node, b: Node): Node {
    return this.graph.node("equal", [a, b]);
  }

  sum(x: Node, axis: number, keepdims = false): Node {
    return this.graph.node("sum", [x], { axis, keepdims });
  }

  reshape(x: Node, shape: readonly number[]): Node {
    if (x.shape.length === shape.length && x.shape.every((d, i) => d === shape[i])) return x;
    return this.graph.node("reshape", [x], { shape: [...shape] });
  }

  /** `x` broadcast to `shape` (NumPy rules). */
  broadcastTo(x: Node, shape: readonly number[]): Node {
    if (x.shape.length === shape.length && x.shape.every((d, i) => d === shape[i])) return x;
    return this.add(this.zeros(shape), x);
  }

  /** Sums `g` over the axes along which a value of `shape` was broadcast to g's shape. */
  unbroadcast(g: Node, shape: readonly number[]): Node {
    let out = g;
    const lead = g.shape.length - shape.length;
    for (let axis = g.shape.length - 1; axis >= 0; axis--) {
      const want = axis < lead ? 1 : shape[axis - lead]!;
      if (want === 1 && out.shape[axis] !== 1) out = this.sum(out, axis, true);
    }
    return this.reshape(out, shape);
  }
}
