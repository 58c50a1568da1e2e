/**
 * mac1/mac2 and the cookie reply (whitepaper §5.4.4, §5.4.7).
 *
 * mac1 proves the sender knows our public key, so unauthenticated garbage
 * costs no DH. Under load, mac2 proves the sender can receive at its source
 * address: the cookie is a MAC of that address under a secret that rotates
 * every two minutes, sent back encrypted with XChaCha20-Poly1305.
 */
import type { ChaChaPoly } from './crypto/aead';
import { Blake2s } from './crypto/blake2s';
import { hash, mac } from './crypto/hash';
import { COOKIE_REFRESH_TIME } from './constants';
import { ascii } from './noise';
import { COOKIE_ENCRYPTED, COOKIE_NONCE, COOKIE_RECEIVER, COOKIE_REPLY_SIZE, MSG_COOKIE_REPLY, writeHeader } from './messages';

const LABEL_MAC1 = ascii('mac1----');
const LABEL_COOKIE = ascii('cookie--');
const MAC = 16;

/** The mac2 input: address and port as bytes. Opaque to the initiator, so any stable encoding interoperates. */
function sourceBytes(address: string, port: number): Uint8Array {
  const out = new Uint8Array(address.length + 2);
  for (let i = 0; i < address.length; i++) out[i] = address.charCodeAt(i) & 0xff;
  out[address.length] = port & 0xff;
  out[address.length + 1] = (port >>> 8) & 0xff;
  return out;
}

/** Constant-time comparison of two 16-byte MACs. */
function macEqual(a: Uint8Array, b: Uint8Array, bOff: number): boolean {
  let d = 0;
  for (let i = 0; i < MAC; i++) d |= a[i] ^ b[bOff + i];
  return d === 0;
}

/** Our side as responder: checks macs on incoming handshake messages and makes cookie replies. */
export class CookieChecker {
  private readonly mac1Key: Uint8Array;
  private readonly encryptionKey: Uint8Array;
  private readonly secret = new Uint8Array(32);
  private secretSetAt = -Infinity;
  private readonly nonce = new Uint8Array(24);
  /** One per device: every handshake message received is checked here, a flood included, so this allocates nothing. */
  private readonly blake = new Blake2s();
  private readonly expected = new Uint8Array(MAC);

  constructor(localPublic: Uint8Array, private readonly aead: ChaChaPoly) {
    this.mac1Key = hash(LABEL_MAC1, localPublic);
    this.encryptionKey = hash(LABEL_COOKIE, localPublic);
  }

  /** mac1 = MAC(HASH(LABEL_MAC1 || our public key), msg up to mac1). */
  checkMac1(msg: Uint8Array, len: number): boolean {
    const expected = this.expected;
    this.blake.init(MAC, this.mac1Key).update(msg, 0, len - 2 * MAC).digest(expected);
    return macEqual(expected, msg, len - 2 * MAC);
  }

  /** mac2 = MAC(cookie for this source, msg up to mac2); false once the secret is stale. */
  checkMac2(now: number, msg: Uint8Array, len: number, address: string, port: number): boolean {
    if (now - this.secretSetAt > COOKIE_REFRESH_TIME) return false;
    const b = this.blake;
    const expected = this.expected;
    b.init(MAC, this.secret).update(sourceBytes(address, port)).digest(expected);
    b.init(MAC, expected).update(msg, 0, len - MAC).digest(expected);
    return macEqual(expected, msg, len - MAC);
  }

  /**
   * Writes a 64-byte cookie reply to `msg` (an initiation or response whose
   * mac1 was valid) into out. The reply is smaller than what triggered it.
   */
  createReply(
    now: number,
    msg: Uint8Array,
    len: number,
    address: string,
    port: number,
    random: (out: Uint8Array) => void,
    out: Uint8Array,
  ): number {
    if (now - this.secretSetAt > COOKIE_REFRESH_TIME) {
      random(this.secret);
      this.secretSetAt = now;
    }
    const cookie = mac(this.secret, sourceBytes(address, port));
    writeHeader(out, MSG_COOKIE_REPLY);
    // The receiver index is the sender index of the message we answer (offset 4 in both).
    out.set(msg.subarray(4, 8), COOKIE_RECEIVER);
    random(this.nonce);
    out.set(this.nonce, COOKIE_NONCE);
    out.set(cookie, COOKIE_ENCRYPTED);
    this.aead.xseal(this.encryptionKey, this.nonce, out, COOKIE_ENCRYPTED, MAC, msg.slice(len - 2 * MAC, len - MAC));
    return COOKIE_REPLY_SIZE;
  }
}

/** A peer's cookie state in its bytes, from the offset the generator is given: the cookie, then our last mac1 to it. */
const CG_COOKIE = 0;
const CG_LAST_MAC1 = MAC;
export const COOKIE_STATE_BYTES = 2 * MAC;
/** The room consumeReply needs in its scratch buffer: the encrypted cookie and its tag. */
export const COOKIE_BOX_SIZE = MAC + 16;

/**
 * What the generator keeps per peer: bytes (COOKIE_STATE_BYTES of them at
 * the generator's offset) and two fields; the peer's public key is in the
 * same bytes, at the generator's key offset.
 */
export interface CookieHolder {
  /** The holder's state is at bytes[bytesAt + the generator's offset, +COOKIE_STATE_BYTES). */
  readonly bytes: Uint8Array;
  readonly bytesAt: number;
  cookieSetAt: number;
  hasLastMac1: boolean;
}

/**
 * Our side as sender of handshake messages: adds macs and keeps each peer's
 * cookie. One per device; the per-peer state is the holder's (32 bytes and
 * two numbers), and the two keys derived from the peer's public key are
 * derived again for each use (one BLAKE2s block each, once per handshake
 * message) rather than kept: 64 bytes per peer saved on a gateway for a
 * cost far below the handshake's.
 */
export class CookieGenerator {
  private readonly key = new Uint8Array(32);
  /** The AEAD takes whole arrays as associated data: the last mac1 is copied here. */
  private readonly lastMac1 = new Uint8Array(MAC);
  private readonly blake = new Blake2s();

  /**
   * @param at where the state starts in every holder's bytes (from bytesAt)
   * @param publicKeyAt where the holder's public key is in them
   */
  constructor(private readonly aead: ChaChaPoly, private readonly at: number, private readonly publicKeyAt: number) {}

  /**
   * Fills mac1 and mac2 of msg[0, len) for the holder; mac2 is zero unless
   * we hold a fresh cookie from it.
   */
  addMacs(h: CookieHolder, now: number, msg: Uint8Array, len: number): void {
    const b = this.blake;
    const key = this.key;
    b.init(32).update(LABEL_MAC1, 0, LABEL_MAC1.length).update(h.bytes, h.bytesAt + this.publicKeyAt, 32).digest(key);
    b.init(MAC, key, 0, 32).update(msg, 0, len - 2 * MAC).digest(msg, len - 2 * MAC);
    key.fill(0);
    const at = h.bytesAt + this.at;
    h.bytes.set(msg.subarray(len - 2 * MAC, len - MAC), at + CG_LAST_MAC1);
    h.hasLastMac1 = true;
    if (now - h.cookieSetAt < COOKIE_REFRESH_TIME) {
      b.init(MAC, h.bytes, at + CG_COOKIE, MAC).update(msg, 0, len - MAC).digest(msg, len - MAC);
    } else {
      msg.fill(0, len - MAC, len);
    }
  }

  /**
   * Takes the cookie from a reply to our last message; false if it does not
   * decrypt. `box` is scratch of at least COOKIE_BOX_SIZE bytes.
   */
  consumeReply(h: CookieHolder, now: number, msg: Uint8Array, box: Uint8Array): boolean {
    if (!h.hasLastMac1) return false;
    for (let i = 0; i < COOKIE_BOX_SIZE; i++) box[i] = msg[COOKIE_ENCRYPTED + i];
    const at = h.bytesAt + this.at;
    const lastMac1 = this.lastMac1;
    for (let i = 0; i < MAC; i++) lastMac1[i] = h.bytes[at + CG_LAST_MAC1 + i];
    const key = this.key;
    this.blake.init(32).update(LABEL_COOKIE, 0, LABEL_COOKIE.length).update(h.bytes, h.bytesAt + this.publicKeyAt, 32).digest(key);
    const opened = this.aead.xopen(key, msg.subarray(COOKIE_NONCE, COOKIE_NONCE + 24), box, 0, COOKIE_BOX_SIZE, lastMac1);
    key.fill(0);
    if (!opened) return false;
    for (let i = 0; i < MAC; i++) h.bytes[at + CG_COOKIE + i] = box[i];
    h.cookieSetAt = now;
    return true;
  }
}
