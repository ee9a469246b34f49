// What the bench scripts share: their command-line options, a median, and a timed GET.

/** The value after `name` on the command line, or `dflt`. */
export function option(name, dflt) {
  const args = process.argv.slice(2);
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
}

/** The number after `name`, `dflt` when absent or not a number, held within [min, max]. */
export function count(name, dflt, min, max) {
  return Math.min(max, Math.max(min, Number(option(name, dflt)) || dflt));
}

/** The median of `xs` (the upper one of an even count). */
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** GETs `url`, reads its body; ms from the request to the body's end. Throws on a status that is not ok. */
export async function timed(url, timeoutMs = 120_000) {
  const t = performance.now();
  const r = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  const body = await r.text();
  if (!r.ok) throw new Error(`${url}: ${r.status} ${body}`);
  return performance.now() - t;
}
