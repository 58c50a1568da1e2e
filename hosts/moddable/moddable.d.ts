/**
 * Ambient declarations for the few Moddable SDK modules and XS globals the
 * firmware uses, written for this project from the documented APIs (checked
 * on the simulator), not taken from the SDK's own typings. Only what homeward calls is declared.
 *
 * main.ts references this file, so `npm run typecheck` (no SDK) checks the
 * firmware too. Under mcconfig, the generated tsconfig maps every SDK module
 * name to the SDK's own typings through `paths`; those declare the same
 * modules and clash with these ("Duplicate identifier 'default'"). So the
 * manifest's `typescript` section sets `paths: {}` (mcconfig assigns it over
 * the generated one) and `skipLibCheck: true` (the SDK's xs.d.ts, still
 * loaded through `types`, declares `trace` as a const, this file as a
 * function). Our .ts files are still fully type-checked by mcconfig's tsc.
 */

declare module 'embedded:io/socket/udp' {
  /** What read() returns: a new ArrayBuffer carrying the sender. */
  export interface UdpDatagram extends ArrayBuffer {
    readonly address: string;
    readonly port: number;
  }

  export interface UdpOptions {
    /** Local port to bind; omitted: the OS picks one at the first write. */
    port?: number;
    /** `count` datagrams are waiting. */
    onReadable?: (this: UDP, count: number) => void;
    onError?: (this: UDP) => void;
  }

  /** ECMA-419 UDP socket. */
  export default class UDP {
    constructor(options: UdpOptions);
    /** The next datagram, or undefined when none is queued. Allocates a new ArrayBuffer. */
    read(): UdpDatagram | undefined;
    /** Sends the whole of `data`; throws on failure. */
    write(data: ArrayBuffer | ArrayBufferView, address: string, port: number): void;
    close(): void;
  }
}

declare module 'timer' {
  /** An opaque timer handle. */
  export interface TimerHandle {
    readonly __homewardTimer: never;
  }

  const Timer: {
    /** Calls `callback` after `delay` ms, then every `repeat` ms if given. */
    set(callback: (timer: TimerHandle) => void, delay?: number, repeat?: number): TimerHandle;
    /** Re-arms an existing timer without allocating; with no delay, unschedules it. */
    schedule(timer: TimerHandle, delay?: number, repeat?: number): void;
    clear(timer: TimerHandle): void;
  };
  export default Timer;
}

declare module 'time' {
  const Time: {
    /** Milliseconds of a monotonic clock; wraps as a signed 32-bit value on microcontrollers. */
    readonly ticks: number;
    /** end - start (end defaults to now), wrap-aware. */
    delta(start: number, end?: number): number;
  };
  export default Time;
}

declare module 'preference' {
  export type PreferenceValue = string | number | boolean | ArrayBuffer;
  /**
   * Persistent key/value storage (NVS on ESP32: keys of at most 15
   * characters, values of at most 4000 bytes, numbers stored as int32).
   */
  const Preference: {
    set(domain: string, key: string, value: PreferenceValue): void;
    get(domain: string, key: string): PreferenceValue | undefined;
    delete(domain: string, key: string): void;
    keys(domain: string): string[];
  };
  export default Preference;
}

declare module 'mc/config' {
  /** The manifest's `config`, with `key=value` overrides from the mcconfig command line (strings). */
  const config: { readonly [key: string]: unknown };
  export default config;
}

/** Writes to the debug console (stdout of the simulator). */
declare function trace(...values: unknown[]): void;
/** XS: a host function implemented in C (a manifest `modules` entry names the .c file). */
declare function native(name: string): (...args: any[]) => any;
