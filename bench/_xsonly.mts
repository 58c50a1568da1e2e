import { benchXs } from '/work/main/bench/xs.ts';
const r = await benchXs();
console.log(r.table.join('\n'));
const x: any = r.results;
console.log(JSON.stringify({h: x.handshakeComputrons, x: x.x25519Computrons, hx: x.homewardX25519Computrons, r: x.handshakeOverX25519, rh: x.handshakeOverHomewardX25519, ps: x.handshakeComputronsPerSide, bpp: x.bytesPerPeer, br: x.breakdown}));
