// Runs the graphql-http server audits (GraphQL over HTTP spec conformance) against a URL.
//
//   node tests/http_audit/audit.mjs http://127.0.0.1:8000/graphql [--json]
//
// Prints one line per audit (status, id, name and, for a failed audit, the reason), then a
// summary line. With --json the last line is a JSON object {ok, notice, warn, error, total}.
// Exits 1 when any audit ends in "error" (a failed MUST) or "warn" (a failed SHOULD),
// 2 on bad usage or when the server cannot be reached.
import { serverAudits } from 'graphql-http';

const args = process.argv.slice(2);
const json = args.includes('--json');
const url = args.find((arg) => !arg.startsWith('--'));
if (!url) {
  console.error('usage: node audit.mjs URL [--json]');
  process.exit(2);
}

const counts = { ok: 0, notice: 0, warn: 0, error: 0, total: 0 };
let results;
try {
  // One audit at a time: the results do not depend on each other, and a sequential run
  // keeps the load on the server (and on its per-address rate limit) modest.
  results = [];
  for (const { fn } of serverAudits({ url })) {
    results.push(await fn());
  }
} catch (err) {
  console.error(`audit could not run against ${url}: ${err && err.message ? err.message : err}`);
  process.exit(2);
}

for (const result of results) {
  counts[result.status] += 1;
  counts.total += 1;
  const line = `${result.status.toUpperCase().padEnd(6)} ${result.id} ${result.name}`;
  if (result.status === 'ok') {
    console.log(line);
  } else {
    let body = '';
    try {
      body = (await result.response.text()).slice(0, 300);
    } catch {
      body = '(body already read)';
    }
    console.log(`${line}\n       reason: ${result.reason}\n       status: ${result.response.status}; body: ${body}`);
  }
}

const summary = `${counts.total} audits: ${counts.ok} ok, ${counts.notice} notices, ${counts.warn} warnings, ${counts.error} errors`;
console.log(summary);
if (json) {
  console.log(JSON.stringify(counts));
}
process.exit(counts.warn + counts.error > 0 ? 1 : 0);
