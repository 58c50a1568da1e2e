/**
 * The control socket through which `homeward show` reads a running endpoint's
 * status: a unix socket `<runDir>/<name>.sock`.
 *
 * Protocol: the client writes one line, `show\n`; the server answers with one
 * JSON document and a newline, and closes. Nothing else is offered, so the
 * socket cannot change a running endpoint.
 *
 * runDir is `$HOMEWARD_RUN_DIR` if set, else `/run/homeward` for root, else
 * `$TMPDIR/homeward-<uid>`, created 0700 on demand.
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** sockaddr_un.sun_path is 108 bytes on Linux, including the terminating NUL. */
const MAX_SOCKET_PATH = 107;
const REQUEST_LIMIT = 256;
const TIMEOUT_MS = 5_000;

/** Where control sockets live (see the file comment). */
export function runDir(): string {
  const env = process.env.HOMEWARD_RUN_DIR;
  if (env) return env;
  const uid = process.getuid?.() ?? -1;
  return uid === 0 ? '/run/homeward' : join(tmpdir(), `homeward-${uid}`);
}

/** Creates runDir if needed, refusing one that is a symlink or belongs to another user. */
export function ensureRunDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (!st.isDirectory()) throw new Error(`run directory ${dir} is not a directory`);
  const uid = process.getuid?.();
  // A shared /tmp is writable by everyone: never put our socket in someone else's directory.
  if (uid !== undefined && uid !== 0 && st.uid !== uid) throw new Error(`run directory ${dir} belongs to uid ${st.uid}, not to us (${uid})`);
}

/** The control socket path for the endpoint `name`. */
export function socketPath(dir: string, name: string): string {
  return join(dir, `${name}.sock`);
}

/**
 * A listening control socket. The handler is called for each `show` request
 * and returns the object to send as JSON.
 */
export class ControlServer {
  private constructor(private readonly server: Server, readonly path: string) {}

  /**
   * Listens on `path`. A stale socket left by a crashed endpoint is removed;
   * a live one means an endpoint of the same name is already running, which
   * is an error (names must be unique, like interface names).
   */
  static async listen(path: string, onShow: () => unknown): Promise<ControlServer> {
    if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
      throw new Error(`control socket path is longer than ${MAX_SOCKET_PATH} bytes: ${path} (set HOMEWARD_RUN_DIR to a shorter directory)`);
    }
    if (existsSync(path)) {
      if (await isLive(path)) throw new Error(`an endpoint with this name is already running (control socket ${path})`);
      removeStale(path);
    }
    const server = createServer((sock) => serve(sock, onShow));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    // A failing client must never bring the endpoint down.
    server.on('error', () => {});
    return new ControlServer(server, path);
  }

  /** Stops listening and removes the socket file. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      // net.Server unlinks its unix socket on close; make sure even if it did not.
      try { unlinkSync(this.path); } catch { /* already gone */ }
    });
  }
}

function serve(sock: Socket, onShow: () => unknown): void {
  let request = '';
  sock.setEncoding('utf8');
  sock.setTimeout(TIMEOUT_MS, () => sock.destroy());
  sock.on('error', () => sock.destroy());
  sock.on('data', (chunk: string) => {
    request += chunk;
    const nl = request.indexOf('\n');
    if (nl < 0) {
      if (request.length > REQUEST_LIMIT) sock.destroy();
      return;
    }
    const command = request.slice(0, nl).trim();
    sock.removeAllListeners('data');
    let reply: unknown;
    try {
      reply = command === 'show' ? onShow() : { error: `unknown command "${command.slice(0, 32)}"` };
    } catch (e) {
      reply = { error: (e as Error).message };
    }
    sock.end(JSON.stringify(reply) + '\n');
  });
}

/** Sends `show` to the socket at `path` and returns the parsed reply. Rejects if nothing answers. */
export function queryStatus(path: string, timeoutMs = TIMEOUT_MS): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(path);
    let data = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(Object.assign(new Error(`no answer from ${path} within ${timeoutMs} ms`), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write('show\n'));
    sock.on('data', (chunk: string) => { data += chunk; });
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    sock.on('end', () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(data));
      } catch {
        reject(new Error(`malformed answer from ${path}: ${JSON.stringify(data.slice(0, 80))}`));
      }
    });
  });
}

/** True if something accepts connections on the unix socket at `path`. */
function isLive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection(path);
    sock.on('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.on('error', () => resolve(false));
  });
}

/** Removes a socket file nobody listens on; leaves anything that is not a socket alone. */
function removeStale(path: string): void {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch { /* raced with another cleaner: fine */ }
}

/** One endpoint found in runDir. */
export interface LiveEndpoint {
  name: string;
  status: unknown;
}

/**
 * Every live endpoint in `dir`, sorted by name. Sockets nobody listens on
 * (left by a killed endpoint) are removed; one that does not answer in time
 * is reported with an `error` status rather than hiding the others.
 */
export async function listLive(dir: string): Promise<LiveEndpoint[]> {
  let names: string[];
  try {
    names = readdirSync(dir).filter((f) => f.endsWith('.sock')).map((f) => f.slice(0, -5)).sort();
  } catch {
    return [];
  }
  const found = await Promise.all(names.map(async (name): Promise<LiveEndpoint | null> => {
    const path = socketPath(dir, name);
    try {
      return { name, status: await queryStatus(path) };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ECONNREFUSED' || code === 'ENOENT') {
        removeStale(path);
        return null;
      }
      return { name, status: { error: (e as Error).message } };
    }
  }));
  return found.filter((x): x is LiveEndpoint => x !== null);
}
