/**
 * WireGuard wire format (whitepaper §5.4) plus homeward's extension types.
 *
 * Every message starts with a little-endian u32 whose low byte is the type and
 * whose upper three bytes are zero; wireguard-go compares the whole word, so a
 * non-zero reserved byte makes the message invalid. Sizes are exact for the
 * handshake messages, and at least TRANSPORT_MIN_SIZE for transport data.
 */

export const MSG_INITIATION = 1;
export const MSG_RESPONSE = 2;
export const MSG_COOKIE_REPLY = 3;
export const MSG_TRANSPORT = 4;
/** homeward extension: "I hold no session for that index" (secnet NAK, IKEv2 INVALID_SPI). */
export const MSG_NAK = 5;
/** homeward extension: "I am in WAIT and you seem to have lost state" (secnet PROD). */
export const MSG_PROD = 6;

export const INITIATION_SIZE = 148;
export const RESPONSE_SIZE = 92;
export const COOKIE_REPLY_SIZE = 64;
export const TRANSPORT_HEADER_SIZE = 16;
export const AEAD_TAG_SIZE = 16;
/** A transport message with an empty payload: a keepalive. */
export const TRANSPORT_MIN_SIZE = TRANSPORT_HEADER_SIZE + AEAD_TAG_SIZE;
export const NAK_SIZE = 16;
/**
 * A PROD is padded to the size of the initiation it asks for, so honouring an
 * unauthenticated PROD never sends more bytes than it received.
 */
export const PROD_SIZE = 148;

// Handshake initiation (148 bytes)
export const INIT_SENDER = 4;
export const INIT_EPHEMERAL = 8;
export const INIT_STATIC = 40; // 32 + 16 tag
export const INIT_TIMESTAMP = 88; // 12 + 16 tag
export const INIT_MAC1 = 116;
export const INIT_MAC2 = 132;

// Handshake response (92 bytes)
export const RESP_SENDER = 4;
export const RESP_RECEIVER = 8;
export const RESP_EPHEMERAL = 12;
export const RESP_EMPTY = 44; // 0 + 16 tag
export const RESP_MAC1 = 60;
export const RESP_MAC2 = 76;

// Cookie reply (64 bytes)
export const COOKIE_RECEIVER = 4;
export const COOKIE_NONCE = 8; // 24 bytes
export const COOKIE_ENCRYPTED = 32; // 16 + 16 tag

// Transport data (16-byte header, then ciphertext and tag)
export const TRANSPORT_RECEIVER = 4;
export const TRANSPORT_COUNTER = 8; // u64 little-endian
export const TRANSPORT_DATA = 16;

// NAK (16 bytes): type, 3 zero bytes, echoed receiver index, echoed counter
export const NAK_INDEX = 4;
export const NAK_COUNTER = 8;

// PROD (148 bytes): type, 3 zero bytes, 4 zero bytes (reserved), 16-byte sender identifier, zero padding
export const PROD_ID = 8;
export const PROD_ID_SIZE = 16;

/**
 * The type of a well-formed message, or 0. Checks (type, length) only: no
 * crypto is spent on anything that fails here (STYLE: codec before crypto).
 */
export function messageType(buf: Uint8Array, len: number): number {
  if (len < 4 || buf[1] !== 0 || buf[2] !== 0 || buf[3] !== 0) return 0;
  const type = buf[0];
  switch (type) {
    case MSG_INITIATION: return len === INITIATION_SIZE ? type : 0;
    case MSG_RESPONSE: return len === RESPONSE_SIZE ? type : 0;
    case MSG_COOKIE_REPLY: return len === COOKIE_REPLY_SIZE ? type : 0;
    case MSG_TRANSPORT: return len >= TRANSPORT_MIN_SIZE ? type : 0;
    case MSG_NAK: return len === NAK_SIZE ? type : 0;
    case MSG_PROD: return len === PROD_SIZE ? type : 0;
    default: return 0;
  }
}

export function readU32(buf: Uint8Array, off: number): number {
  return (buf[off] | (buf[off + 1] << 8) | (buf[off + 2] << 16) | (buf[off + 3] << 24)) >>> 0;
}

export function writeU32(buf: Uint8Array, off: number, v: number): void {
  buf[off] = v & 0xff;
  buf[off + 1] = (v >>> 8) & 0xff;
  buf[off + 2] = (v >>> 16) & 0xff;
  buf[off + 3] = (v >>> 24) & 0xff;
}

/** Writes the 4-byte header: type and three zero reserved bytes. */
export function writeHeader(buf: Uint8Array, type: number): void {
  buf[0] = type;
  buf[1] = 0;
  buf[2] = 0;
  buf[3] = 0;
}

// ---- Whole-message codec for tests and tools (allocates; not for the data path) ----

/**
 * A decoded message, every field a copy. Byte fields have their exact wire
 * sizes; `data` of a transport message is the ciphertext including its
 * 16-byte tag.
 */
export type Message =
  | {
      type: 'initiation';
      sender: number;
      ephemeral: Uint8Array; // 32
      encryptedStatic: Uint8Array; // 32 + 16
      encryptedTimestamp: Uint8Array; // 12 + 16
      mac1: Uint8Array; // 16
      mac2: Uint8Array; // 16
    }
  | {
      type: 'response';
      sender: number;
      receiver: number;
      ephemeral: Uint8Array; // 32
      encryptedNothing: Uint8Array; // 0 + 16
      mac1: Uint8Array; // 16
      mac2: Uint8Array; // 16
    }
  | {
      type: 'cookie-reply';
      receiver: number;
      nonce: Uint8Array; // 24
      encryptedCookie: Uint8Array; // 16 + 16
    }
  | { type: 'transport'; receiver: number; counterLo: number; counterHi: number; data: Uint8Array }
  | { type: 'nak'; index: number; counterLo: number; counterHi: number }
  | { type: 'prod'; id: Uint8Array }; // 16

const copy = (buf: Uint8Array, off: number, len: number): Uint8Array => buf.slice(off, off + len);

/**
 * Decodes the first `len` bytes of `buf`, or null if messageType() rejects
 * them. Never throws. A PROD's reserved and padding bytes are not checked.
 */
export function decodeMessage(buf: Uint8Array, len: number): Message | null {
  if (!(buf instanceof Uint8Array) || !Number.isInteger(len) || len < 0 || len > buf.length) return null;
  switch (messageType(buf, len)) {
    case MSG_INITIATION:
      return {
        type: 'initiation',
        sender: readU32(buf, INIT_SENDER),
        ephemeral: copy(buf, INIT_EPHEMERAL, INIT_STATIC - INIT_EPHEMERAL),
        encryptedStatic: copy(buf, INIT_STATIC, INIT_TIMESTAMP - INIT_STATIC),
        encryptedTimestamp: copy(buf, INIT_TIMESTAMP, INIT_MAC1 - INIT_TIMESTAMP),
        mac1: copy(buf, INIT_MAC1, INIT_MAC2 - INIT_MAC1),
        mac2: copy(buf, INIT_MAC2, INITIATION_SIZE - INIT_MAC2),
      };
    case MSG_RESPONSE:
      return {
        type: 'response',
        sender: readU32(buf, RESP_SENDER),
        receiver: readU32(buf, RESP_RECEIVER),
        ephemeral: copy(buf, RESP_EPHEMERAL, RESP_EMPTY - RESP_EPHEMERAL),
        encryptedNothing: copy(buf, RESP_EMPTY, RESP_MAC1 - RESP_EMPTY),
        mac1: copy(buf, RESP_MAC1, RESP_MAC2 - RESP_MAC1),
        mac2: copy(buf, RESP_MAC2, RESPONSE_SIZE - RESP_MAC2),
      };
    case MSG_COOKIE_REPLY:
      return {
        type: 'cookie-reply',
        receiver: readU32(buf, COOKIE_RECEIVER),
        nonce: copy(buf, COOKIE_NONCE, COOKIE_ENCRYPTED - COOKIE_NONCE),
        encryptedCookie: copy(buf, COOKIE_ENCRYPTED, COOKIE_REPLY_SIZE - COOKIE_ENCRYPTED),
      };
    case MSG_TRANSPORT:
      return {
        type: 'transport',
        receiver: readU32(buf, TRANSPORT_RECEIVER),
        counterLo: readU32(buf, TRANSPORT_COUNTER),
        counterHi: readU32(buf, TRANSPORT_COUNTER + 4),
        data: copy(buf, TRANSPORT_DATA, len - TRANSPORT_DATA),
      };
    case MSG_NAK:
      return {
        type: 'nak',
        index: readU32(buf, NAK_INDEX),
        counterLo: readU32(buf, NAK_COUNTER),
        counterHi: readU32(buf, NAK_COUNTER + 4),
      };
    case MSG_PROD:
      return { type: 'prod', id: copy(buf, PROD_ID, PROD_ID_SIZE) };
    default:
      return null;
  }
}

/** Copies `field` into out at off after checking its size (tools: misuse throws). */
function put(out: Uint8Array, off: number, field: Uint8Array, size: number, name: string): void {
  if (!(field instanceof Uint8Array) || field.length !== size) {
    throw new RangeError(`${name} must be ${size} bytes, got ${field instanceof Uint8Array ? field.length : typeof field}`);
  }
  out.set(field, off);
}

/**
 * Encodes a message in wire format (reserved bytes and PROD padding zero).
 * Throws RangeError if a field has the wrong size or a transport payload is
 * shorter than its tag.
 */
export function encodeMessage(m: Message): Uint8Array {
  let out: Uint8Array;
  switch (m.type) {
    case 'initiation':
      out = new Uint8Array(INITIATION_SIZE);
      writeHeader(out, MSG_INITIATION);
      writeU32(out, INIT_SENDER, m.sender);
      put(out, INIT_EPHEMERAL, m.ephemeral, INIT_STATIC - INIT_EPHEMERAL, 'ephemeral');
      put(out, INIT_STATIC, m.encryptedStatic, INIT_TIMESTAMP - INIT_STATIC, 'encryptedStatic');
      put(out, INIT_TIMESTAMP, m.encryptedTimestamp, INIT_MAC1 - INIT_TIMESTAMP, 'encryptedTimestamp');
      put(out, INIT_MAC1, m.mac1, INIT_MAC2 - INIT_MAC1, 'mac1');
      put(out, INIT_MAC2, m.mac2, INITIATION_SIZE - INIT_MAC2, 'mac2');
      return out;
    case 'response':
      out = new Uint8Array(RESPONSE_SIZE);
      writeHeader(out, MSG_RESPONSE);
      writeU32(out, RESP_SENDER, m.sender);
      writeU32(out, RESP_RECEIVER, m.receiver);
      put(out, RESP_EPHEMERAL, m.ephemeral, RESP_EMPTY - RESP_EPHEMERAL, 'ephemeral');
      put(out, RESP_EMPTY, m.encryptedNothing, RESP_MAC1 - RESP_EMPTY, 'encryptedNothing');
      put(out, RESP_MAC1, m.mac1, RESP_MAC2 - RESP_MAC1, 'mac1');
      put(out, RESP_MAC2, m.mac2, RESPONSE_SIZE - RESP_MAC2, 'mac2');
      return out;
    case 'cookie-reply':
      out = new Uint8Array(COOKIE_REPLY_SIZE);
      writeHeader(out, MSG_COOKIE_REPLY);
      writeU32(out, COOKIE_RECEIVER, m.receiver);
      put(out, COOKIE_NONCE, m.nonce, COOKIE_ENCRYPTED - COOKIE_NONCE, 'nonce');
      put(out, COOKIE_ENCRYPTED, m.encryptedCookie, COOKIE_REPLY_SIZE - COOKIE_ENCRYPTED, 'encryptedCookie');
      return out;
    case 'transport':
      if (!(m.data instanceof Uint8Array) || m.data.length < AEAD_TAG_SIZE) {
        throw new RangeError(`transport data must hold at least the ${AEAD_TAG_SIZE}-byte tag`);
      }
      out = new Uint8Array(TRANSPORT_DATA + m.data.length);
      writeHeader(out, MSG_TRANSPORT);
      writeU32(out, TRANSPORT_RECEIVER, m.receiver);
      writeU32(out, TRANSPORT_COUNTER, m.counterLo);
      writeU32(out, TRANSPORT_COUNTER + 4, m.counterHi);
      out.set(m.data, TRANSPORT_DATA);
      return out;
    case 'nak':
      out = new Uint8Array(NAK_SIZE);
      writeHeader(out, MSG_NAK);
      writeU32(out, NAK_INDEX, m.index);
      writeU32(out, NAK_COUNTER, m.counterLo);
      writeU32(out, NAK_COUNTER + 4, m.counterHi);
      return out;
    case 'prod':
      out = new Uint8Array(PROD_SIZE);
      writeHeader(out, MSG_PROD);
      put(out, PROD_ID, m.id, PROD_ID_SIZE, 'id');
      return out;
    default:
      throw new RangeError(`unknown message type ${String((m as { type: unknown }).type)}`);
  }
}
