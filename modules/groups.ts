/**
 * Failover among alternative gateways (DESIGN.md §3): peers with the same
 * group name carry the same routes, preferred in config order. Routes use
 * the group's active member.
 *
 * - Failover: the active member has no session and its handshakes have gone
 *   unanswered for `failoverAfterMs`: the next member (in config order,
 *   wrapping) becomes active, and what was waiting for the old one moves over.
 * - Failback: a member ahead of the active one is asked now and then (a
 *   handshake every ping interval while it is down). Once it has answered and
 *   stayed up for `failbackAfterMs`, it becomes active again. The hold time
 *   is what keeps a gateway that comes and goes from flapping the routes.
 */
import type { LifecycleLimits, PeerConfig } from './config';
import { PING_DEFAULTS } from './config';
import type { Peer } from './peer';

interface Group {
  name: string;
  /** Peer indices in config order. */
  members: number[];
  /** Position in `members` of the active one. */
  active: number;
  /** Next time anything in this group needs a look. */
  checkAt: number;
  /** Per member: next handshake that asks a preferred, down member whether it is back. */
  askAt: number[];
}

export interface GroupActions {
  sendable(p: Peer, now: number): boolean;
  /** When `p`'s current session stops being sendable by age alone (its keys pass REJECT_AFTER_TIME). */
  sendableUntil(p: Peer): number;
  /** Moves staged and unconfirmed packets from one member to another and starts a handshake with `to`. */
  switchTo(from: Peer, to: Peer, now: number, event: 'failover' | 'failback'): void;
  /** A handshake to a preferred member that is down: is it back? */
  ask(p: Peer, now: number): void;
}

export class Groups {
  /** Per peer: the peer its routes use now (itself unless grouped). */
  readonly active: Int32Array;
  /** Per peer: the first member of its group (itself unless grouped); inbound packets are checked against this. */
  readonly leader: Int32Array;
  private readonly groups: Group[] = [];
  private readonly groupOf: Int32Array;

  constructor(configs: PeerConfig[], private readonly limits: LifecycleLimits) {
    const n = configs.length;
    this.active = new Int32Array(n);
    this.leader = new Int32Array(n);
    this.groupOf = new Int32Array(n);
    const byName = new Map<string, Group>();
    for (let i = 0; i < n; i++) {
      this.active[i] = i;
      this.leader[i] = i;
      this.groupOf[i] = -1;
      const name = configs[i].group;
      if (!name) continue;
      let g = byName.get(name);
      if (g === undefined) {
        g = { name, members: [], active: 0, checkAt: Infinity, askAt: [] };
        byName.set(name, g);
        this.groups.push(g);
      }
      g.members.push(i);
      g.askAt.push(Infinity);
      this.groupOf[i] = this.groups.indexOf(g);
      this.leader[i] = g.members[0];
      this.active[i] = g.members[0];
    }
  }

  /** Group name → index of its active peer. */
  entries(): { name: string; peer: number }[] {
    return this.groups.map((g) => ({ name: g.name, peer: g.members[g.active] }));
  }

  /** The name of the group `peer` is in, or null. */
  nameOf(peer: number): string | null {
    const g = this.groupOf[peer];
    return g < 0 ? null : this.groups[g].name;
  }

  isActive(peer: number): boolean {
    return this.active[peer] === peer;
  }

  nextDeadline(): number {
    let t = Infinity;
    for (let i = 0; i < this.groups.length; i++) if (this.groups[i].checkAt < t) t = this.groups[i].checkAt;
    return t;
  }

  /** Something changed for `p` (session up or down, a handshake series began): look at its group now. */
  poke(p: Peer, now: number): void {
    const g = this.groupOf[p.index];
    if (g >= 0 && this.groups[g].checkAt > now) this.groups[g].checkAt = now;
  }

  timer(peers: Peer[], now: number, actions: GroupActions): void {
    for (let i = 0; i < this.groups.length; i++) {
      const g = this.groups[i];
      if (g.checkAt <= now) this.check(g, peers, now, actions);
    }
  }

  private check(g: Group, peers: Peer[], now: number, actions: GroupActions): void {
    g.checkAt = Infinity;
    const active = peers[g.members[g.active]];
    // Failback first: a preferred member that has stayed up long enough wins.
    for (let k = 0; k < g.active; k++) {
      const m = peers[g.members[k]];
      if (actions.sendable(m, now)) {
        g.askAt[k] = Infinity;
        const due = m.upSince + this.limits.failbackAfterMs;
        if (due <= now) return this.move(g, k, peers, now, actions, 'failback');
        this.later(g, due);
        continue;
      }
      if (g.askAt[k] === Infinity) g.askAt[k] = now + askInterval(m);
      if (g.askAt[k] <= now) {
        g.askAt[k] = now + askInterval(m);
        if (m.retransmitHandshakeAt === Infinity) actions.ask(m, now);
      }
      this.later(g, g.askAt[k]);
    }
    if (g.members.length < 2) return;
    if (actions.sendable(active, now)) {
      // Its handshakes are failing but the old keys still work: with no ping
      // to declare it dead, their expiry is the next thing that can change.
      if (active.failingSince !== Infinity) this.later(g, actions.sendableUntil(active));
      return;
    }
    if (active.failingSince === Infinity) return; // not even trying yet: the next initiation pokes us
    const due = active.failingSince + this.limits.failoverAfterMs;
    if (due > now) return this.later(g, due);
    this.move(g, (g.active + 1) % g.members.length, peers, now, actions, 'failover');
  }

  private move(g: Group, to: number, peers: Peer[], now: number, actions: GroupActions, event: 'failover' | 'failback'): void {
    const from = peers[g.members[g.active]];
    g.active = to;
    const target = g.members[to];
    for (let j = 0; j < g.members.length; j++) this.active[g.members[j]] = target;
    for (let k = 0; k < g.askAt.length; k++) g.askAt[k] = Infinity;
    actions.switchTo(from, peers[target], now, event);
    g.checkAt = now; // look again at once: the new member may need asking, or be down too
  }

  private later(g: Group, t: number): void {
    if (t < g.checkAt) g.checkAt = t;
  }
}

/** How often a preferred gateway that is down gets a handshake: its ping interval (10 s by default). */
function askInterval(p: Peer): number {
  return p.pingInterval > 0 ? p.pingInterval : PING_DEFAULTS.interval * 1000;
}
