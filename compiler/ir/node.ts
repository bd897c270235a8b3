/**
 * The IR's one node type. Immutable and hash-consed per graph (graph.ts): building the same
 * op on the same inputs with the same attributes returns the same object, so common
 * subexpressions are shared for free and tests compare subgraphs by identity.
 *
 * The data types themselves live in runtime/ir/node.ts, because the runtime evaluates nodes
 * and must not import the compiler; the compiler re-exports them from here.
 */
export {
  shapeText,
  sizeOf,
  type AttrValue,
  type Attrs,
  type Body,
  type DType,
  type GraphLike,
  type Node,
} from "../../runtime/ir/node.ts";
