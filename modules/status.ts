/** What `homeward show` and the health API report (one snapshot, allocated on demand). */

export interface PeerStatus {
  publicKey: string;
  endpoint: string | null;
  allowedIps: string[];
  /** established, handshake, confirming, wait, closing, closed or idle. */
  state: string;
  /** Milliseconds since the last completed handshake, or null if none. */
  lastHandshakeAgoMs: number | null;
  rxBytes: number;
  txBytes: number;
  rxPackets: number;
  txPackets: number;
  persistentKeepalive: number;
  /** The peer sent a HELLO: it speaks homeward's extensions. */
  homeward: boolean;
  naksReceived: number;
  prodsSent: number;
  prodsReceived: number;
  /** Packets sent again after a NAK, and packets the resend ring no longer held. */
  resent: number;
  lost: number;
  /** Failover group, or null; `active` is true for the gateway its routes use now (and for ungrouped peers). */
  group: string | null;
  active: boolean;
  /** In-tunnel ping: probes sent, and probes that went unanswered (totals). */
  probesSent: number;
  probesMissed: number;
  /** NAKs we sent to this peer's endpoint. */
  naksSent: number;
  /** Drops that can be pinned on this peer, by reason. */
  drops: Record<string, number>;
}

export interface DeviceStatus {
  publicKey: string;
  address: string | null;
  peers: PeerStatus[];
  /** Dropped datagrams and packets, by reason. */
  drops: Record<string, number>;
  naksSent: number;
  /** Failover group name → public key of its active gateway. */
  groups: Record<string, string>;
}
