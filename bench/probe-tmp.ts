import { execSync } from 'node:child_process';
import fs from 'node:fs';
import { LoadClient } from './load';
const token = fs.readFileSync('/tmp/probe-token', 'utf8').trim();
const pid = Number(execSync("pgrep -f 'node dist/src/main.js' | head -1").toString().trim());
const queries: Record<string, string> = {
  user: '{ employees(first: 100) { nodes { id username } } }',
  roleName: '{ employees(first: 100) { nodes { id username primaryRole { name } } } }',
  roleTypename: '{ employees(first: 100) { nodes { id username primaryRole { __typename } } } }',
  full: '{ employees(first: 100) { nodes { id username primaryRole { name } team { name } } } }',
  fullAuth: '{ employees(first: 100) { nodes { id username primaryRole { name } team { name } loginAuthenticator { name } } } }',
};
(async () => {
  const client = new LoadClient('http://127.0.0.1:4999', token, 16);
  for (const round of [1, 2]) {
    for (const [name, query] of Object.entries(queries)) {
      const r = await client.phase(name, 100_000, () => ({ method: 'POST', path: '/graphql', body: { query }, headers: { 'content-type': 'application/json' }, expect: [200] }), { serverPid: pid, maxSeconds: 4 });
      console.log(round, name.padEnd(14), Math.round(r.perSecond), 'req/s p50', r.p50.toFixed(1), 'p99', r.p99.toFixed(1), 'cpu', r.cpuPerRequestMs?.toFixed(3), 'errors', r.errors);
    }
  }
  await client.close();
})();
