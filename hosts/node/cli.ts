/**
 * The `homeward` command line (DESIGN.md §5):
 *
 *     homeward genkey               a new private key, as `wg genkey` prints it
 *     homeward pubkey               private key on stdin -> public key, as `wg pubkey`
 *     homeward up <file.conf>       run one endpoint in the foreground, logging events
 *     homeward show [name] [--json] status of running endpoints, like `wg show`
 *     homeward help                 this text
 *
 * Errors go to stderr with exit status 1 (as wg does for usage and input errors).
 * The core is loaded only by `up`, so the key commands stay quick.
 */
import { basename } from 'node:path';
import { ConfigError, loadConfig } from './config';
import { listLive, queryStatus, runDir, socketPath } from './control';
import { derivePublicKey, generatePrivateKey } from './keys';
import { Log } from './log';
import { formatShow } from './show';

const USAGE = `Usage: homeward <command> [arguments]

Commands:
  genkey                  print a new private key (base64), as wg genkey does
  pubkey                  read a private key on stdin, print its public key, as wg pubkey does
  up <file.conf>          run the endpoint described by a wg-quick style config in the
                          foreground, one log line per event; SIGINT/SIGTERM close
                          its sessions (waiting up to 2 s for peers to confirm) and stop it
  show [name] [--json]    show the status of running endpoints (all, or the one named
                          after its config file without .conf), like wg show; --json
                          prints the status object (an array of them without a name)
  help                    show this help

Control sockets live in $HOMEWARD_RUN_DIR (default /run/homeward for root,
$TMPDIR/homeward-<uid> otherwise).
`;

class UsageError extends Error {}

/** Runs the CLI; resolves to the exit status (`up` resolves only when it stops). */
export async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  try {
    switch (command) {
      case 'genkey': return genkey(args);
      case 'pubkey': return await pubkey(args);
      case 'up': return await up(args);
      case 'show': return await show(args);
      case 'help': case '--help': case '-h':
        process.stdout.write(USAGE);
        return 0;
      case undefined:
        throw new UsageError('no command given');
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`homeward: ${e.message}\n\n${USAGE}`);
    } else if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
    } else {
      process.stderr.write(`homeward${command ? ' ' + command : ''}: ${(e as Error).message}\n`);
    }
    return 1;
  }
}

function noArgs(command: string, args: string[]): void {
  if (args.length > 0) throw new UsageError(`${command} takes no arguments (got "${args.join(' ')}")`);
}

function genkey(args: string[]): number {
  noArgs('genkey', args);
  process.stdout.write(generatePrivateKey() + '\n');
  return 0;
}

async function pubkey(args: string[]): Promise<number> {
  noArgs('pubkey', args);
  const input = await readStdin(4096);
  const pub = input === null ? null : derivePublicKey(input);
  if (pub === null) {
    // wg pubkey's own words, so scripts that match on them keep working.
    process.stderr.write('homeward pubkey: Key is not the correct length or format\n');
    return 1;
  }
  process.stdout.write(pub + '\n');
  return 0;
}

/** All of stdin as text, or null if it is longer than `limit` bytes (no key is). */
function readStdin(limit: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    process.stdin.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= limit) chunks.push(c);
    });
    process.stdin.on('end', () => resolve(size > limit ? null : Buffer.concat(chunks).toString('utf8')));
    process.stdin.on('error', reject);
  });
}

async function up(args: string[]): Promise<number> {
  if (args.length !== 1 || args[0].startsWith('-')) throw new UsageError('up takes exactly one argument, the config file (homeward up home.conf)');
  // Parse and check everything before opening anything (nothing half-applied).
  const cfg = loadConfig(args[0]);
  const log = new Log(cfg.name);
  for (const w of cfg.warnings) log.line(`warning ${w}`);
  // Signals are caught from here on: one arriving while sockets are being opened
  // must still end in a clean shutdown, not in node's default exit.
  let stopping = false;
  let wake: (() => void) | null = null;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(1); // a second signal while stopping: the user means it
    stopping = true;
    log.line('signal', { signal });
    wake?.();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const { NodeEndpoint } = await import('./endpoint');
  const ep = await NodeEndpoint.start(cfg, { log });
  if (!stopping) await new Promise<void>((resolve) => { wake = resolve; });
  // CLOSE every session and wait (at most SHUTDOWN_GRACE_MS) for the acknowledgements, so peers free their state now.
  await ep.shutdown();
  return 0;
}

async function show(args: string[]): Promise<number> {
  let json = false;
  const names: string[] = [];
  for (const a of args) {
    if (a === '--json') json = true;
    else if (a.startsWith('-')) throw new UsageError(`show: unknown option "${a}"`);
    else names.push(a);
  }
  if (names.length > 1) throw new UsageError('show takes at most one endpoint name');
  const dir = runDir();
  if (names.length === 1) {
    // Accept the config file too: `homeward show home.conf` means `home`.
    const name = basename(names[0]).replace(/\.conf$/, '');
    let status: unknown;
    try {
      status = await queryStatus(socketPath(dir, name));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ECONNREFUSED') throw new Error(`no running endpoint named "${name}" (no live control socket in ${dir})`);
      throw e;
    }
    process.stdout.write(json ? JSON.stringify(status, null, 2) + '\n' : formatShow(name, status));
    return 0;
  }
  const live = await listLive(dir);
  if (json) {
    process.stdout.write(JSON.stringify(live.map((l) => l.status), null, 2) + '\n');
  } else {
    if (live.length === 0) process.stderr.write(`homeward show: no running endpoints (control sockets in ${dir})\n`);
    process.stdout.write(live.map((l) => formatShow(l.name, l.status)).join('\n'));
  }
  return 0;
}

// Writing to a closed pipe (`homeward show | head`) is not an error worth a stack trace.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
});

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  // `up` leaves nothing open after stop(); the key commands never open anything. Exit now regardless,
  // so a stray handle (a DNS lookup still in flight) cannot keep a stopped endpoint alive.
  if (process.argv[2] === 'up') process.exit(code);
});
