// jwt_mldsa_cross.mjs — the @noble/post-quantum side of the ML-DSA JWT cross-check
// (jwt_mldsa_cross.sh; docs/authentication.md, "ML-DSA access tokens").
//
//   node jwt_mldsa_cross.mjs NOBLE_DIR DATA_DIR LEVEL < tokens-from-the-server's-encoder
//
// With noble and the key files of DATA_DIR only:
//   - noble's keygen(seed of jwt-mldsaLEVEL.key).publicKey must be jwt-mldsaLEVEL.pub byte for byte;
//   - every token: three base64url parts, header exactly {"alg":"ML-DSA-LEVEL","typ":"JWT"},
//     claims with sub, jti, iat, exp, permissions; the signature of mldsa_sig_bytes verifies
//     over the ASCII signing input with the EMPTY context; it does not verify with another
//     context, over a changed signing input, or with a changed signature byte;
//   - then prints, for the C verifier, tokens noble signs with the same key: genuine ones
//     ("ok TOKEN") and broken ones ("refused TOKEN": signed with context "nqdb", another key,
//     another alg in the header, a changed payload after signing).
// Problems go to stderr; exit 1 on any, or when no token was read.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [dir, data, levelArg] = process.argv.slice(2);
if (!dir || !data || !levelArg) {
  console.error('usage: node jwt_mldsa_cross.mjs NOBLE_DIR DATA_DIR LEVEL < tokens');
  process.exit(2);
}
const level = Number(levelArg);
const mod = await import(pathToFileURL(join(dir, 'node_modules/@noble/post-quantum/ml-dsa.js')).href);
const a = { 65: mod.ml_dsa65, 87: mod.ml_dsa87 }[level];
if (!a) throw new Error(`unsupported level ${level}`);
const alg = `ML-DSA-${level}`;
const sigBytes = { 65: 3309, 87: 4627 }[level];

let bad = 0;
const fail = (what) => {
  bad++;
  if (bad <= 20) console.error(`MISMATCH ${what}`);
};
const b64u = (b) => Buffer.from(b).toString('base64url');
const unb64u = (s) => {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) throw new Error('not base64url');
  return Uint8Array.from(Buffer.from(s, 'base64url'));
};
const ok = (f) => {
  try {
    return f() === true;
  } catch {
    return false;
  }
};

const seed = readFileSync(join(data, `jwt-mldsa${level}.key`));
const pub = Uint8Array.from(readFileSync(join(data, `jwt-mldsa${level}.pub`)));
if (seed.length !== 32) fail(`key file holds ${seed.length} bytes, not a 32-byte seed`);
const { publicKey, secretKey } = a.keygen(Uint8Array.from(seed));
if (Buffer.compare(Buffer.from(publicKey), Buffer.from(pub)) !== 0)
  fail('noble keygen(seed).publicKey differs from the .pub file');

const empty = new Uint8Array(0);
const tokens = readFileSync(0, 'utf8').split('\n').filter((l) => l.trim() !== '');
let n = 0;
for (const tok of tokens) {
  n++;
  const p = tok.split('.');
  if (p.length !== 3) {
    fail(`token ${n}: ${p.length} parts`);
    continue;
  }
  const header = Buffer.from(unb64u(p[0])).toString();
  if (header !== `{"alg":"${alg}","typ":"JWT"}`) fail(`token ${n}: header ${header}`);
  const claims = JSON.parse(Buffer.from(unb64u(p[1])).toString());
  for (const k of ['sub', 'jti', 'iat', 'exp', 'permissions'])
    if (!(k in claims)) fail(`token ${n}: no ${k} claim`);
  const sig = unb64u(p[2]);
  if (sig.length !== sigBytes) fail(`token ${n}: signature of ${sig.length} bytes`);
  if (b64u(sig) !== p[2]) fail(`token ${n}: signature text is not canonical base64url`);
  const si = new TextEncoder().encode(`${p[0]}.${p[1]}`);
  if (!ok(() => a.verify(sig, si, pub, { context: empty }))) fail(`token ${n}: noble does not verify it`);
  if (ok(() => a.verify(sig, si, pub, { context: new TextEncoder().encode('nqdb') })))
    fail(`token ${n}: verifies under a non-empty context`);
  const si2 = si.slice();
  si2[n % si2.length] ^= 1;
  if (ok(() => a.verify(sig, si2, pub, { context: empty }))) fail(`token ${n}: a changed input verifies`);
  const sig2 = sig.slice();
  sig2[(n * 97) % sig2.length] ^= 0x10;
  if (ok(() => a.verify(sig2, si, pub, { context: empty }))) fail(`token ${n}: a changed signature verifies`);
}
if (n === 0) fail('no tokens read');

// noble-signed tokens for the C verifier
const now = Math.floor(Date.now() / 1000);
const other = a.keygen(new Uint8Array(32).fill(0x5a));
const make = (hdr, claims, sk, ctx, tamper) => {
  const h = b64u(new TextEncoder().encode(JSON.stringify(hdr)));
  const c = b64u(new TextEncoder().encode(JSON.stringify(claims)));
  const si = new TextEncoder().encode(`${h}.${c}`);
  const sig = a.sign(si, sk, { context: ctx, extraEntropy: false });
  const c2 = tamper ? b64u(new TextEncoder().encode(JSON.stringify({ ...claims, sub: 'mallory' }))) : c;
  return `${h}.${c2}.${b64u(sig)}`;
};
const out = [];
for (let i = 0; i < 8; i++) {
  const claims = { sub: `noble-${i}`, jti: 'ab'.repeat(16), iat: now, exp: now + 600 + i,
                   permissions: ['read'], ...(i % 2 ? { iss: 'x', aud: 'y' } : {}) };
  out.push(`ok ${make({ alg, typ: 'JWT' }, claims, secretKey, empty, false)}`);
  if (i === 0) out.push(`ok ${make({ alg }, claims, secretKey, empty, false)}`);
  out.push(`refused ${make({ alg, typ: 'JWT' }, claims, secretKey, new TextEncoder().encode('nqdb'), false)}`);
  out.push(`refused ${make({ alg, typ: 'JWT' }, claims, other.secretKey, empty, false)}`);
  out.push(`refused ${make({ alg: level === 65 ? 'ML-DSA-87' : 'ML-DSA-65', typ: 'JWT' }, claims, secretKey, empty, false)}`);
  out.push(`refused ${make({ alg, typ: 'JWT' }, claims, secretKey, empty, true)}`);
}
console.log(out.join('\n'));
console.error(`${n} server tokens checked with noble (${level}); ${out.length} noble tokens for the C verifier; ${bad} mismatches`);
process.exit(bad ? 1 : 0);
