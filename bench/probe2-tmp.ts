import { execSync } from 'node:child_process';
import fs from 'node:fs';
import { LoadClient } from './load';
const token = fs.readFileSync('/tmp/probe-token', 'utf8').trim();
const pid = Number(execSync("pgrep -f 'node.*dist/src/main.js' | head -1").toString().trim());
const query = process.argv[2];
(async () => {
  const client = new LoadClient('http://127.0.0.1:4999', token, 16);
  const r = await client.phase('q', 1_000_000, () => ({ method: 'POST', path: '/graphql', body: { query }, headers: { 'content-type': 'application/json' }, expect: [200] }), { serverPid: pid, maxSeconds: Number(process.argv[3] ?? 8) });
  console.log(Math.round(r.perSecond), 'req/s', r.requests, 'requests p99', r.p99.toFixed(1), 'cpu', r.cpuPerRequestMs?.toFixed(3), 'errors', r.errors);
  await client.close();
})();
