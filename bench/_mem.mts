import { benchXsMemory } from './xs.ts';
const r: any = await benchXsMemory();
console.log(JSON.stringify({ bytesPerPeer: r.bytesPerPeer, breakdown: r.breakdown, slots: r.breakdownSlots, buf: r.breakdownBufferBytes, set: [r.slotBytesPerSessionSet, r.bufferBytesPerSessionSet], g0: r.gatewaySlots0Peers, g8: r.gatewaySlots8Peers }));
