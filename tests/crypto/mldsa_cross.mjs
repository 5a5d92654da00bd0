// mldsa_cross.mjs — the @noble/post-quantum side of the ML-DSA cross-check (docs/security.md).
//
//   node mldsa_cross.mjs NOBLE_DIR < lines-from-mldsa_vectors
//
// For every JSON line printed by tests/crypto/mldsa_vectors.c it recomputes, with noble's
// ml_dsa44/65/87, keygen(ξ), sign(msg, sk, {context, extraEntropy: false}) (deterministic),
// sign(..., {extraEntropy: rnd}) (hedged with the same rnd), internal.sign(M', sk,
// {extraEntropy: rnd}) and every verification verdict (genuine signature; tampered signature,
// message, context, public key; internal verify), and compares each byte and each verdict
// with the C library's. Prints one line per mismatch and a summary; exit status 0 only when
// everything agreed (and at least one case was read). Lines without sig_det are keygen-only.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node mldsa_cross.mjs NOBLE_DIR < vectors');
  process.exit(2);
}
const mod = await import(pathToFileURL(join(dir, 'node_modules/@noble/post-quantum/ml-dsa.js')).href);
const algs = { 44: mod.ml_dsa44, 65: mod.ml_dsa65, 87: mod.ml_dsa87 };

const fromHex = (h) => Uint8Array.from(Buffer.from(h, 'hex'));
const toHex = (b) => Buffer.from(b).toString('hex');
// noble throws on some malformed inputs (lengths, a secret key outside [−η, η]); a throw in
// verify is a rejection
const verdict = (f) => {
  try {
    return f() === true;
  } catch {
    return false;
  }
};

const lines = readFileSync(0, 'utf8').split('\n').filter((l) => l.trim() !== '');
let cases = 0, signCases = 0, checks = 0, bad = 0;
const fail = (c, what, detail) => {
  bad++;
  if (bad <= 20) console.log(`MISMATCH level ${c.level} case ${c.case}: ${what}${detail ? ' ' + detail : ''}`);
};
for (const line of lines) {
  const c = JSON.parse(line);
  const a = algs[c.level];
  if (!a) throw new Error(`unknown level ${c.level}`);
  cases++;
  const { publicKey, secretKey } = a.keygen(fromHex(c.xi));
  const same = (what, mine, theirs) => {
    checks++;
    if (mine !== theirs) fail(c, what, `C ${String(mine).slice(0, 64)} noble ${String(theirs).slice(0, 64)}`);
  };
  same('pk', c.pk, toHex(publicKey));
  same('sk', c.sk, toHex(secretKey));
  if (c.sig_det === undefined) continue; // a keygen-only case
  signCases++;
  const msg = fromHex(c.msg), ctx = fromHex(c.ctx), rnd = fromHex(c.rnd);
  same('sig_det', c.sig_det, toHex(a.sign(msg, secretKey, { context: ctx, extraEntropy: false })));
  same('sig_rnd', c.sig_rnd, toHex(a.sign(msg, secretKey, { context: ctx, extraEntropy: rnd })));
  same('int_sig', c.int_sig, toHex(a.internal.sign(msg, secretKey, { extraEntropy: rnd })));
  const pk = fromHex(c.pk), sd = fromHex(c.sig_det);
  same('v_ok', c.v_ok, verdict(() => a.verify(sd, msg, pk, { context: ctx })));
  same('v_tsig', c.v_tsig, verdict(() => a.verify(fromHex(c.tsig), msg, pk, { context: ctx })));
  same('v_tmsg', c.v_tmsg, verdict(() => a.verify(sd, fromHex(c.tmsg), pk, { context: ctx })));
  same('v_tctx', c.v_tctx, verdict(() => a.verify(sd, msg, pk, { context: fromHex(c.tctx) })));
  same('v_tpk', c.v_tpk, verdict(() => a.verify(sd, msg, fromHex(c.tpk), { context: ctx })));
  same('v_int', c.v_int, verdict(() => a.internal.verify(fromHex(c.int_sig), msg, pk)));
  // the genuine signatures must verify and every tampered one must not, in both libraries
  checks++;
  if (!(c.v_ok && c.v_int && !c.v_tsig && !c.v_tmsg && !c.v_tctx && !c.v_tpk))
    fail(c, 'verdicts', `ok ${c.v_ok} int ${c.v_int} tsig ${c.v_tsig} tmsg ${c.v_tmsg} tctx ${c.v_tctx} tpk ${c.v_tpk}`);
}
console.log(`mldsa_cross: ${cases} key pairs, ${signCases} with signatures, ${checks} comparisons, ${bad} mismatches`);
process.exit(bad === 0 && cases > 0 ? 0 : 1);
