/**
 * Base64: the RFC 4648 §10 test vectors, wg(8)'s example key, every byte value,
 * and strict rejection (length, alphabet, padding, non-zero unused bits).
 */
import { decodeBase64, decodeKey, encodeBase64 } from '../../modules/base64';
import { type Case, equal, equalBytes, fromHex, hex, ok } from '../harness/suite';

const ascii = (s: string): Uint8Array => {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
};

/** RFC 4648 §10. */
const RFC4648: [string, string][] = [
  ['', ''],
  ['f', 'Zg=='],
  ['fo', 'Zm8='],
  ['foo', 'Zm9v'],
  ['foob', 'Zm9vYg=='],
  ['fooba', 'Zm9vYmE='],
  ['foobar', 'Zm9vYmFy'],
];

export const cases: Case[] = [
  ['RFC 4648 §10 vectors', () => {
    for (const [plain, encoded] of RFC4648) {
      equal(encodeBase64(ascii(plain)), encoded, `encode ${plain}`);
      const back = decodeBase64(encoded);
      ok(back !== null, `decode ${encoded}`);
      equalBytes(back!, ascii(plain), `decode ${encoded}`);
    }
  }],
  ['every byte value, at every position in a group', () => {
    const all = new Uint8Array(256);
    for (let i = 0; i < 256; i++) all[i] = i;
    for (let shift = 0; shift < 3; shift++) {
      const bytes = all.subarray(shift);
      const s = encodeBase64(bytes);
      equal(s.length, Math.ceil(bytes.length / 3) * 4);
      equal(hex(decodeBase64(s)!), hex(bytes), `shift ${shift}`);
    }
    equal(encodeBase64(all.subarray(0, 3)), 'AAEC');
    equal(encodeBase64(all.subarray(250)), '+vv8/f7/', 'the last two alphabet characters');
  }],
  ['wg(8) example private key', () => {
    const key = decodeKey('yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=');
    ok(key !== null);
    equalBytes(key!, fromHex('c809f3e5317e9575c9b5ed78b638b7ce530dabe85ddab614220241801ddf0669'));
    equal(encodeBase64(key!), 'yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=');
  }],
  ['decodeKey wants exactly 44 characters for 32 bytes', () => {
    const zero = 'A'.repeat(43) + '=';
    equalBytes(decodeKey(zero)!, new Uint8Array(32));
    equal(decodeKey('A'.repeat(42) + '=='), null, '31 bytes');
    equal(decodeKey('A'.repeat(44)), null, '33 bytes');
    equal(decodeKey('A'.repeat(43)), null, '43 characters');
    equal(decodeKey(zero + 'AAAA'), null, 'too long');
    equal(decodeKey(' ' + zero.slice(1)), null, 'whitespace');
    equal(decodeKey('A'.repeat(42) + 'B='), null, 'non-zero unused bits');
    equal(decodeKey(''), null);
  }],
  ['invalid input is null, never an exception', () => {
    const bad = [
      'Zg=', 'Zg', 'Z', 'Zm9vY', // length not a multiple of 4
      '====', 'Z===', 'Zm=v', '=m9v', 'Zg==Zg==', 'Zm9v====', // misplaced padding
      'Zh==', 'Zm9=', // RFC 4648 §3.5: unused bits must be zero
      'Zm9v\n', 'Zm 9', 'Zm9\u00e9', 'Zm9-', 'Zm9_', 'Zm9\u0000', // outside the alphabet (also base64url)
      '\uff21AAA', '\u0141AAA', // code units whose low byte is in the alphabet
    ];
    for (const s of bad) equal(decodeBase64(s), null, JSON.stringify(s));
    equal(decodeBase64(undefined as unknown as string), null, 'undefined');
    equal(decodeBase64(42 as unknown as string), null, 'a number');
  }],
];
