/// <reference path="./moddable.d.ts" />
/**
 * Installs `globalThis.crypto.getRandomValues` on XS, which has none.
 *
 * main.ts imports this module first, so it is evaluated before any other
 * module that might look for it (noble's `randomBytes()`, for one, throws
 * without it). The firmware itself bundles no noble module, and the core
 * never reads a random source (the host passes random bytes in), so this is
 * for any library that follows the Web Crypto convention.
 */
import { fillRandom } from './native';

interface CryptoLike {
  getRandomValues<T extends ArrayBufferView | null>(array: T): T;
}

const g = globalThis as unknown as { crypto?: Partial<CryptoLike> };
if (typeof g.crypto?.getRandomValues !== 'function') {
  const crypto: CryptoLike = {
    getRandomValues<T extends ArrayBufferView | null>(array: T): T {
      // Web Crypto's limit: at most 65536 bytes per call.
      if (array !== null) {
        if (array.byteLength > 65536) throw new RangeError('getRandomValues: more than 65536 bytes requested');
        fillRandom(array);
      }
      return array;
    },
  };
  // Frozen: nothing may swap the random source later (and, when preloaded, a
  // frozen object needs no RAM pointer for patches).
  g.crypto = Object.freeze(crypto);
}

export {};
