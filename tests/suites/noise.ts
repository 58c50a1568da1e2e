/**
 * The handshake code checked against the cacophony Noise_IKpsk2 vectors, with
 * the protocol name, prologue and payloads as parameters; then the WireGuard
 * instantiation (CONSTRUCTION, IDENTIFIER, TAI64N payload) end to end.
 */
import { ChaChaPoly } from '../../modules/crypto/aead';
import { publicKey } from '../../modules/crypto/x25519';
import { Handshake, Noise, initiationBodySize, responseBodySize, HS_INITIATION_CONSUMED, HS_ZEROED } from '../../modules/noise';
import vectors from '../vectors/noise-ikpsk2-25519-chachapoly-blake2s.json' with { type: 'json' };
import { type Case, equal, equalBytes, fromHex, ok } from '../harness/suite';

interface Vector {
  protocol_name: string;
  init_prologue: string;
  init_psks?: string[];
  init_static: string;
  init_ephemeral: string;
  init_remote_static: string;
  resp_static: string;
  resp_ephemeral: string;
  handshake_hash: string;
  messages: { payload: string; ciphertext: string }[];
}

function nonce(counter: number): Uint8Array {
  const n = new Uint8Array(12);
  n[4] = counter & 0xff;
  n[5] = (counter >>> 8) & 0xff;
  return n;
}

function runVector(v: Vector): void {
  const aead = new ChaChaPoly();
  const prologue = fromHex(v.init_prologue);
  const psk = fromHex(v.init_psks![0]);
  const iStatic = fromHex(v.init_static);
  const rStatic = fromHex(v.resp_static);
  const initiator = new Noise(iStatic, aead, v.protocol_name, prologue);
  const responder = new Noise(rStatic, aead, v.protocol_name, prologue);
  equalBytes(publicKey(rStatic), fromHex(v.init_remote_static), 'responder public key');
  const hsI = new Handshake(fromHex(v.init_remote_static), psk, iStatic);
  const hsR = new Handshake(initiator.publicKey, psk, rStatic);

  // Message 1: -> e, es, s, ss (payload)
  const p0 = fromHex(v.messages[0].payload);
  const m0 = new Uint8Array(initiationBodySize(p0.length));
  ok(initiator.createInitiation(hsI, fromHex(v.init_ephemeral), p0, m0, 0), 'createInitiation');
  equalBytes(m0, fromHex(v.messages[0].ciphertext), 'message 1');
  const consumed = responder.consumeInitiation(m0, 0, p0.length, (key) => {
    equalBytes(key, initiator.publicKey, 'decrypted initiator static');
    return hsR;
  });
  ok(consumed !== null, 'consumeInitiation');
  equalBytes(consumed!.payload, p0, 'payload 1');
  responder.acceptInitiation(consumed!, 0);
  equal(hsR.state, HS_INITIATION_CONSUMED);

  // Message 2: <- e, ee, se, psk (payload)
  const p1 = fromHex(v.messages[1].payload);
  const m1 = new Uint8Array(responseBodySize(p1.length));
  ok(responder.createResponse(hsR, fromHex(v.resp_ephemeral), p1, m1, 0), 'createResponse');
  equalBytes(m1, fromHex(v.messages[1].ciphertext), 'message 2');
  const got = initiator.consumeResponse(hsI, m1, 0, p1.length);
  ok(got !== null, 'consumeResponse');
  equalBytes(got!, p1, 'payload 2');
  equalBytes(hsI.hash, fromHex(v.handshake_hash), 'initiator handshake hash');
  equalBytes(hsR.hash, fromHex(v.handshake_hash), 'responder handshake hash');

  // Split(): transport messages alternate, each direction counting from 0.
  const iSend = new Uint8Array(32), iRecv = new Uint8Array(32);
  const rSend = new Uint8Array(32), rRecv = new Uint8Array(32);
  ok(initiator.deriveKeys(hsI, iSend, iRecv));
  ok(responder.deriveKeys(hsR, rSend, rRecv));
  equalBytes(iSend, rRecv, 'initiator→responder key');
  equalBytes(iRecv, rSend, 'responder→initiator key');
  equal(hsI.state, HS_ZEROED);
  const counters = [0, 0];
  for (let i = 2; i < v.messages.length; i++) {
    const fromInitiator = i % 2 === 0;
    const payload = fromHex(v.messages[i].payload);
    const buf = new Uint8Array(payload.length + 16);
    buf.set(payload);
    const side = fromInitiator ? 0 : 1;
    aead.seal(fromInitiator ? iSend : rSend, nonce(counters[side]), buf, 0, payload.length, null);
    equalBytes(buf, fromHex(v.messages[i].ciphertext), `transport message ${i + 1}`);
    ok(aead.open(fromInitiator ? rRecv : iRecv, nonce(counters[side]), buf, 0, buf.length, null), `open ${i + 1}`);
    equalBytes(buf.subarray(0, payload.length), payload);
    counters[side]++;
  }
}

function key(seed: number): Uint8Array {
  const k = new Uint8Array(32);
  for (let i = 0; i < 32; i++) k[i] = (seed * 31 + i * 7) & 0xff;
  return k;
}

export const cases: Case[] = [
  ...(vectors.vectors as Vector[])
    .filter((v) => v.protocol_name === 'Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s')
    .map((v, i): Case => [`cacophony ${v.protocol_name} #${i}`, () => runVector(v)]),
  ['The initiator hash cached per peer follows the Noise object (protocol name and prologue) that uses it', () => {
    const aead = new ChaChaPoly();
    const wg = new Noise(key(1), aead);
    const other = new Noise(key(1), aead, 'Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s', new Uint8Array([1, 2, 3]));
    const remote = publicKey(key(2));
    const ts = key(4).subarray(0, 12);
    const fresh = (noise: Noise) => {
      const m = new Uint8Array(initiationBodySize(12));
      ok(noise.createInitiation(new Handshake(remote, key(3), key(1)), key(5), ts, m, 0));
      return m;
    };
    const hs = new Handshake(remote, key(3), key(1));
    for (const noise of [wg, wg, other, other, wg]) {
      const m = new Uint8Array(initiationBodySize(12));
      ok(noise.createInitiation(hs, key(5), ts, m, 0));
      equalBytes(m, fresh(noise), 'initiation with a reused handshake');
    }
  }],
  ['WireGuard construction: both sides derive the same keys; a flipped bit fails', () => {
    const aead = new ChaChaPoly();
    const a = new Noise(key(1), aead);
    const b = new Noise(key(2), aead);
    const psk = key(3);
    const hsA = new Handshake(b.publicKey, psk, key(1));
    const hsB = new Handshake(a.publicKey, psk, key(2));
    const ts = key(4).subarray(0, 12);
    const m1 = new Uint8Array(initiationBodySize(12));
    ok(a.createInitiation(hsA, key(5), ts, m1, 0));
    const bad = m1.slice();
    bad[40] ^= 1;
    equal(b.consumeInitiation(bad, 0, 12, () => hsB), null, 'tampered static');
    const c = b.consumeInitiation(m1, 0, 12, () => hsB);
    ok(c !== null);
    equalBytes(c!.payload, ts, 'timestamp');
    b.acceptInitiation(c!, 7);
    const m2 = new Uint8Array(responseBodySize(0));
    ok(b.createResponse(hsB, key(6), new Uint8Array(0), m2, 0));
    const wrongPsk = new Handshake(b.publicKey, key(9), key(1));
    const m1b = new Uint8Array(initiationBodySize(12));
    ok(a.createInitiation(wrongPsk, key(5), ts, m1b, 0));
    equal(a.consumeResponse(wrongPsk, m2, 0, 0), null, 'response under another psk');
    ok(a.consumeResponse(hsA, m2, 0, 0) !== null);
    const s1 = new Uint8Array(32), r1 = new Uint8Array(32), s2 = new Uint8Array(32), r2 = new Uint8Array(32);
    ok(a.deriveKeys(hsA, s1, r1));
    ok(b.deriveKeys(hsB, s2, r2));
    equalBytes(s1, r2);
    equalBytes(r1, s2);
  }],
];
