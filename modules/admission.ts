/**
 * Who may make us do handshake work (whitepaper §5.3, the graded MAC state):
 * mac1 always; under load also a valid mac2, or a cookie reply goes back
 * instead; then a per-source rate limit. Nothing here allocates per message.
 */
import { CookieChecker } from './cookie';
import type { ChaChaPoly } from './crypto/aead';
import { HANDSHAKE_BURST_PER_SOURCE, HANDSHAKES_PER_SECOND_PER_SOURCE, UNDER_LOAD_AFTER_TIME } from './constants';
import type { DropCounters } from './drops';
import type { DeviceHost } from './host';
import { COOKIE_REPLY_SIZE } from './messages';
import { SourceRateLimiter } from './ratelimiter';

export class Admission {
  private readonly checker: CookieChecker;
  private readonly limiter: SourceRateLimiter;
  private readonly reply = new Uint8Array(COOKIE_REPLY_SIZE);
  private windowStart = -Infinity;
  private count = 0;
  private underLoadUntil = -Infinity;
  private lastCookieEventAt = -Infinity;

  constructor(
    publicKey: Uint8Array,
    aead: ChaChaPoly,
    sourceSlots: number,
    private readonly underLoadPerSecond: number,
    private readonly host: DeviceHost,
    private readonly drops: DropCounters,
  ) {
    this.checker = new CookieChecker(publicKey, aead);
    this.limiter = new SourceRateLimiter(HANDSHAKES_PER_SECOND_PER_SOURCE, HANDSHAKE_BURST_PER_SOURCE, sourceSlots);
  }

  /** True if the initiation or response in data[0, len) may be processed. */
  admit(now: number, data: Uint8Array, len: number, address: string, port: number): boolean {
    if (!this.checker.checkMac1(data, len)) {
      this.drops.mac1++;
      return false;
    }
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.count = 0;
    }
    if (++this.count > this.underLoadPerSecond) this.underLoadUntil = now + UNDER_LOAD_AFTER_TIME;
    if (now >= this.underLoadUntil) return true;
    if (!this.checker.checkMac2(now, data, len, address, port)) {
      // A 64-byte cookie reply to a 92- or 148-byte message: never an amplifier.
      const n = this.checker.createReply(now, data, len, address, port, this.host.random, this.reply);
      this.host.send(this.reply, n, address, port);
      this.drops.cookieRequired++;
      if (now - this.lastCookieEventAt >= 1000) {
        this.lastCookieEventAt = now;
        this.host.event({ name: 'cookie-sent', peer: -1, publicKey: '', time: now, detail: `${address}:${port}` });
      }
      return false;
    }
    if (!this.limiter.allow(now, address, port)) {
      this.drops.rateLimited++;
      return false;
    }
    return true;
  }
}
