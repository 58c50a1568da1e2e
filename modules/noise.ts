/**
 * The Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s handshake as WireGuard uses it
 * (whitepaper §5.4.2–§5.4.5). Message bodies are written in place into the
 * caller's buffer; this is the handshake path, so allocation is acceptable.
 *
 * The protocol name, prologue and payloads are parameters so the exact same
 * code can be checked against the cacophony Noise vectors; WireGuard fixes
 * them to CONSTRUCTION, IDENTIFIER, a TAI64N timestamp and an empty payload.
 */
import type { ChaChaPoly } from './crypto/aead';
import { hash, kdf1, kdf2, kdf3 } from './crypto/hash';
import { isZero, publicKey, x25519 } from './crypto/x25519';

export const CONSTRUCTION = 'Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s';
export const IDENTIFIER = 'WireGuard v1 zx2c4 Jason@zx2c4.com';

export const HS_ZEROED = 0;
export const HS_INITIATION_CREATED = 1;
export const HS_INITIATION_CONSUMED = 2;
export const HS_RESPONSE_CREATED = 3;
export const HS_RESPONSE_CONSUMED = 4;

const KEY = 32;
const TAG = 16;
/** Size of the Noise body of message 1 for a payload of n bytes: e, s (sealed), payload (sealed). */
export const initiationBodySize = (n: number): number => KEY + KEY + TAG + n + TAG;
/** Size of the Noise body of message 2 for a payload of n bytes: e, payload (sealed). */
export const responseBodySize = (n: number): number => KEY + n + TAG;

/**
 * A copy of buf[start, end). Not `slice`: on a Node Buffer, slice is a view,
 * and the handshake must not decrypt into the caller's datagram.
 */
function copyOf(buf: Uint8Array, start: number, end: number): Uint8Array {
  const out = new Uint8Array(end - start);
  for (let i = 0; i < out.length; i++) out[i] = buf[start + i];
  return out;
}

/** ASCII to bytes without TextEncoder (absent on some XS hosts). */
export function ascii(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

/** The per-peer handshake state (wireguard-go's Handshake). */
export class Handshake {
  state = HS_ZEROED;
  hash: Uint8Array = new Uint8Array(KEY);
  chainKey: Uint8Array = new Uint8Array(KEY);
  /** Our ephemeral private key while an exchange is in flight. */
  localEphemeral = new Uint8Array(KEY);
  remoteEphemeral = new Uint8Array(KEY);
  localIndex = 0;
  remoteIndex = 0;
  /** Greatest TAI64N accepted from this peer: initiations must move it forward (replay protection). */
  readonly latestTimestamp = new Uint8Array(12);
  lastInitiationConsumption = -Infinity;
  lastSentHandshake = -Infinity;
  /** DH(our static, their static), computed once: the `ss` of every exchange. */
  readonly precomputedStaticStatic: Uint8Array;

  constructor(
    readonly remoteStatic: Uint8Array,
    readonly presharedKey: Uint8Array,
    localPrivate: Uint8Array,
  ) {
    this.precomputedStaticStatic = x25519(localPrivate, remoteStatic);
  }

  /** Erases everything of the exchange in flight (whitepaper §6.1: no key material lingers). */
  clear(): void {
    this.state = HS_ZEROED;
    this.hash.fill(0);
    this.chainKey.fill(0);
    this.localEphemeral.fill(0);
    this.remoteEphemeral.fill(0);
    this.localIndex = 0;
    this.remoteIndex = 0;
  }
}

/** What a decrypted first message tells the responder before it commits anything. */
export interface ConsumedInitiation {
  handshake: Handshake;
  hash: Uint8Array;
  chainKey: Uint8Array;
  remoteEphemeral: Uint8Array;
  /** The decrypted payload (WireGuard: the 12-byte TAI64N timestamp). */
  payload: Uint8Array;
}

/** The local static identity and the constants derived from the protocol name. */
export class Noise {
  readonly publicKey: Uint8Array;
  private readonly initialChainKey: Uint8Array;
  private readonly initialHash: Uint8Array;
  private readonly zeroNonce = new Uint8Array(12);

  constructor(
    readonly privateKey: Uint8Array,
    private readonly aead: ChaChaPoly,
    protocolName: string = CONSTRUCTION,
    prologue: Uint8Array = ascii(IDENTIFIER),
  ) {
    this.publicKey = publicKey(privateKey);
    // Noise §5.2 InitializeSymmetric: names longer than HASHLEN are hashed; WireGuard's is 37 bytes.
    const name = ascii(protocolName);
    if (name.length <= KEY) {
      this.initialChainKey = new Uint8Array(KEY);
      this.initialChainKey.set(name);
    } else {
      this.initialChainKey = hash(name);
    }
    this.initialHash = hash(this.initialChainKey, prologue);
  }

  /**
   * Message 1 (initiator): writes e, sealed s and the sealed payload at out[off..).
   * Returns false if a DH result is zero (a low-order peer key).
   */
  createInitiation(hs: Handshake, ephemeralPrivate: Uint8Array, payload: Uint8Array, out: Uint8Array, off: number): boolean {
    const aead = this.aead;
    let c = this.initialChainKey;
    let h = hash(this.initialHash, hs.remoteStatic); // IK pre-message: <- s
    const ePub = publicKey(ephemeralPrivate);
    // e: in the psk modes e is also mixed into the key
    out.set(ePub, off);
    c = kdf1(c, ePub)[0];
    h = hash(h, ePub);
    // es
    const es = x25519(ephemeralPrivate, hs.remoteStatic);
    if (isZero(es)) return false;
    let [ck, k] = kdf2(c, es);
    // s
    const sOff = off + KEY;
    out.set(this.publicKey, sOff);
    aead.seal(k, this.zeroNonce, out, sOff, KEY, h);
    h = hash(h, out.subarray(sOff, sOff + KEY + TAG));
    // ss
    if (isZero(hs.precomputedStaticStatic)) return false;
    [ck, k] = kdf2(ck, hs.precomputedStaticStatic);
    // payload (timestamp)
    const pOff = sOff + KEY + TAG;
    out.set(payload, pOff);
    aead.seal(k, this.zeroNonce, out, pOff, payload.length, h);
    h = hash(h, out.subarray(pOff, pOff + payload.length + TAG));

    hs.chainKey = ck;
    hs.hash = h;
    hs.localEphemeral.set(ephemeralPrivate);
    hs.state = HS_INITIATION_CREATED;
    return true;
  }

  /**
   * Message 1 (responder): decrypts s, finds the peer's handshake with `lookup`,
   * then decrypts the payload. Commits nothing: the caller checks the
   * timestamp and flood rules before it adopts the result.
   */
  consumeInitiation(
    msg: Uint8Array,
    off: number,
    payloadLength: number,
    lookup: (remoteStatic: Uint8Array) => Handshake | null,
  ): ConsumedInitiation | null {
    const aead = this.aead;
    const ePub = copyOf(msg, off, off + KEY);
    let c = kdf1(this.initialChainKey, ePub)[0];
    let h = hash(hash(this.initialHash, this.publicKey), ePub);
    // es (from the responder's side: DH(s, e))
    const es = x25519(this.privateKey, ePub);
    if (isZero(es)) return null;
    let [ck, k] = kdf2(c, es);
    // s
    const sOff = off + KEY;
    const sealedStatic = copyOf(msg, sOff, sOff + KEY + TAG);
    const remoteStatic = sealedStatic.slice();
    if (!aead.open(k, this.zeroNonce, remoteStatic, 0, KEY + TAG, h)) return null;
    h = hash(h, sealedStatic);
    const handshake = lookup(remoteStatic.subarray(0, KEY));
    if (!handshake) return null;
    // ss
    if (isZero(handshake.precomputedStaticStatic)) return null;
    [ck, k] = kdf2(ck, handshake.precomputedStaticStatic);
    // payload
    const pOff = sOff + KEY + TAG;
    const sealedPayload = copyOf(msg, pOff, pOff + payloadLength + TAG);
    const payload = sealedPayload.slice();
    if (!aead.open(k, this.zeroNonce, payload, 0, payloadLength + TAG, h)) return null;
    h = hash(h, sealedPayload);
    return { handshake, hash: h, chainKey: ck, remoteEphemeral: ePub, payload: payload.subarray(0, payloadLength) };
  }

  /** Adopts a consumed initiation into the peer's handshake state. */
  acceptInitiation(consumed: ConsumedInitiation, remoteIndex: number): void {
    const hs = consumed.handshake;
    hs.hash = consumed.hash;
    hs.chainKey = consumed.chainKey;
    hs.remoteEphemeral.set(consumed.remoteEphemeral);
    hs.remoteIndex = remoteIndex;
    hs.state = HS_INITIATION_CONSUMED;
  }

  /** Message 2 (responder): writes e and the sealed payload at out[off..). */
  createResponse(hs: Handshake, ephemeralPrivate: Uint8Array, payload: Uint8Array, out: Uint8Array, off: number): boolean {
    if (hs.state !== HS_INITIATION_CONSUMED) return false;
    const ePub = publicKey(ephemeralPrivate);
    out.set(ePub, off);
    let c = kdf1(hs.chainKey, ePub)[0];
    let h = hash(hs.hash, ePub);
    // ee
    const ee = x25519(ephemeralPrivate, hs.remoteEphemeral);
    if (isZero(ee)) return false;
    c = kdf1(c, ee)[0];
    // se
    const se = x25519(ephemeralPrivate, hs.remoteStatic);
    if (isZero(se)) return false;
    c = kdf1(c, se)[0];
    // psk (psk2: mixed at the end of message 2)
    const [ck, t, k] = kdf3(c, hs.presharedKey);
    h = hash(h, t);
    const pOff = off + KEY;
    out.set(payload, pOff);
    this.aead.seal(k, this.zeroNonce, out, pOff, payload.length, h);
    h = hash(h, out.subarray(pOff, pOff + payload.length + TAG));

    hs.chainKey = ck;
    hs.hash = h;
    hs.localEphemeral.set(ephemeralPrivate);
    hs.state = HS_RESPONSE_CREATED;
    return true;
  }

  /**
   * Message 2 (initiator): checks it against our initiation in flight. On
   * success commits and returns the payload; on failure changes nothing.
   */
  consumeResponse(hs: Handshake, msg: Uint8Array, off: number, payloadLength: number): Uint8Array | null {
    if (hs.state !== HS_INITIATION_CREATED) return null;
    const ePub = copyOf(msg, off, off + KEY);
    let c = kdf1(hs.chainKey, ePub)[0];
    let h = hash(hs.hash, ePub);
    // ee
    const ee = x25519(hs.localEphemeral, ePub);
    if (isZero(ee)) return null;
    c = kdf1(c, ee)[0];
    // se (from the initiator's side: DH(s, e))
    const se = x25519(this.privateKey, ePub);
    if (isZero(se)) return null;
    c = kdf1(c, se)[0];
    // psk
    const [ck, t, k] = kdf3(c, hs.presharedKey);
    h = hash(h, t);
    const pOff = off + KEY;
    const sealed = copyOf(msg, pOff, pOff + payloadLength + TAG);
    const payload = sealed.slice();
    if (!this.aead.open(k, this.zeroNonce, payload, 0, payloadLength + TAG, h)) return null;
    h = hash(h, sealed);

    hs.chainKey = ck;
    hs.hash = h;
    hs.remoteEphemeral.set(ePub);
    hs.state = HS_RESPONSE_CONSUMED;
    return payload.subarray(0, payloadLength);
  }

  /**
   * Noise Split() (whitepaper §5.4.5): the transport keys, written into the
   * caller's buffers. The initiator sends with the first, the responder with
   * the second. Erases the handshake state afterwards.
   */
  deriveKeys(hs: Handshake, sendKey: Uint8Array, receiveKey: Uint8Array): boolean {
    let initiator: boolean;
    if (hs.state === HS_RESPONSE_CONSUMED) initiator = true;
    else if (hs.state === HS_RESPONSE_CREATED) initiator = false;
    else return false;
    const [t1, t2] = kdf2(hs.chainKey, new Uint8Array(0));
    sendKey.set(initiator ? t1 : t2);
    receiveKey.set(initiator ? t2 : t1);
    t1.fill(0);
    t2.fill(0);
    hs.state = HS_ZEROED;
    hs.chainKey.fill(0);
    hs.hash.fill(0);
    hs.localEphemeral.fill(0);
    hs.remoteEphemeral.fill(0);
    return true;
  }
}
