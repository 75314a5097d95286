#!/usr/bin/env node
'use strict';
// Fails when the entities and the migrations disagree: migrates a scratch PostgreSQL database, then asks TypeORM to
// generate a migration from the entities; anything to generate means drift. Needs DATABASE_URL (a server where this
// script may create and drop a database).
const { execFileSync } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const path = require('node:path');
const { Client } = require('pg');

async function main() {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    console.error('db:check-drift needs DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres).');
    process.exit(2);
  }
  const name = `rollcall_drift_${randomBytes(5).toString('hex')}`;
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const root = path.join(__dirname, '..');
  const env = { ...process.env, DATABASE_URL: url.toString(), TS_NODE_TRANSPILE_ONLY: 'true', LOG_LEVEL: 'error' };
  let code = 0;
  try {
    execFileSync('node', [path.join(root, 'bin', 'rollcall.js'), 'migrate'], { env, stdio: 'inherit' });
    try {
      execFileSync(
        path.join(root, 'node_modules', '.bin', 'typeorm-ts-node-commonjs'),
        ['migration:generate', '--check', '--dryrun', '-d', path.join(root, 'ormconfig.ts'), path.join(root, 'migrations', 'Drift')],
        { env, stdio: 'inherit', cwd: root },
      );
      console.log('No drift: the migrations create exactly the schema the entities describe.');
    } catch {
      console.error('DRIFT: the entities differ from the migrations (see the SQL above). Write a migration.');
      code = 1;
    }
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
  process.exit(code);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
