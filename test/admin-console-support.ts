import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.join(__dirname, '..');
export const ADMIN_BUILD = path.join(root, 'dist', 'admin');

function newestMtime(target: string): number {
  const stat = fs.statSync(target);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return fs.readdirSync(target).reduce((newest, entry) => Math.max(newest, newestMtime(path.join(target, entry))), 0);
}

/**
 * The tests run against the console as `npm run build` makes it (dist/admin, which `npm ci` builds in CI). When it is
 * missing or older than admin/, it is rebuilt first, so a test never passes against a stale bundle. The build goes to
 * a temporary folder and is moved in place, so two test files building at once never see half a bundle.
 */
export function ensureAdminBuild(): void {
  const index = path.join(ADMIN_BUILD, 'index.html');
  if (fs.existsSync(index) && fs.statSync(index).mtimeMs >= newestMtime(path.join(root, 'admin'))) return;
  fs.mkdirSync(path.dirname(ADMIN_BUILD), { recursive: true });
  const staging = fs.mkdtempSync(path.join(path.dirname(ADMIN_BUILD), '.admin-build-'));
  execFileSync(process.execPath, [path.join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', 'admin/vite.config.mts', '--outDir', staging, '--logLevel', 'warn'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  fs.rmSync(ADMIN_BUILD, { recursive: true, force: true });
  try {
    fs.renameSync(staging, ADMIN_BUILD);
  } catch (error) {
    // Another test file finished its build first: theirs is as fresh as ours.
    fs.rmSync(staging, { recursive: true, force: true });
    if (!fs.existsSync(index)) throw error;
  }
}

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
