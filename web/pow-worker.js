// The booking's proof of work, off the page's main thread (see api/src/booking/pow.rs): find a
// nonce (decimal digits, counting up from 0, like `solve()` there) such that
// SHA-256("<challenge>:<nonce>") starts with `bits` zero bits. Hashes in batches with
// crypto.subtle and reports progress after each batch: `{ progress: tried, expected }`, then
// `{ nonce, tried }`.

const BATCH = 512;
const encoder = new TextEncoder();

function leadingZeroBits(bytes) {
  let count = 0;
  for (const byte of bytes) {
    if (byte === 0) {
      count += 8;
    } else {
      count += Math.clz32(byte) - 24;
      break;
    }
  }
  return count;
}

self.onmessage = async ({ data: { challenge, bits } }) => {
  const expected = 2 ** bits;
  for (let start = 0; ; start += BATCH) {
    const digests = await Promise.all(
      Array.from({ length: BATCH }, (_, i) => crypto.subtle.digest('SHA-256', encoder.encode(`${challenge}:${start + i}`))),
    );
    const hit = digests.findIndex((digest) => leadingZeroBits(new Uint8Array(digest)) >= bits);
    if (hit >= 0) {
      self.postMessage({ nonce: String(start + hit), tried: start + hit + 1 });
      return;
    }
    self.postMessage({ progress: start + BATCH, expected });
  }
};
