/**
 * The IR verifier, run after every pass in tests: node ids are creation order, inputs come
 * before their users and belong to the same graph, every stored type equals the one its op
 * infers, scans agree with their step graphs, and outputs are nodes of the graph.
 * Returns a list of problems (empty when the graph is well formed).
 */
import type { Graph } from "./graph.ts";
import type { Body, Node } from "./node.ts";
import { inferType, IRError } from "./ops.ts";

function same(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function verifyScan(node: Node, problems: string[], where: string): void {
  const body = node.body;
  if (!body) return void problems.push(`${where}: scan without a body`);
  const count = (key: string) =>
    typeof node.attrs[key] === "number" ? (node.attrs[key] as number) : -1;
  const [nSlices, nStates, nConsts, steps] = ["slices", "states", "consts", "steps"].map(count) as [
    number,
    number,
    number,
    number,
  ];
  const inputs = node.inputs;
  if (
    nSlices !== body.slices.length ||
    nStates !== body.states.length ||
    nConsts !== body.consts.length
  ) {
    problems.push(`${where}: scan input counts do not match its body`);
  }
  if (inputs.length !== nSlices + nStates + nConsts)
    problems.push(
      `${where}: scan has ${inputs.length} inputs, expected ${nSlices + nStates + nConsts}`,
    );
  if (!Number.isInteger(steps) || steps < 1) problems.push(`${where}: scan needs steps >= 1`);
  body.slices.forEach((slice, i) => {
    const seq = inputs[i];
    if (!seq) return;
    const expected = [seq.shape[0]!, ...seq.shape.slice(2)];
    if (seq.shape[1] !== steps || !same(slice.shape, expected) || slice.dtype !== seq.dtype) {
      problems.push(
        `${where}: sequence input ${i} [${seq.shape}] does not give step slices ${slice.dtype}[${slice.shape}] over ${steps} steps`,
      );
    }
  });
  body.states.forEach((state, i) => {
    const init = inputs[nSlices + i];
    const next = body.nextStates[i];
    if (init && (!same(init.shape, state.shape) || init.dtype !== state.dtype))
      problems.push(`${where}: initial state ${i} does not match the body's state`);
    if (!next || !same(next.shape, state.shape) || next.dtype !== state.dtype)
      problems.push(`${where}: next state ${i} does not match its state`);
  });
  body.consts.forEach((c, i) => {
    const given = inputs[nSlices + nStates + i];
    if (given && (!same(given.shape, c.shape) || given.dtype !== c.dtype))
      problems.push(`${where}: constant ${i} does not match the body's`);
  });
  if (body.step.dtype !== "int" || body.step.shape.length !== 0)
    problems.push(`${where}: the step index must be an int scalar`);
  for (const formal of [...body.slices, ...body.states, ...body.consts, body.step]) {
    if (formal.op !== "input") problems.push(`${where}: body formal %${formal.id} is not an input`);
  }
  problems.push(...verifyGraph(body.graph as Graph, `${where}/body`, body));
}

function verifyScanOutput(node: Node, problems: string[], where: string): void {
  const scan = node.inputs[0];
  const body = scan?.body;
  if (!scan || scan.op !== "scan" || !body)
    return void problems.push(`${where}: scan_output must read a scan`);
  const index = node.attrs.index as number;
  const steps = scan.attrs.steps as number;
  const results = [
    ...body.nextStates.map((s) => s.shape),
    ...body.outputs.map((o) => [o.shape[0]!, steps, ...o.shape.slice(1)]),
  ];
  const expected = results[index];
  if (!expected || !same(expected, node.shape))
    problems.push(`${where}: scan_output ${index} has the wrong shape [${node.shape}]`);
}

export function verifyGraph(graph: Graph, label = graph.label, body?: Body): string[] {
  const problems: string[] = [];
  graph.nodes.forEach((node, index) => {
    const where = `${label} %${node.id} ${node.op}`;
    if (node.id !== index) problems.push(`${where}: id does not match position ${index}`);
    for (const input of node.inputs) {
      if (input.id >= node.id || graph.nodes[input.id] !== input)
        problems.push(`${where}: input %${input.id} is not an earlier node of this graph`);
    }
    try {
      const inferred = inferType(node.op, node.inputs, node.attrs, node.body);
      if (
        node.op !== "scan" &&
        (inferred.dtype !== node.dtype || !same(inferred.shape, node.shape))
      ) {
        problems.push(
          `${where}: stored type ${node.dtype}[${node.shape}] differs from inferred ${inferred.dtype}[${inferred.shape}]`,
        );
      }
    } catch (e) {
      if (!(e instanceof IRError)) throw e;
      problems.push(`${where}: ${e.message}`);
    }
    if (node.op === "scan") verifyScan(node, problems, where);
    if (node.op === "scan_output") verifyScanOutput(node, problems, where);
  });
  const owned = (n: Node) => graph.nodes[n.id] === n;
  for (const [name, node] of graph.outputs)
    if (!owned(node)) problems.push(`${label}: output '${name}' is not a node of the graph`);
  if (body) {
    for (const n of [...body.nextStates, ...body.outputs])
      if (!owned(n)) problems.push(`${label}: body result %${n.id} is not a node of the body`);
  }
  return problems;
}

/** Throws when the graph is malformed; used after every pass in tests. */
export function assertValid(graph: Graph): void {
  const problems = verifyGraph(graph);
  if (problems.length > 0) throw new IRError(`invalid IR:\n  ${problems.join("\n  ")}`);
}
