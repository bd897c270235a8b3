/**
 * Which torch module of a state_dict is which module of the spec. A state_dict names its
 * modules after the Python attributes (`self.rnn`, `self.fc`), which need not be the spec's
 * bindings, and a safetensors file does not keep the modules' order. So, in turn:
 *
 *   1. `--map rnn=enc`: the user says so;
 *   2. the same name: the state_dict's `enc.weight_ih_l0` belongs to the spec's `enc`;
 *   3. by fit: a module whose tensors (names after the module's, and shapes) only one group of
 *      the state_dict has takes it; repeated until nothing changes. Two groups that fit one
 *      module equally are ambiguous: an error asks for --map rather than guessing;
 *   4. by layout alone (same tensor names, other shapes), then by kind alone (the only
 *      recurrent module left on both sides, or the only Linear/Embedding-like one): so that a
 *      state_dict of another architecture is reported tensor by tensor, with what it looks like.
 *
 * A group is every tensor whose name has the same prefix up to its last dot
 * (`encoder.rnn.weight_ih_l0` → `encoder.rnn`); the root module's own tensors are the group "".
 */
import type { Tensor } from "../../runtime/weights/safetensors.ts";
import { torchParams } from "../../runtime/weights/torch-names.ts";
import type { SpecModule } from "./torch-layout.ts";

export interface TorchGroup {
  /** The torch module's name ("" for the root). */
  readonly name: string;
  /** Its tensors by their last name part (`weight_ih_l0`, `bias`). */
  readonly tensors: ReadonlyMap<string, Tensor>;
}

export type MatchedBy = "--map" | "name" | "fit" | "layout" | "kind";

export interface Match {
  readonly module: SpecModule;
  readonly group: TorchGroup;
  readonly by: MatchedBy;
}

export interface Matching {
  readonly matches: readonly Match[];
  /** Modules nothing in the state_dict fits. */
  readonly unmatched: readonly SpecModule[];
  /** Modules two or more groups fit equally: the candidates' names. */
  readonly ambiguous: readonly { module: SpecModule; candidates: readonly string[] }[];
}

/** The state_dict's tensors grouped by module, in the order of their first tensor. */
export function groupTensors(dict: ReadonlyMap<string, Tensor>): Map<string, TorchGroup> {
  const groups = new Map<string, Map<string, Tensor>>();
  for (const [name, t] of dict) {
    const dot = name.lastIndexOf(".");
    const group = dot < 0 ? "" : name.slice(0, dot);
    if (!groups.has(group)) groups.set(group, new Map());
    groups.get(group)!.set(name.slice(dot + 1), t);
  }
  return new Map([...groups].map(([name, tensors]) => [name, { name, tensors }]));
}

/** The full torch name of a tensor of a group. */
export function torchName(group: string, part: string): string {
  return group === "" ? part : `${group}.${part}`;
}

/** What a module needs from its group: last name part → shape. */
export function expectedParts(module: SpecModule): Map<string, readonly number[]> {
  return new Map(torchParams(module.torch, module.sizes).map((p) => [p.name, p.shape]));
}

function sameLayout(module: SpecModule, group: TorchGroup): boolean {
  const want = expectedParts(module);
  return want.size === group.tensors.size && [...want.keys()].every((k) => group.tensors.has(k));
}

function fits(module: SpecModule, group: TorchGroup): boolean {
  return (
    sameLayout(module, group) &&
    [...expectedParts(module)].every(
      ([k, shape]) => group.tensors.get(k)!.shape.join() === shape.join(),
    )
  );
}

function recurrent(group: TorchGroup): boolean {
  return [...group.tensors.keys()].some((k) => /^(weight|bias)_(ih|hh)_l\d+(_reverse)?$/.test(k));
}

function isRecurrent(module: SpecModule): boolean {
  return module.torch.module !== "Linear" && module.torch.module !== "Embedding";
}

export function matchModules(
  modules: readonly SpecModule[],
  groups: ReadonlyMap<string, TorchGroup>,
  map: ReadonlyMap<string, string>,
): Matching {
  const matches: Match[] = [];
  const free = new Map(groups);
  let open = [...modules];
  const take = (module: SpecModule, group: TorchGroup, by: MatchedBy) => {
    matches.push({ module, group, by });
    free.delete(group.name);
    open = open.filter((m) => m !== module);
  };
  for (const [torch, rnnc] of map) {
    const module = open.find((m) => m.torch.prefix === rnnc);
    const group = free.get(torch);
    if (module && group) take(module, group, "--map");
  }
  for (const module of [...open]) {
    const group = free.get(module.torch.prefix);
    if (group) take(module, group, "name");
  }
  const ambiguous: { module: SpecModule; candidates: readonly string[] }[] = [];
  for (const test of [fits, sameLayout]) {
    for (let changed = true; changed;) {
      changed = false;
      for (const module of [...open]) {
        const candidates = [...free.values()].filter((g) => test(module, g));
        if (candidates.length === 1) {
          take(module, candidates[0]!, test === fits ? "fit" : "layout");
          changed = true;
        }
      }
    }
    for (const module of open) {
      const candidates = [...free.values()].filter((g) => test(module, g));
      if (candidates.length > 1 && !ambiguous.some((a) => a.module === module))
        ambiguous.push({ module, candidates: candidates.map((g) => g.name) });
    }
    open = open.filter((m) => !ambiguous.some((a) => a.module === m));
  }
  const byKind = (m: SpecModule, g: TorchGroup) => recurrent(g) === isRecurrent(m);
  for (const module of [...open]) {
    const candidates = [...free.values()].filter((g) => byKind(module, g));
    const rivals = open.filter((m) => candidates.length === 1 && byKind(m, candidates[0]!));
    if (candidates.length === 1 && rivals.length === 1) take(module, candidates[0]!, "kind");
  }
  return { matches, unmatched: open, ambiguous };
}
