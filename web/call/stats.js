// Reads what the connection indicator and the device check need from RTCPeerConnection.getStats():
// video frames decoded (the picture really arrives), the round-trip time of the selected
// candidate pair, and whom that pair talks to (it must be the SFU, never another browser).

/** A summary of `pc.getStats()`. Never throws: a closed connection gives empty figures. */
export async function readStats(pc) {
  const summary = {
    framesDecoded: 0,
    framesReceived: 0,
    packetsLost: 0,
    packetsReceived: 0,
    rttMs: null,
    remote: null,
    local: null,
    outgoingKbps: null,
  };
  let report;
  try {
    report = await pc.getStats();
  } catch {
    return summary;
  }
  let pair = null;
  const byId = new Map();
  report.forEach((stat) => {
    byId.set(stat.id, stat);
    if (stat.type === 'inbound-rtp') {
      summary.packetsLost += stat.packetsLost ?? 0;
      summary.packetsReceived += stat.packetsReceived ?? 0;
      if (stat.kind === 'video') {
        summary.framesDecoded += stat.framesDecoded ?? 0;
        summary.framesReceived += stat.framesReceived ?? 0;
      }
    }
    if (stat.type === 'transport' && stat.selectedCandidatePairId) pair = stat.selectedCandidatePairId;
  });
  // Without a transport report (older browsers), the nominated pair that succeeded.
  let selected = pair ? byId.get(pair) : null;
  if (!selected) {
    report.forEach((stat) => {
      if (stat.type === 'candidate-pair' && stat.nominated && stat.state === 'succeeded') selected = stat;
    });
  }
  if (selected) {
    if (typeof selected.currentRoundTripTime === 'number') summary.rttMs = Math.round(selected.currentRoundTripTime * 1000);
    if (typeof selected.availableOutgoingBitrate === 'number') summary.outgoingKbps = Math.round(selected.availableOutgoingBitrate / 1000);
    const remote = byId.get(selected.remoteCandidateId);
    const local = byId.get(selected.localCandidateId);
    if (remote) summary.remote = { address: remote.address ?? remote.ip, port: remote.port, protocol: remote.protocol, type: remote.candidateType };
    if (local) summary.local = { address: local.address ?? local.ip, port: local.port, protocol: local.protocol, type: local.candidateType };
  }
  return summary;
}

/**
 * The quality the indicator shows, from the round-trip time and the share of lost packets since
 * the previous reading: `good`, `fair` or `poor`.
 */
export function quality(now, before) {
  const received = now.packetsReceived - (before?.packetsReceived ?? 0);
  const lost = now.packetsLost - (before?.packetsLost ?? 0);
  const lossRate = received + lost > 0 ? lost / (received + lost) : 0;
  const rtt = now.rttMs ?? 0;
  if (rtt > 400 || lossRate > 0.1) return 'poor';
  if (rtt > 150 || lossRate > 0.03) return 'fair';
  return 'good';
}
