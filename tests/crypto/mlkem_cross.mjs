// mlkem_cross.mjs — the oracle side of the ML-KEM cross-check (docs/security.md).
//
//   mlkem_vectors K COUNT | node mlkem_cross.mjs NOBLE_DIR
//
// Reads the JSON lines of tests/crypto/mlkem_vectors.c and recomputes every value with the
// independent implementation @noble/post-quantum (installed in NOBLE_DIR by noble.sh):
// keygen(seed) must give the same ek and dk, encapsulate(ek, m) the same ct and shared secret,
// decapsulate the same secret for the real and for the tampered ciphertext (implicit
// rejection), and noble must reject exactly the inputs the C code rejected (bad modulus, bad
// hash, short ek, short ct). Stops at the first difference, naming the case, the field and the
// first differing byte. Exit 0 all equal, 1 a difference, 2 usage.
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node mlkem_cross.mjs NOBLE_DIR < vectors.jsonl');
  process.exit(2);
}
const mod = await import(
  pathToFileURL(join(dir, 'node_modules/@noble/post-quantum/ml-kem.js')).href);
const kems = { 2: mod.ml_kem512, 3: mod.ml_kem768, 4: mod.ml_kem1024 };

const fromHex = (h) => Uint8Array.from(Buffer.from(h, 'hex'));
const toHex = (b) => Buffer.from(b).toString('hex');

function fail(c, field, msg) {
  console.error(`mlkem_cross: ML-KEM k=${c.k} case ${c.i}: ${field}: ${msg}`);
  process.exit(1);
}

function same(c, field, want, got) {
  const w = want, g = toHex(got);
  if (w === g) return;
  let i = 0;
  while (i < w.length && w[i] === g[i]) i++;
  const byte = i >> 1;
  fail(c, field, `first difference at byte ${byte} of ${w.length / 2}: ` +
    `C ${w.slice(2 * byte, 2 * byte + 16)}..., noble ${g.slice(2 * byte, 2 * byte + 16)}...`);
}

function rejects(c, field, fn) {
  let threw = false;
  try { fn(); } catch { threw = true; }
  if (!threw) fail(c, field, 'C rejected this input, noble accepted it');
}

let n = 0;
const counts = {};
const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of rl) {
  if (!line.trim()) continue;
  const c = JSON.parse(line);
  const kem = kems[c.k];
  if (!kem) fail(c, 'k', 'unknown rank');
  const { publicKey, secretKey } = kem.keygen(fromHex(c.seed));
  same(c, 'ek', c.ek, publicKey);
  same(c, 'dk', c.dk, secretKey);
  const { cipherText, sharedSecret } = kem.encapsulate(fromHex(c.ek), fromHex(c.m));
  same(c, 'ct', c.ct, cipherText);
  same(c, 'ss', c.ss, sharedSecret);
  same(c, 'ss_dec', c.ss_dec, kem.decapsulate(fromHex(c.ct), fromHex(c.dk)));
  same(c, 'ss_bad (implicit rejection)', c.ss_bad,
    kem.decapsulate(fromHex(c.ct_bad), fromHex(c.dk)));
  if (c.ek_bad_rc >= 0) fail(c, 'ek_bad_rc', 'C accepted an ek with a coefficient >= q');
  rejects(c, 'ek_bad (modulus check)', () => kem.encapsulate(fromHex(c.ek_bad), fromHex(c.m)));
  if (c.dk_bad_rc >= 0) fail(c, 'dk_bad_rc', 'C accepted a dk failing the hash check');
  rejects(c, 'dk_bad (hash check)', () => kem.decapsulate(fromHex(c.ct), fromHex(c.dk_bad)));
  if (c.ek_short_rc >= 0) fail(c, 'ek_short_rc', 'C accepted a short ek');
  rejects(c, 'ek_short', () => kem.encapsulate(fromHex(c.ek).subarray(1), fromHex(c.m)));
  if (c.ct_short_rc >= 0) fail(c, 'ct_short_rc', 'C accepted a short ciphertext');
  rejects(c, 'ct_short', () => kem.decapsulate(fromHex(c.ct).subarray(1), fromHex(c.dk)));
  counts[c.k] = (counts[c.k] || 0) + 1;
  n++;
}
if (n === 0) {
  console.error('mlkem_cross: no cases on stdin');
  process.exit(1);
}
const names = { 2: 'ML-KEM-512', 3: 'ML-KEM-768', 4: 'ML-KEM-1024' };
console.log('mlkem_cross: ' + Object.entries(counts).map(([k, v]) => `${names[k]} ${v} cases`)
  .join(', ') + ' byte-identical to @noble/post-quantum (keygen, encaps, decaps, implicit ' +
  'rejection) and the same inputs rejected');
