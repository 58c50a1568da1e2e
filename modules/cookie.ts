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

/** Where a CookieGenerator keeps its bytes: keys, cookie and last mac1 in one buffer. */
const CG_MAC1_KEY = 0;
const CG_ENCRYPTION_KEY = 32;
const CG_COOKIE = 64;
const CG_LAST_MAC1 = 80;
export const COOKIE_GENERATOR_BYTES = 96;
/** The room consumeReply needs in its scratch buffer: the encrypted cookie and its tag. */
export const COOKIE_BOX_SIZE = MAC + 16;

/**
 * Our side as sender of handshake messages to one peer: adds macs and keeps
 * its cookie. Every peer has one, so its bytes live in one buffer the peer
 * may supply (views cost an XS object each, separate arrays nearly twice as
 * much), and the scratch for opening a cookie reply is the caller's.
 */
export class CookieGenerator {
  private readonly bytes: Uint8Array;
  /** Views for the AEAD, which takes whole arrays as key and associated data. */
  private readonly encryptionKey: Uint8Array;
  private readonly lastMac1: Uint8Array;
  private cookieSetAt = -Infinity;
  private hasLastMac1 = false;

  constructor(remotePublic: Uint8Array, private readonly aead: ChaChaPoly, bytes: Uint8Array = new Uint8Array(COOKIE_GENERATOR_BYTES)) {
    this.bytes = bytes;
    this.encryptionKey = new Uint8Array(bytes.buffer, bytes.byteOffset + CG_ENCRYPTION_KEY, 32);
    this.lastMac1 = new Uint8Array(bytes.buffer, bytes.byteOffset + CG_LAST_MAC1, MAC);
    bytes.set(hash(LABEL_MAC1, remotePublic), CG_MAC1_KEY);
    bytes.set(hash(LABEL_COOKIE, remotePublic), CG_ENCRYPTION_KEY);
  }

  /**
   * Fills mac1 and mac2 of msg[0, len); mac2 is zero unless we hold a fresh
   * cookie. The BLAKE2s context is made per call rather than kept: this runs
   * once per handshake message sent, and a context per peer would cost every
   * peer its memory.
   */
  addMacs(now: number, msg: Uint8Array, len: number): void {
    const b = new Blake2s();
    const mac1 = this.lastMac1;
    b.init(MAC, this.bytes, CG_MAC1_KEY, 32).update(msg, 0, len - 2 * MAC).digest(mac1);
    msg.set(mac1, len - 2 * MAC);
    this.hasLastMac1 = true;
    if (now - this.cookieSetAt < COOKIE_REFRESH_TIME) {
      b.init(MAC, this.bytes, CG_COOKIE, MAC).update(msg, 0, len - MAC).digest(msg, len - MAC);
    } else {
      msg.fill(0, len - MAC, len);
    }
  }

  /**
   * Takes the cookie from a reply to our last message; false if it does not
   * decrypt. `box` is scratch of at least COOKIE_BOX_SIZE bytes.
   */
  consumeReply(now: number, msg: Uint8Array, box: Uint8Array): boolean {
    if (!this.hasLastMac1) return false;
    for (let i = 0; i < COOKIE_BOX_SIZE; i++) box[i] = msg[COOKIE_ENCRYPTED + i];
    if (!this.aead.xopen(this.encryptionKey, msg.subarray(COOKIE_NONCE, COOKIE_NONCE + 24), box, 0, COOKIE_BOX_SIZE, this.lastMac1)) {
      return false;
    }
    for (let i = 0; i < MAC; i++) this.bytes[CG_COOKIE + i] = box[i];
    this.cookieSetAt = now;
    return true;
  }

  /** Forgets the cookie (a restart or key erase). */
  clear(): void {
    this.bytes.fill(0, CG_COOKIE, CG_COOKIE + MAC);
    this.cookieSetAt = -Infinity;
    this.hasLastMac1 = false;
  }
}
