/**
 * The log of `homeward up`: one line per device event and per notable host
 * action, on stdout, shaped for both people and grep:
 *
 *     2026-11-22T12:00:00.000Z home handshake-complete peer=AbCdEfGh… endpoint=127.0.0.1:51820
 *
 * i.e. ISO time, the endpoint's name, what happened, then key=value fields.
 * Values with spaces are JSON-quoted.
 *
 * Every device event gives exactly one line named after the event (peer-up,
 * peer-down, probe-missed, failover, failback, closing, closed, evicted,
 * table-full, ...) with the core's detail; peers in a failover group also
 * get `group=` (endpoint.ts onEvent):
 *
 *     2026-11-22T12:00:41.000Z gw failover peer=Q2hhbmdl… endpoint=203.0.113.9:51820 group=home detail="from <public key of the gateway it left>"
 */

/** Where lines go; tests capture them. */
export type LineSink = (line: string) => void;

/** The line logger of one endpoint; `name` is the second field of every line. */
export class Log {
  /** Last time each rate-limited topic was logged, and how many were suppressed since. */
  private readonly limited = new Map<string, { at: number; suppressed: number }>();

  constructor(
    readonly name: string,
    private readonly sink: LineSink = (l) => process.stdout.write(l + '\n'),
    private readonly clock: () => number = Date.now,
  ) {}

  /** Logs `what` with its fields (undefined values are left out). */
  line(what: string, fields: Record<string, string | number | boolean | undefined | null> = {}): void {
    let s = `${new Date(this.clock()).toISOString()} ${this.name} ${what}`;
    for (const [k, v] of Object.entries(fields)) {
      if (v === undefined || v === null) continue;
      const text = String(v);
      s += ` ${k}=${/^[^\s"]*$/.test(text) && text !== '' ? text : JSON.stringify(text)}`;
    }
    this.sink(s);
  }

  /**
   * Like line(), but at most once per `intervalMs` per `topic`: for things
   * that can repeat per packet (send errors, unroutable datagrams), so an
   * attacker or a broken service cannot flood the log. The next line that
   * gets through says how many were suppressed.
   */
  limit(topic: string, what: string, fields: Record<string, string | number | boolean | undefined | null> = {}, intervalMs = 5_000): void {
    const now = this.clock();
    const st = this.limited.get(topic);
    if (st && now - st.at < intervalMs) {
      st.suppressed++;
      return;
    }
    const suppressed = st?.suppressed ?? 0;
    this.limited.set(topic, { at: now, suppressed: 0 });
    this.line(what, suppressed > 0 ? { ...fields, suppressed } : fields);
  }
}

/** A public key shortened for log lines: enough to tell peers apart. */
export function shortKey(key: string): string {
  return key.length > 8 ? key.slice(0, 8) + '…' : key;
}
