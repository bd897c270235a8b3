/**
 * The IR as JSON, and back: what a bundle's graph.json holds so that the reference
 * interpreter can run a model with the runtime alone. Nodes are listed in id order (a
 * topological order); a node names its inputs by id; a scan's step graph is nested. Loading
 * rebuilds frozen Node objects and checks what it can without the compiler's shape rules:
 * known op names and dtypes, inputs that are earlier nodes, bodies that are well formed.
 */
import { IRError, type Attrs, type AttrValue, type Body, type DType, type Node } from "./node.ts";
import { OP_NAMES, type OpName } from "./op-names.ts";

export const GRAPH_FORMAT = "rnnc-graph";
export const GRAPH_VERSION = 1;

interface NodeJson {
  readonly op: string;
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly inputs: readonly number[];
  readonly attrs: Readonly<Record<string, AttrValue>>;
  readonly body?: BodyJson;
}

interface BodyJson {
  readonly nodes: readonly NodeJson[];
  readonly slices: readonly number[];
  readonly states: readonly number[];
  readonly consts: readonly number[];
  readonly step: number;
  readonly nextStates: readonly number[];
  readonly outputs: readonly number[];
}

export interface GraphJson {
  readonly format: typeof GRAPH_FORMAT;
  readonly version: number;
  readonly nodes: readonly NodeJson[];
  readonly inputs: Readonly<Record<string, number>>;
  readonly params: Readonly<Record<string, number>>;
  readonly outputs: Readonly<Record<string, number>>;
}

/** What a graph must offer to be saved (compiler/ir/graph.ts's Graph has it). */
export interface SavableGraph {
  readonly nodes: readonly Node[];
  readonly inputs: ReadonlyMap<string, Node>;
  readonly params: ReadonlyMap<string, Node>;
  readonly outputs: ReadonlyMap<string, Node>;
}

/** A loaded graph: what runtime/reference/interpreter.ts evaluates. */
export interface LoadedGraph extends SavableGraph {
  readonly id: number;
}

function sortedAttrs(attrs: Attrs): Record<string, AttrValue> {
  return Object.fromEntries(
    Object.keys(attrs)
      .sort()
      .map((k) => [k, attrs[k]!]),
  );
}

function nodeJson(node: Node): NodeJson {
  return {
    op: node.op,
    dtype: node.dtype,
    shape: [...node.shape],
    inputs: node.inputs.map((n) => n.id),
    attrs: sortedAttrs(node.attrs),
    ...(node.body ? { body: bodyJson(node.body) } : {}),
  };
}

function bodyJson(body: Body): BodyJson {
  const ids = (nodes: readonly Node[]) => nodes.map((n) => n.id);
  return {
    nodes: body.graph.nodes.map(nodeJson),
    slices: ids(body.slices),
    states: ids(body.states),
    consts: ids(body.consts),
    step: body.step.id,
    nextStates: ids(body.nextStates),
    outputs: ids(body.outputs),
  };
}

function table(map: ReadonlyMap<string, Node>): Record<string, number> {
  return Object.fromEntries([...map].map(([name, node]) => [name, node.id]));
}

/** The graph as plain JSON data (attribute keys sorted, so equal graphs give equal text). */
export function graphToJson(graph: SavableGraph): GraphJson {
  return {
    format: GRAPH_FORMAT,
    version: GRAPH_VERSION,
    nodes: graph.nodes.map(nodeJson),
    inputs: table(graph.inputs),
    params: table(graph.params),
    outputs: table(graph.outputs),
  };
}

let loadedGraphs = 0;
const OPS = new Set<string>(OP_NAMES);

function fail(message: string): never {
  throw new IRError(`invalid graph: ${message}`);
}

function isShape(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((d) => Number.isInteger(d) && d >= 0);
}

function loadNodes(list: unknown, where: string): Node[] {
  if (!Array.isArray(list)) fail(`${where}: nodes must be a list`);
  const nodes: Node[] = [];
  list.forEach((raw: NodeJson, id) => {
    const at = `${where} node ${id}`;
    if (typeof raw !== "object" || raw === null) fail(`${at} is not an object`);
    if (!OPS.has(raw.op)) fail(`${at}: unknown op '${String(raw.op)}'`);
    if (raw.dtype !== "float" && raw.dtype !== "int") fail(`${at}: bad dtype`);
    if (!isShape(raw.shape)) fail(`${at}: bad shape`);
    if (!Array.isArray(raw.inputs)) fail(`${at}: inputs must be a list`);
    const inputs = raw.inputs.map((i) =>
      Number.isInteger(i) && i >= 0 && i < id ? nodes[i]! : fail(`${at} reads ${i}`),
    );
    if (typeof raw.attrs !== "object" || raw.attrs === null) fail(`${at}: attrs must be an object`);
    const body = raw.body === undefined ? undefined : loadBody(raw.body, `${at} body`);
    nodes.push(
      Object.freeze({
        id,
        op: raw.op as OpName,
        dtype: raw.dtype as DType,
        shape: Object.freeze([...raw.shape]),
        inputs: Object.freeze(inputs),
        attrs: Object.freeze({ ...raw.attrs }),
        ...(body ? { body } : {}),
      }),
    );
  });
  return nodes;
}

function loadBody(raw: BodyJson, where: string): Body {
  const nodes = loadNodes(raw.nodes, where);
  const pick = (ids: unknown, what: string): Node[] =>
    Array.isArray(ids)
      ? ids.map((i) => nodes[i as number] ?? fail(`${where}: ${what} names node ${i}`))
      : fail(`${where}: ${what} must be a list`);
  return Object.freeze({
    graph: { id: ++loadedGraphs, nodes },
    slices: pick(raw.slices, "slices"),
    states: pick(raw.states, "states"),
    consts: pick(raw.consts, "consts"),
    step: pick([raw.step], "step")[0]!,
    nextStates: pick(raw.nextStates, "nextStates"),
    outputs: pick(raw.outputs, "outputs"),
  });
}

/** Rebuilds a graph from graphToJson's data; IRError names the first problem. */
export function graphFromJson(json: unknown): LoadedGraph {
  const raw = json as GraphJson;
  if (typeof raw !== "object" || raw === null || raw.format !== GRAPH_FORMAT)
    fail(`not an rnnc graph (format '${String(raw?.format)}')`);
  if (raw.version !== GRAPH_VERSION)
    fail(`version ${String(raw.version)}, this runtime reads version ${GRAPH_VERSION}`);
  const nodes = loadNodes(raw.nodes, "graph");
  const map = (t: unknown, what: string, op?: OpName): Map<string, Node> => {
    if (typeof t !== "object" || t === null) fail(`${what} must be an object`);
    return new Map(
      Object.entries(t).map(([name, id]) => {
        const node = nodes[id as number] ?? fail(`${what} '${name}' names node ${id}`);
        if (op && node.op !== op) fail(`${what} '${name}' is a ${node.op} node`);
        return [name, node];
      }),
    );
  };
  return {
    id: ++loadedGraphs,
    nodes,
    inputs: map(raw.inputs, "input", "input"),
    params: map(raw.params, "param", "param"),
    outputs: map(raw.outputs, "output"),
  };
}
