/**
 * The Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s handshake as WireGuard uses it
 * (whitepaper §5.4.2–§5.4.5). Message bodies are written in place into the
 * caller's buffer.
 *
 * The protocol name, prologue and payloads are parameters so the exact same
 * code can be checked against the cacophony Noise vectors; WireGuard fixes
 * them to CONSTRUCTION, IDENTIFIER, a TAI64N timestamp and an empty payload.
 */
import type { ChaChaPoly } from './crypto/aead';
import { HmacPrefixes, WgHash } from './crypto/hash';
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

/** ASCII to bytes without TextEncoder (absent on some XS hosts). */
export function ascii(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

/** Where each byte field of a Handshake sits in its one buffer. */
const HS_HASH = 0;
const HS_CHAIN_KEY = HS_HASH + KEY;
const HS_LOCAL_EPHEMERAL = HS_CHAIN_KEY + KEY;
const HS_REMOTE_EPHEMERAL = HS_LOCAL_EPHEMERAL + KEY;
const HS_STATIC_STATIC = HS_REMOTE_EPHEMERAL + KEY;
const HS_REMOTE_STATIC = HS_STATIC_STATIC + KEY;
const HS_BYTES = HS_REMOTE_STATIC + KEY;

/** Stands for "no pre-shared key yet" in an unbound Handshake; never written. */
const NO_KEY = new Uint8Array(0);

/**
 * The state of one exchange in flight (wireguard-go's Handshake) and the
 * keys it runs with. A device does not keep one per peer: what outlives an
 * exchange (the precomputed static-static DH, the greatest timestamp seen)
 * is the peer's, and a small pool of these (handshake-pool.ts) is bound to
 * a peer for the exchange and freed when its keys are derived. The byte
 * fields are views on one ArrayBuffer: on XS a view costs 4 heap slots where
 * a typed array with its own buffer costs 7.
 */
export class Handshake {
  state = HS_ZEROED;
  readonly hash: Uint8Array;
  readonly chainKey: Uint8Array;
  /** Our ephemeral private key while an exchange is in flight. */
  readonly localEphemeral: Uint8Array;
  readonly remoteEphemeral: Uint8Array;
  localIndex = 0;
  remoteIndex = 0;
  /** The pre-shared key is presharedKey[presharedKeyAt, +32). */
  presharedKeyAt = 0;
  /**
   * DH(our static, their static), which every exchange with the peer uses
   * (its `ss`): computed once per peer, as wireguard-go does, so that each
   * handshake costs one X25519 less on each side, and copied in by bind().
   */
  readonly precomputedStaticStatic: Uint8Array;
  /** The peer's static public key, copied in by bind(). */
  readonly remoteStatic: Uint8Array;

  /**
   * Without arguments: an unbound handshake for a pool (see bind). With
   * them: bound to one peer for good, its static-static DH computed here
   * (tests, benchmarks).
   */
  constructor(
    remoteStatic: Uint8Array | null = null,
    public presharedKey: Uint8Array = NO_KEY,
    localPrivate: Uint8Array | null = null,
  ) {
    const buffer = new ArrayBuffer(HS_BYTES);
    this.hash = new Uint8Array(buffer, HS_HASH, KEY);
    this.chainKey = new Uint8Array(buffer, HS_CHAIN_KEY, KEY);
    this.localEphemeral = new Uint8Array(buffer, HS_LOCAL_EPHEMERAL, KEY);
    this.remoteEphemeral = new Uint8Array(buffer, HS_REMOTE_EPHEMERAL, KEY);
    this.precomputedStaticStatic = new Uint8Array(buffer, HS_STATIC_STATIC, KEY);
    this.remoteStatic = new Uint8Array(buffer, HS_REMOTE_STATIC, KEY);
    if (remoteStatic !== null) this.remoteStatic.set(remoteStatic);
    if (localPrivate !== null && remoteStatic !== null) {
      const ss = x25519(localPrivate, remoteStatic);
      this.precomputedStaticStatic.set(ss);
      ss.fill(0);
    }
  }

  /**
   * Makes this the handshake with another peer, whose public key is at
   * bytes[keyAt, +32) and precomputed ss at bytes[ssAt, +32) (copied), with
   * its pre-shared key at presharedKeys[presharedKeyAt, +32) (not copied: the
   * device's store of them). Clears the exchange.
   */
  bind(bytes: Uint8Array, keyAt: number, ssAt: number, presharedKeys: Uint8Array, presharedKeyAt: number): void {
    this.clear();
    this.presharedKey = presharedKeys;
    this.presharedKeyAt = presharedKeyAt;
    const ss = this.precomputedStaticStatic;
    const rs = this.remoteStatic;
    for (let i = 0; i < KEY; i++) {
      ss[i] = bytes[ssAt + i];
      rs[i] = bytes[keyAt + i];
    }
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

  /** Unbinds: erases the exchange and the copied ss, and lets go of the peer's keys. */
  unbind(): void {
    this.clear();
    this.precomputedStaticStatic.fill(0);
    this.remoteStatic.fill(0);
    this.presharedKey = NO_KEY;
    this.presharedKeyAt = 0;
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

/**
 * The local static identity, the constants derived from the protocol name,
 * and the handshake's scratch. Every intermediate (chaining key, hash, AEAD
 * key, the consumed initiation) lives in buffers of this object and results
 * are copied into the peer's Handshake, so hashing allocates nothing; what
 * the handshake still allocates is the X25519 arithmetic.
 */
export class Noise {
  readonly publicKey: Uint8Array;
  private readonly initialChainKey: Uint8Array;
  private readonly initialHash: Uint8Array;
  /**
   * HMAC prefixes of the initial chaining key: every exchange's first KDF
   * (mixing e) is keyed with it, so its pad blocks are compressed once here.
   */
  private readonly initialChainKeyPrefixes = new HmacPrefixes();
  /** HASH(initialHash || our public key): the responder's hash after the `<- s` pre-message, the same for every exchange. */
  private readonly responderInitialHash: Uint8Array;
  private readonly hx = new WgHash();
  private readonly zeroNonce: Uint8Array;
  private readonly c: Uint8Array;
  private readonly h: Uint8Array;
  private readonly k: Uint8Array;
  private readonly t: Uint8Array;
  private readonly ePub: Uint8Array;
  /** The initiator's sealed static, decrypted here (never in the caller's datagram). */
  private readonly staticBox: Uint8Array;
  private readonly remoteStaticView: Uint8Array;
  /** A sealed payload decrypted; grows if a longer payload comes (WireGuard's are 12 and 0 bytes). */
  private payloadBox = new Uint8Array(12 + TAG);
  /** The result of consumeInitiation, reused: valid until the next call. */
  private readonly consumed: ConsumedInitiation;

  constructor(
    readonly privateKey: Uint8Array,
    private readonly aead: ChaChaPoly,
    protocolName: string = CONSTRUCTION,
    prologue: Uint8Array = ascii(IDENTIFIER),
  ) {
    this.publicKey = publicKey(privateKey);
    // The byte scratch as views on one buffer (a view costs 4 heap slots on XS, an array with its own buffer 7).
    const buffer = new ArrayBuffer(11 * KEY + KEY + TAG + 12);
    let at = 0;
    const view = (n: number): Uint8Array => {
      const v = new Uint8Array(buffer, at, n);
      at += n;
      return v;
    };
    this.initialChainKey = view(KEY);
    this.initialHash = view(KEY);
    this.responderInitialHash = view(KEY);
    this.c = view(KEY);
    this.h = view(KEY);
    this.k = view(KEY);
    this.t = view(KEY);
    this.ePub = view(KEY);
    this.staticBox = view(KEY + TAG);
    this.remoteStaticView = this.staticBox.subarray(0, KEY);
    this.zeroNonce = view(12);
    this.consumed = {
      handshake: null as unknown as Handshake,
      hash: view(KEY),
      chainKey: view(KEY),
      remoteEphemeral: view(KEY),
      payload: this.payloadBox.subarray(0, 12),
    };
    // Noise §5.2 InitializeSymmetric: names longer than HASHLEN are hashed; WireGuard's is 37 bytes.
    const hx = this.hx;
    const name = ascii(protocolName);
    if (name.length <= KEY) this.initialChainKey.set(name);
    else hx.hash(this.initialChainKey, name);
    hx.hash(this.initialHash, this.initialChainKey, prologue);
    hx.hmacPrefixes(this.initialChainKey, this.initialChainKeyPrefixes);
    hx.hash(this.responderInitialHash, this.initialHash, this.publicKey);
  }

  /** Erases the scratch that held key material. */
  private wipe(): void {
    this.c.fill(0);
    this.k.fill(0);
    this.t.fill(0);
  }

  /** The payload scratch, at least n bytes. */
  private payloadScratch(n: number): Uint8Array {
    if (this.payloadBox.length < n) this.payloadBox = new Uint8Array(n);
    return this.payloadBox;
  }

  /**
   * Message 1 (initiator): writes e, sealed s and the sealed payload at out[off..).
   * Returns false if a DH result is zero (a low-order peer key).
   */
  createInitiation(hs: Handshake, ephemeralPrivate: Uint8Array, payload: Uint8Array, out: Uint8Array, off: number): boolean {
    const aead = this.aead;
    const hx = this.hx;
    const c = this.c, h = this.h, k = this.k;
    // IK pre-message: <- s
    hx.hash(h, this.initialHash, hs.remoteStatic);
    const ePub = publicKey(ephemeralPrivate);
    // e: in the psk modes e is also mixed into the key
    out.set(ePub, off);
    hx.kdf(this.initialChainKey, this.initialChainKeyPrefixes, ePub, 0, KEY, c, null, null);
    hx.hash(h, h, ePub);
    // es
    const es = x25519(ephemeralPrivate, hs.remoteStatic);
    if (isZero(es)) return this.refuse();
    hx.kdf(c, null, es, 0, KEY, c, k, null);
    es.fill(0);
    // s
    const sOff = off + KEY;
    out.set(this.publicKey, sOff);
    aead.seal(k, this.zeroNonce, out, sOff, KEY, h);
    hx.hash(h, h, out, sOff, KEY + TAG);
    // ss
    if (isZero(hs.precomputedStaticStatic)) return this.refuse();
    hx.kdf(c, null, hs.precomputedStaticStatic, 0, KEY, c, k, null);
    // payload (timestamp)
    const pOff = sOff + KEY + TAG;
    out.set(payload, pOff);
    aead.seal(k, this.zeroNonce, out, pOff, payload.length, h);
    hx.hash(h, h, out, pOff, payload.length + TAG);

    hs.chainKey.set(c);
    hs.hash.set(h);
    hs.localEphemeral.set(ephemeralPrivate);
    hs.state = HS_INITIATION_CREATED;
    this.wipe();
    return true;
  }

  /**
   * Message 1 (responder): decrypts s, finds the peer's handshake with `lookup`,
   * then decrypts the payload. Commits nothing: the caller checks the
   * timestamp and flood rules before it adopts the result. The result is
   * this object's scratch, valid until the next call.
   */
  consumeInitiation(
    msg: Uint8Array,
    off: number,
    payloadLength: number,
    lookup: (remoteStatic: Uint8Array) => Handshake | null,
  ): ConsumedInitiation | null {
    const aead = this.aead;
    const hx = this.hx;
    const c = this.c, h = this.h, k = this.k;
    const ePub = this.ePub;
    ePub.set(msg.subarray(off, off + KEY));
    hx.kdf(this.initialChainKey, this.initialChainKeyPrefixes, ePub, 0, KEY, c, null, null);
    hx.hash(h, this.responderInitialHash, ePub);
    // es (from the responder's side: DH(s, e))
    const es = x25519(this.privateKey, ePub);
    if (isZero(es)) return this.fail();
    hx.kdf(c, null, es, 0, KEY, c, k, null);
    es.fill(0);
    // s
    const sOff = off + KEY;
    const box = this.staticBox;
    box.set(msg.subarray(sOff, sOff + KEY + TAG));
    if (!aead.open(k, this.zeroNonce, box, 0, KEY + TAG, h)) return this.fail();
    hx.hash(h, h, msg, sOff, KEY + TAG);
    const handshake = lookup(this.remoteStaticView);
    if (!handshake) return this.fail();
    // ss
    if (isZero(handshake.precomputedStaticStatic)) return this.fail();
    hx.kdf(c, null, handshake.precomputedStaticStatic, 0, KEY, c, k, null);
    // payload
    const pOff = sOff + KEY + TAG;
    const sealedLength = payloadLength + TAG;
    const payload = this.payloadScratch(sealedLength);
    payload.set(msg.subarray(pOff, pOff + sealedLength));
    if (!aead.open(k, this.zeroNonce, payload, 0, sealedLength, h)) return this.fail();
    hx.hash(h, h, msg, pOff, sealedLength);

    const out = this.consumed;
    out.handshake = handshake;
    out.hash.set(h);
    out.chainKey.set(c);
    out.remoteEphemeral.set(ePub);
    if (out.payload.buffer !== payload.buffer || out.payload.length !== payloadLength) out.payload = payload.subarray(0, payloadLength);
    this.wipe();
    return out;
  }

  private fail(): null {
    this.wipe();
    return null;
  }

  private refuse(): false {
    this.wipe();
    return false;
  }

  /**
   * Adopts a consumed initiation into the peer's handshake state: `into`, or
   * the handshake the lookup gave (a device looks up with a scratch one and
   * binds one to the peer only once the initiation has passed its checks;
   * `into` must be bound to the same peer).
   */
  acceptInitiation(consumed: ConsumedInitiation, remoteIndex: number, into: Handshake = consumed.handshake): void {
    const hs = into;
    hs.hash.set(consumed.hash);
    hs.chainKey.set(consumed.chainKey);
    hs.remoteEphemeral.set(consumed.remoteEphemeral);
    hs.remoteIndex = remoteIndex;
    hs.state = HS_INITIATION_CONSUMED;
    consumed.chainKey.fill(0);
  }

  /** Message 2 (responder): writes e and the sealed payload at out[off..). */
  createResponse(hs: Handshake, ephemeralPrivate: Uint8Array, payload: Uint8Array, out: Uint8Array, off: number): boolean {
    if (hs.state !== HS_INITIATION_CONSUMED) return false;
    const hx = this.hx;
    const c = this.c, h = this.h, k = this.k, t = this.t;
    const ePub = publicKey(ephemeralPrivate);
    out.set(ePub, off);
    hx.kdf(hs.chainKey, null, ePub, 0, KEY, c, null, null);
    hx.hash(h, hs.hash, ePub);
    // ee
    const ee = x25519(ephemeralPrivate, hs.remoteEphemeral);
    if (isZero(ee)) return this.refuse();
    hx.kdf(c, null, ee, 0, KEY, c, null, null);
    ee.fill(0);
    // se
    const se = x25519(ephemeralPrivate, hs.remoteStatic);
    if (isZero(se)) return this.refuse();
    hx.kdf(c, null, se, 0, KEY, c, null, null);
    se.fill(0);
    // psk (psk2: mixed at the end of message 2)
    hx.kdf(c, null, hs.presharedKey, hs.presharedKeyAt, KEY, c, t, k);
    hx.hash(h, h, t);
    const pOff = off + KEY;
    out.set(payload, pOff);
    this.aead.seal(k, this.zeroNonce, out, pOff, payload.length, h);
    hx.hash(h, h, out, pOff, payload.length + TAG);

    hs.chainKey.set(c);
    hs.hash.set(h);
    hs.localEphemeral.set(ephemeralPrivate);
    hs.state = HS_RESPONSE_CREATED;
    this.wipe();
    return true;
  }

  /**
   * Message 2 (initiator): checks it against our initiation in flight. On
   * success commits and returns the payload (this object's scratch, valid
   * until the next call); on failure changes nothing.
   */
  consumeResponse(hs: Handshake, msg: Uint8Array, off: number, payloadLength: number): Uint8Array | null {
    if (hs.state !== HS_INITIATION_CREATED) return null;
    const hx = this.hx;
    const c = this.c, h = this.h, k = this.k, t = this.t;
    const ePub = this.ePub;
    ePub.set(msg.subarray(off, off + KEY));
    hx.kdf(hs.chainKey, null, ePub, 0, KEY, c, null, null);
    hx.hash(h, hs.hash, ePub);
    // ee
    const ee = x25519(hs.localEphemeral, ePub);
    if (isZero(ee)) return this.fail();
    hx.kdf(c, null, ee, 0, KEY, c, null, null);
    ee.fill(0);
    // se (from the initiator's side: DH(s, e))
    const se = x25519(this.privateKey, ePub);
    if (isZero(se)) return this.fail();
    hx.kdf(c, null, se, 0, KEY, c, null, null);
    se.fill(0);
    // psk
    hx.kdf(c, null, hs.presharedKey, hs.presharedKeyAt, KEY, c, t, k);
    hx.hash(h, h, t);
    const pOff = off + KEY;
    const sealedLength = payloadLength + TAG;
    const payload = this.payloadScratch(sealedLength);
    payload.set(msg.subarray(pOff, pOff + sealedLength));
    if (!this.aead.open(k, this.zeroNonce, payload, 0, sealedLength, h)) return this.fail();
    hx.hash(h, h, msg, pOff, sealedLength);

    hs.chainKey.set(c);
    hs.hash.set(h);
    hs.remoteEphemeral.set(ePub);
    hs.state = HS_RESPONSE_CONSUMED;
    this.wipe();
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
    // KDF2(chaining key, empty): t1 is the initiator's sending key.
    if (initiator) this.hx.kdf(hs.chainKey, null, hs.chainKey, 0, 0, sendKey, receiveKey, null);
    else this.hx.kdf(hs.chainKey, null, hs.chainKey, 0, 0, receiveKey, sendKey, null);
    hs.state = HS_ZEROED;
    hs.chainKey.fill(0);
    hs.hash.fill(0);
    hs.localEphemeral.fill(0);
    hs.remoteEphemeral.fill(0);
    return true;
  }
}
