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
