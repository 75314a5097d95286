#!/usr/bin/env node
'use strict';
// Runs the compiled CLI (dist/) when it is up to date with the sources, else the TypeScript sources directly through
// @swc-node/register (which keeps decorator metadata), so `npx rollcall` works right after `npm install`.
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const compiled = path.join(root, 'dist', 'src', 'cli.js');

function newestMtime(target) {
  let stat;
  try {
    stat = fs.statSync(target);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = 0;
  for (const entry of fs.readdirSync(target)) newest = Math.max(newest, newestMtime(path.join(target, entry)));
  return newest;
}

function sourcesAvailable() {
  try {
    require.resolve('@swc-node/register');
    return fs.existsSync(path.join(root, 'src', 'cli.ts'));
  } catch {
    return false;
  }
}

let useCompiled = fs.existsSync(compiled);
if (useCompiled && sourcesAvailable()) {
  const built = fs.statSync(compiled).mtimeMs;
  const sources = Math.max(
    newestMtime(path.join(root, 'src')),
    newestMtime(path.join(root, 'migrations')),
    newestMtime(path.join(root, 'ormconfig.ts')),
  );
  useCompiled = built >= sources;
}

let cli;
if (useCompiled) {
  cli = require(compiled);
} else if (sourcesAvailable()) {
  process.env.SWC_NODE_PROJECT = process.env.SWC_NODE_PROJECT || path.join(root, 'tsconfig.json');
  require('@swc-node/register');
  cli = require(path.join(root, 'src', 'cli.ts'));
} else {
  console.error('rollcall: no build found. Run `npm run build` (or `npm install`, which builds).');
  process.exit(1);
}
cli.runCli(process.argv.slice(2)).then((code) => {
  if (code >= 0) process.exit(code);
});
