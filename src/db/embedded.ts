import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The zero-configuration database: PGlite (PostgreSQL compiled to WASM) inside this process, served by pglite-socket
 * so the ordinary `pg` driver and TypeORM's postgres dialect talk to it exactly as to a real server. PGlite is
 * single-session: the socket server takes one connection, and the app's pool is sized to one.
 *
 * pglite-socket asks for no password (it accepts any user), so the database is served on a Unix socket that only this
 * process's user can reach: `.s.PGSQL.5432` (mode 0600) in `DATA_DIR/socket` (mode 0700), never on a TCP port that
 * every local process could connect to. The in-memory databases of the test suite (no data directory) stay on a
 * loopback port: they hold only test data and are served to the test files by a factory over HTTP anyway.
 */
export interface EmbeddedDatabase {
  url: string;
  dataDir: string | undefined;
  stop(): Promise<void>;
}

const LOCK_FILE = 'rollcall.lock';
/** The directory of the socket, inside DATA_DIR. */
const SOCKET_DIR = 'socket';
/** The port in the socket's name: `pg` connects to `<host>/.s.PGSQL.<port>` when the host is a directory. */
const SOCKET_PORT = 5432;
/**
 * The longest Unix socket path: sun_path holds 108 bytes with the terminating NUL on Linux, 104 on macOS. A DATA_DIR
 * too deep for it gets its socket in a private directory under the system's temporary directory instead.
 */
const MAX_SOCKET_PATH_BYTES = 103;

/**
 * A directory only this user can enter, for the socket: `preferred` when the socket path fits in it, else a new one
 * under os.tmpdir() (removed on stop). A stale socket of a killed process (we hold the lock) is removed.
 */
function socketDirectory(preferred: string): { dir: string; remove: () => void } {
  const fits = (dir: string) => Buffer.byteLength(path.join(dir, `.s.PGSQL.${SOCKET_PORT}`)) <= MAX_SOCKET_PATH_BYTES;
  if (fits(preferred)) {
    fs.mkdirSync(preferred, { mode: 0o700, recursive: true });
    const stat = fs.lstatSync(preferred);
    if (!stat.isDirectory() || (process.getuid && stat.uid !== process.getuid())) {
      throw new Error(`${preferred} must be a directory owned by the user running Rollcall (it holds the embedded database's socket)`);
    }
    fs.chmodSync(preferred, 0o700);
    fs.rmSync(path.join(preferred, `.s.PGSQL.${SOCKET_PORT}`), { force: true });
    return { dir: preferred, remove: () => undefined };
  }
  // mkdtemp creates the directory with mode 0700.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rollcall-'));
  if (!fits(dir)) throw new Error(`No directory for the embedded database's socket: ${dir} is too long (TMPDIR)`);
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export class EmbeddedDatabaseBusyError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `The embedded database in ${dataDir} is in use by a running Rollcall process (pid ${pid}). ` +
        'Stop that server first, or point DATABASE_URL at a PostgreSQL server to use the CLI while Rollcall runs.',
    );
    this.name = 'EmbeddedDatabaseBusyError';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * PGlite has no postmaster to arbitrate access: two processes opening one data directory would corrupt it. A lock
 * file with our pid guards it; a lock left by a killed process (kill -9) is recognised as stale and taken over.
 */
function acquireLock(dataDir: string): () => void {
  const lockPath = path.join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lockPath, String(process.pid), { flag: 'wx' });
      return () => {
        try {
          if (fs.readFileSync(lockPath, 'utf8') === String(process.pid)) fs.unlinkSync(lockPath);
        } catch {
          /* already gone */
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number(fs.readFileSync(lockPath, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
        throw new EmbeddedDatabaseBusyError(dataDir, pid);
      }
      fs.unlinkSync(lockPath);
    }
  }
  throw new Error(`Could not lock the embedded database in ${dataDir}`);
}

/**
 * PostgreSQL's default of 128 MB of shared buffers lives in this process's WebAssembly memory, which never shrinks.
 * The embedded database is for development and small sites, whose data fits in far less, and the operating system
 * still caches its files: with 32 MB the embedded bench (5,000 employees) peaked at 366 MB of RSS instead of 490, at
 * the same throughput (docs/benchmarks.md). Set on every start (not written to postgresql.conf), so existing data
 * directories get it too.
 */
const EMBEDDED_SHARED_BUFFERS = '32MB';

// PGlite ships as ESM with dynamic imports; load it through a real dynamic import even from CommonJS output.
const importEsm = new Function('specifier', 'return import(specifier)') as <T>(specifier: string) => Promise<T>;

export interface StartEmbeddedOptions {
  /** A directory for the database files; undefined keeps everything in memory (tests). */
  dataDir?: string;
  /** A dump made by `dumpDataDir()` to start from (tests clone a migrated template this way). */
  loadDataDir?: Blob;
}

export async function startEmbeddedDatabase(options: StartEmbeddedOptions = {}): Promise<EmbeddedDatabase & {
  dump(): Promise<Blob>;
}> {
  const { PGlite } = await importEsm<typeof import('@electric-sql/pglite')>('@electric-sql/pglite');
  const { citext } = await importEsm<typeof import('@electric-sql/pglite/contrib/citext')>(
    '@electric-sql/pglite/contrib/citext',
  );
  const { pg_trgm } = await importEsm<typeof import('@electric-sql/pglite/contrib/pg_trgm')>(
    '@electric-sql/pglite/contrib/pg_trgm',
  );
  const { unaccent } = await importEsm<typeof import('@electric-sql/pglite/contrib/unaccent')>(
    '@electric-sql/pglite/contrib/unaccent',
  );
  const { btree_gin } = await importEsm<typeof import('@electric-sql/pglite/contrib/btree_gin')>(
    '@electric-sql/pglite/contrib/btree_gin',
  );
  const { PGLiteSocketServer } = await importEsm<typeof import('@electric-sql/pglite-socket')>(
    '@electric-sql/pglite-socket',
  );

  let release: () => void = () => undefined;
  if (options.dataDir !== undefined) {
    fs.mkdirSync(options.dataDir, { recursive: true });
    release = acquireLock(options.dataDir);
  }
  try {
    const db = await PGlite.create(options.dataDir, {
      extensions: { citext, pg_trgm, unaccent, btree_gin },
      loadDataDir: options.loadDataDir,
      startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${EMBEDDED_SHARED_BUFFERS}`],
    });
    let url: string;
    let server: InstanceType<typeof PGLiteSocketServer>;
    if (options.dataDir !== undefined) {
      const socket = socketDirectory(path.join(options.dataDir, SOCKET_DIR));
      const previous = release;
      release = () => {
        socket.remove();
        previous();
      };
      const socketPath = path.join(socket.dir, `.s.PGSQL.${SOCKET_PORT}`);
      server = new PGLiteSocketServer({ db, path: socketPath, maxConnections: 1 });
      await server.start();
      fs.chmodSync(socketPath, 0o600);
      url = `postgres://postgres@${encodeURIComponent(socket.dir)}:${SOCKET_PORT}/postgres`;
    } else {
      server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 1 });
      await server.start();
      url = `postgres://postgres@127.0.0.1:${(server as unknown as { port: number }).port}/postgres`;
    }
    let stopped = false;
    return {
      url,
      dataDir: options.dataDir,
      dump: () => db.dumpDataDir('none'),
      async stop() {
        if (stopped) return;
        stopped = true;
        await server.stop();
        await db.close();
        release();
      },
    };
  } catch (error) {
    release();
    throw error;
  }
}
