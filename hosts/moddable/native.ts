/// <reference path="./moddable.d.ts" />
/**
 * The native helpers of native.c, as typed functions. `native("...")` is
 * resolved by the XS compiler to the C function of that name, which the
 * manifest links in through the `hosts/moddable/*` modules entry.
 */

/** Fills `out` with cryptographically secure random bytes (getrandom on Linux, esp_fill_random on ESP32). */
export const fillRandom: (out: ArrayBuffer | ArrayBufferView) => void = native('xs_homeward_random_fill');

/**
 * Copies src[srcOffset, srcOffset + length) to dst[dstOffset, ...) without
 * making a view of either (throws RangeError when out of bounds).
 */
export const copyBytes: (
  dst: ArrayBuffer | ArrayBufferView, dstOffset: number,
  src: ArrayBuffer | ArrayBufferView, srcOffset: number, length: number,
) => void = native('xs_homeward_copy');
