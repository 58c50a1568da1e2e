/** What `homeward show` and the health API report (one snapshot, allocated on demand). */

export interface PeerStatus {
  publicKey: string;
  endpoint: string | null;
  allowedIps: string[];
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
}

export interface DeviceStatus {
  publicKey: string;
  address: string | null;
  peers: PeerStatus[];
  /** Dropped datagrams and packets, by reason. */
  drops: Record<string, number>;
  naksSent: number;
}
