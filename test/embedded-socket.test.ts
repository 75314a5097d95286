import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ServerProcess, sleep } from './support/processes';

/**
 * Issue 17, point 9: the embedded database asks for no password, so it must not listen where any local process can
 * connect. A real `rollcall serve` on the embedded database listens on one TCP port (its HTTP port) and serves the
 * database on a Unix socket only its user can reach. Read from /proc: Linux only.
 */
const SOCKET = '.s.PGSQL.5432';

/** The TCP ports and Unix socket paths process `pid` listens on. */
function listening(pid: number): { tcp: number[]; unix: string[] } {
  const inodes = new Set<string>();
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      const inode = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
      if (inode) inodes.add(inode);
    } catch {
      /* closed meanwhile */
    }
  }
  const tcp: number[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!fs.existsSync(file)) continue;
    for (const line of fs.readFileSync(file, 'utf8').trim().split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // fields: sl local_address rem_address st ... inode (10th); st 0A is LISTEN.
      if (fields[3] === '0A' && inodes.has(fields[9])) tcp.push(parseInt(fields[1].split(':')[1], 16));
    }
  }
  const unix: string[] = [];
  for (const line of fs.readFileSync('/proc/net/unix', 'utf8').trim().split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    // fields: Num RefCount Protocol Flags Type St Inode Path; flag 00010000 is a listening socket.
    if (fields[3] === '00010000' && inodes.has(fields[6]) && fields[7]) unix.push(fields[7]);
  }
  return { tcp: [...new Set(tcp)], unix };
}

const mode = (file: string) => fs.statSync(file).mode & 0o777;

async function exits(server: ServerProcess): Promise<void> {
  server.child.kill('SIGTERM');
  const deadline = Date.now() + 20_000;
  while (server.alive && Date.now() < deadline) await sleep(50);
  expect(server.exit).toEqual({ code: 0, signal: null });
}

let dir: string;
const servers: ServerProcess[] = [];
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rollcall-socket-'));
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.kill('SIGKILL')));
  fs.rmSync(dir, { recursive: true, force: true });
});

(process.platform === 'linux' ? describe : describe.skip)('the embedded database', () => {
  test('is served on a Unix socket in DATA_DIR that only its user can reach, on no TCP port', async () => {
    const dataDir = path.join(dir, 'data');
    const server = await ServerProcess.spawn({ DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
    servers.push(server);
    await server.waitReady();

    const socket = path.join(dataDir, 'socket', SOCKET);
    expect(listening(server.child.pid!)).toEqual({ tcp: [server.port], unix: [socket] });
    expect(mode(path.join(dataDir, 'socket'))).toBe(0o700);
    expect(mode(socket)).toBe(0o600);
    expect((await server.scim('GET', '/Users', 'rc_scim_nope')).status).toBe(401);

    await exits(server);
    expect(fs.existsSync(socket)).toBe(false);
    // A socket left by a killed process does not stop the next start.
    const again = await ServerProcess.spawn({ DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
    servers.push(again);
    await again.waitReady();
    await again.kill('SIGKILL');
    expect(fs.existsSync(socket)).toBe(true);
    const third = await ServerProcess.spawn({ DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
    servers.push(third);
    await third.waitReady();
    expect(listening(third.child.pid!).unix).toEqual([socket]);
  }, 120_000);

  test('a DATA_DIR too long for a socket path gets the socket in a private temporary directory, removed on stop', async () => {
    let dataDir = path.join(dir, 'data');
    while (Buffer.byteLength(path.join(dataDir, 'socket', SOCKET)) <= 110) dataDir = path.join(dataDir, 'a-rather-long-directory-name');
    const server = await ServerProcess.spawn({ DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
    servers.push(server);
    await server.waitReady();

    const { tcp, unix } = listening(server.child.pid!);
    expect(tcp).toEqual([server.port]);
    expect(unix).toHaveLength(1);
    expect(path.basename(unix[0])).toBe(SOCKET);
    expect(path.dirname(path.dirname(unix[0]))).toBe(os.tmpdir());
    expect(mode(path.dirname(unix[0]))).toBe(0o700);
    expect(mode(unix[0])).toBe(0o600);

    await exits(server);
    expect(fs.existsSync(path.dirname(unix[0]))).toBe(false);
  }, 120_000);
});
