// The web demo: loads the trained name generator bundle (served under ./bundle/) with rnnc's
// browser runtime (./runtime/rnnc-runtime.js, built by `npm run build:web`) and generates
// names on navigator.gpu. Token ids as in examples/names/train.ts: 2 ends a name, 3..28 are
// a..z, 29 is a hyphen.
import { BundleModel } from "./runtime/rnnc-runtime.js";

const $ = (id) => document.getElementById(id);
const status = (text, error = false) => {
  $("status").textContent = text;
  $("status").className = error ? "error" : "";
};

function decode(tokens) {
  let name = "";
  for (const t of tokens) {
    if (t === 2) return name;
    name += t === 29 ? "-" : t >= 3 && t < 29 ? String.fromCharCode(94 + t) : "?";
  }
  return `${name}…`;
}

try {
  const model = await BundleModel.load(new URL("./bundle/", location.href), { onNote: status });
  const limit = model.manifest.limits.batch;
  $("count").max = String(limit);
  status(`Loaded ${model.manifest.model} on ${model.backend} (up to ${limit} names per call).`);
  $("go").disabled = false;
  $("form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const count = Math.max(1, Math.min(limit, Number($("count").value) || 1));
    const choice = $("gender").value;
    // Draws depend on the bundle's seed, the step and the row: the same input gives the same
    // names, so "variation" skips that many rows to show others.
    const skip = Math.max(0, Math.min(limit - count, Number($("variation").value) || 0));
    const genders = Array.from({ length: skip + count }, (_, i) =>
      choice === "mixed" ? i % 2 : Number(choice),
    );
    const started = performance.now();
    const out = await model.generate({ gender: genders });
    const ms = performance.now() - started;
    const steps = out.name.shape[1];
    const names = [];
    for (let b = skip; b < skip + count; b++)
      names.push(decode(out.name.data.subarray(b * steps, (b + 1) * steps)));
    $("names").replaceChildren(
      ...names.map((n) => Object.assign(document.createElement("li"), { textContent: n })),
    );
    status(`${count} names in ${ms.toFixed(1)} ms on ${model.backend}.`);
  });
} catch (e) {
  status(`Could not run the bundle: ${e.message}`, true);
}
