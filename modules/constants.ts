/**
 * WireGuard's protocol constants (whitepaper §6.1, wireguard-go device/constants.go).
 * Times are in milliseconds because hosts pass `now` in milliseconds.
 */

export const REKEY_AFTER_TIME = 120_000;
export const REJECT_AFTER_TIME = 180_000;
export const REKEY_ATTEMPT_TIME = 90_000;
export const REKEY_TIMEOUT = 5_000;
/** Upper bound of the random jitter added to REKEY_TIMEOUT (whitepaper §6.1: 0–333 ms). */
export const REKEY_TIMEOUT_JITTER_MAX = 334;
export const KEEPALIVE_TIMEOUT = 10_000;
export const COOKIE_REFRESH_TIME = 120_000;
/** Initiations accepted from one peer at most every 20 ms (wireguard-go HandshakeInitationRate). */
export const HANDSHAKE_INITIATION_RATE = 20;
/** Retries of an unanswered initiation before giving up: REKEY_ATTEMPT_TIME / REKEY_TIMEOUT. */
export const MAX_TIMER_HANDSHAKES = REKEY_ATTEMPT_TIME / REKEY_TIMEOUT;
/** "Under load" lasts this long after the load went away (wireguard-go UnderLoadAfterTime). */
export const UNDER_LOAD_AFTER_TIME = 1_000;

/**
 * REKEY_AFTER_MESSAGES = 2^60 and REJECT_AFTER_MESSAGES = 2^64 - 2^13 - 1, as
 * the high 32-bit half of a u64 counter plus the low half: counters are carried
 * as two u32 halves so the data path needs no BigInt.
 */
export const REKEY_AFTER_MESSAGES_HI = 0x10000000;
export const REJECT_AFTER_MESSAGES_HI = 0xffffffff;
export const REJECT_AFTER_MESSAGES_LO = 0xffffffff - 0x2000; // 2^32 - 2^13 - 1

/** Per-source handshake rate once under load (wireguard-go ratelimiter: 20/s, burst 5). */
export const HANDSHAKES_PER_SECOND_PER_SOURCE = 20;
export const HANDSHAKE_BURST_PER_SOURCE = 5;
