/**
 * The XS side of tests/cross-engine.test.ts: bundled with esbuild and
 * evaluated once in an xsnap worker, it installs `globalThis.__homewardCross`,
 * which the test calls through later evaluations. Each method takes its
 * argument as JSON text (the test writes it into the script as a string
 * literal) and returns JSON bytes as an ArrayBuffer, which the worker sends
 * back as the evaluation's reply. Nothing here runs on Node.
 */
import { CrossEndpoint, type EndpointSetup, type Request } from './cross-endpoint';

const endpoint = new CrossEndpoint();

function encode(value: unknown): ArrayBuffer {
  return new TextEncoder().encode(JSON.stringify(value)).buffer as ArrayBuffer;
}

const cross = {
  /** Boots (or reboots) the Device; replies `true` so the test sees the call completed. */
  start(setup: string): ArrayBuffer {
    endpoint.start(JSON.parse(setup) as EndpointSetup);
    return encode(true);
  },
  stop(): ArrayBuffer {
    endpoint.stop();
    return encode(true);
  },
  run(request: string): ArrayBuffer {
    return encode(endpoint.run(JSON.parse(request) as Request));
  },
};

(globalThis as unknown as { __homewardCross: typeof cross }).__homewardCross = cross;
