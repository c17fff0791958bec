// Prints the gzipped JavaScript each app loads first (its entry chunk and every chunk it imports
// statically; lazy routes are not counted) and fails the build when the storefront's exceeds its budget.
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

const BUDGETS_KB = { "index.html": 150, "admin/index.html": null }; // storefront: at most 150 KB gzipped
const manifest = JSON.parse(readFileSync(new URL("../dist/.vite/manifest.json", import.meta.url)));

function firstLoad(key, seen = new Set()) {
  if (seen.has(key)) return seen;
  seen.add(key);
  for (const imported of manifest[key].imports ?? []) firstLoad(imported, seen);
  return seen;
}

const asJson = process.argv.includes("--json"); // for `make bench`: {entry: {kb, files, budget_kb}}
const measured = {};
let failed = false;
for (const [entry, budget] of Object.entries(BUDGETS_KB)) {
  const files = [...firstLoad(entry)].map((key) => manifest[key].file).filter((file) => file.endsWith(".js"));
  const bytes = files.reduce((sum, file) => sum + gzipSync(readFileSync(new URL(`../dist/${file}`, import.meta.url)), { level: 9 }).length, 0);
  const kb = bytes / 1024;
  measured[entry] = { kb: Number(kb.toFixed(1)), files: files.length, budget_kb: budget };
  const verdict = budget === null ? "(no budget)" : kb <= budget ? `ok (budget ${budget} KB)` : `OVER the ${budget} KB budget`;
  if (!asJson) console.log(`first-load JavaScript, gzipped: ${entry.padEnd(17)} ${kb.toFixed(1).padStart(6)} KB in ${files.length} file(s)  ${verdict}`);
  if (budget !== null && kb > budget) failed = true;
}
if (asJson) console.log(JSON.stringify(measured));
process.exit(failed ? 1 : 0);
