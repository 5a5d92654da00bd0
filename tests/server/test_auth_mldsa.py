"""test_auth_mldsa.py — ML-DSA-signed access tokens and the Argon2id parameters, end to end
(docs/authentication.md, "ML-DSA access tokens"; docs/configuration.md, [passwords]).

A server with jwt.algorithm = "ML-DSA-65": its key pair appears in the data directory at start
(jwt-mldsa65.key mode 600, 32 bytes; jwt-mldsa65.pub mode 644, 1952 bytes); login gives a JWS
with header {"alg":"ML-DSA-65","typ":"JWT"} and a 3309-byte signature that `nqdb pqc mldsa65
verify` accepts with the .pub file over the signing input (empty context); the token works,
refreshes (into another ML-DSA token) and is revoked by logout. Refused: an HS256 token made
with the data directory's own jwt.secret (alg confusion), a token signed by another ML-DSA key,
alg none, an ML-DSA-87 header; the same forged claims signed with the server's own key are
accepted (so each refusal is about the key or the algorithm, not the forging). A second server
with ML-DSA-87 issues ML-DSA-87 tokens and refuses the first server's ML-DSA-65 ones.
`nqdb generate-jwt-secret --algorithm ML-DSA-65` makes the pair once and refuses to overwrite.
The [passwords] keys: `nqdb user create --config` hashes with them, and the server re-hashes a
password made with other parameters at the first successful login (read back from auth.db
with `nqdb sql` after the server stopped).
"""

import base64
import hashlib
import hmac
import json
import os
import shutil
import stat
import tempfile
import time
import unittest

import nqserver
from nqserver import API, Server, ServerTestCase, run


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def b64url_dec(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def parts(tok):
    h, p, s = tok.split(".")
    return json.loads(b64url_dec(h)), json.loads(b64url_dec(p)), b64url_dec(s)


def bearer(tok):
    return {"Authorization": "Bearer " + tok}


def enc(obj):
    return b64url(json.dumps(obj, separators=(",", ":")).encode())


def pqc(level, *args):
    """nqdb pqc mldsaNN ... --json -> dict (exit 0 required)."""
    rc, so, se = run(["pqc", "mldsa%d" % level] + list(args) + ["--json"])
    if rc != 0:
        raise AssertionError("nqdb pqc failed (%d): %s %s" % (rc, so, se))
    return json.loads(so)


def mldsa_token(level, sk_hex, header, payload):
    """A JWS signed with ML-DSA (empty context) by the secret key sk_hex, via the CLI."""
    si = enc(header) + "." + enc(payload)
    sig = pqc(level, "sign", "--sk", sk_hex, "--msg", si.encode().hex())["sig"]
    return si + "." + b64url(bytes.fromhex(sig))


class MldsaTokenTest(ServerTestCase):
    config = {"jwt": {"algorithm": "ML-DSA-65"}}
    users = [("alice", "alice-password", "read,write"), ("boss", "boss-password", "admin,read")]

    def login(self, user, password):
        r = self.server.post(API + "/auth/login", {"username": user, "password": password}, key=None)
        self.assertEnvelope(r, 200)
        return r.data

    def ok(self, tok):
        r = self.server.request("POST", API + "/query", {"query": "SELECT 1 AS x"}, key=None,
                                headers=bearer(tok))
        return r.status

    def server_sk(self):
        with open(os.path.join(self.server.data_dir, "jwt-mldsa65.key"), "rb") as f:
            seed = f.read()
        self.assertEqual(len(seed), 32)
        return pqc(65, "keygen", "--seed", seed.hex())

    def test_key_files(self):
        d = self.server.data_dir
        st = os.stat(os.path.join(d, "jwt-mldsa65.key"))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o600)
        self.assertEqual(st.st_size, 32)
        st = os.stat(os.path.join(d, "jwt-mldsa65.pub"))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o644)
        self.assertEqual(st.st_size, 1952)
        with open(os.path.join(d, "jwt-mldsa65.pub"), "rb") as f:
            self.assertEqual(f.read().hex(), self.server_sk()["pk"])

    def test_token_verifies_with_the_pub_file(self):
        tok = self.login("alice", "alice-password")["access_token"]
        hdr, pay, sig = parts(tok)
        self.assertEqual(hdr, {"alg": "ML-DSA-65", "typ": "JWT"})
        self.assertEqual(pay["sub"], "alice")
        self.assertEqual(sorted(pay["permissions"]), ["read", "write"])
        self.assertEqual(len(sig), 3309)
        with open(os.path.join(self.server.data_dir, "jwt-mldsa65.pub"), "rb") as f:
            pk = f.read().hex()
        si = tok.rsplit(".", 1)[0].encode()
        rc, so, se = run(["pqc", "mldsa65", "verify", "--pk", pk, "--msg", si.hex(), "--sig", sig.hex()])
        self.assertEqual(rc, 0, so + se)
        # one changed byte of the signing input: not verified
        bad = bytearray(si)
        bad[-1] ^= 1
        rc, so, se = run(["pqc", "mldsa65", "verify", "--pk", pk, "--msg", bytes(bad).hex(), "--sig",
                          sig.hex()])
        self.assertEqual(rc, 1, so + se)

    def test_quantum_enabled_login(self):
        # the upstream login flag asks for quantum-resistant tokens: this server issues them
        r = self.server.post(API + "/auth/login", {"username": "alice", "password": "alice-password",
                                                   "quantum_enabled": True}, key=None)
        d = self.assertEnvelope(r, 200)["data"]
        self.assertEqual(parts(d["access_token"])[0]["alg"], "ML-DSA-65")
        self.assertEqual(self.ok(d["access_token"]), 200)

    def test_use_refresh_logout(self):
        s = self.server
        d = self.login("alice", "alice-password")
        self.assertEqual(self.ok(d["access_token"]), 200)
        r = s.post(API + "/auth/refresh", {"refresh_token": d["refresh_token"]}, key=None)
        d1 = self.assertEnvelope(r, 200)["data"]
        self.assertEqual(parts(d1["access_token"])[0]["alg"], "ML-DSA-65")
        self.assertNotEqual(d1["access_token"], d["access_token"])
        self.assertEqual(self.ok(d1["access_token"]), 200)
        # the used refresh token again: the family is revoked
        r = s.post(API + "/auth/refresh", {"refresh_token": d["refresh_token"]}, key=None)
        self.assertEnvelope(r, 401, "Unauthorized")
        d2 = self.login("alice", "alice-password")
        r = s.request("POST", API + "/auth/logout", {"refresh_token": d2["refresh_token"]}, key=None,
                      headers=bearer(d2["access_token"]))
        self.assertEnvelope(r, 200)
        self.assertEqual(self.ok(d2["access_token"]), 401)
        self.assertEnvelope(s.post(API + "/auth/refresh", {"refresh_token": d2["refresh_token"]},
                                   key=None), 401, "Unauthorized")

    def test_forged_tokens(self):
        d = self.login("alice", "alice-password")
        hdr, pay, _ = parts(d["access_token"])
        now = int(time.time())
        # claims that would make alice an admin
        evil = dict(pay, permissions=["admin", "read", "write"], jti="ab" * 16, iat=now)
        mine = self.server_sk()["sk"]
        # positive control: with the server's own key the forged claims are accepted (the
        # permissions are capped by the user's, so this is no escalation), so the refusals
        # below are about the key or the algorithm only
        self.assertEqual(self.ok(mldsa_token(65, mine, hdr, evil)), 200)
        other = pqc(65, "keygen", "--seed", "11" * 32)["sk"]
        self.assertEqual(self.ok(mldsa_token(65, other, hdr, evil)), 401)
        # HS256 with the data directory's own HS256 secret (alg confusion)
        with open(os.path.join(self.server.data_dir, "jwt.secret"), "rb") as f:
            secret = f.read().strip()
        si = enc({"alg": "HS256", "typ": "JWT"}) + "." + enc(evil)
        hs = si + "." + b64url(hmac.new(secret, si.encode(), hashlib.sha256).digest())
        self.assertEqual(self.ok(hs), 401)
        # alg none; ML-DSA-87 / HS256 headers over a genuine ML-DSA-65 signature
        self.assertEqual(self.ok(enc({"alg": "none"}) + "." + enc(evil) + "."), 401)
        self.assertEqual(self.ok(mldsa_token(65, mine, dict(hdr, alg="ML-DSA-87"), evil)), 401)
        self.assertEqual(self.ok(mldsa_token(65, mine, dict(hdr, alg="HS256"), evil)), 401)
        # the genuine token with its signature cut short, or with another payload
        tok = d["access_token"]
        self.assertEqual(self.ok(tok[:-4]), 401)
        h, p, sg = tok.split(".")
        self.assertEqual(self.ok(h + "." + enc(evil) + "." + sg), 401)
        self.assertEqual(self.ok(tok), 200)

    def test_mldsa87_server(self):
        mine = self.login("alice", "alice-password")["access_token"]
        s87 = Server({"jwt": {"algorithm": "ML-DSA-87"}}, users=[("carol", "carol-password", "read")],
                     name="mldsa87")
        try:
            s87.start()
            r = s87.post(API + "/auth/login", {"username": "carol", "password": "carol-password"},
                         key=None)
            self.assertEnvelope(r, 200)
            tok = r.data["access_token"]
            hdr, _, sig = parts(tok)
            self.assertEqual(hdr["alg"], "ML-DSA-87")
            self.assertEqual(len(sig), 4627)
            for t, want in ((tok, 200), (mine, 401)):
                q = s87.request("POST", API + "/query", {"query": "SELECT 1 AS x"}, key=None,
                                headers=bearer(t))
                self.assertEqual(q.status, want, q)
            self.assertEqual(os.path.getsize(os.path.join(s87.data_dir, "jwt-mldsa87.pub")), 2592)
        finally:
            s87.stop()
            s87.cleanup()


class KeyCommandTest(unittest.TestCase):
    def test_generate_jwt_secret_mldsa(self):
        if not nqserver.NQDB:
            raise unittest.SkipTest("NQDB does not name the nqdb binary")
        root = tempfile.mkdtemp(prefix="nq-e2e-gen-", dir=nqserver.TMP_ROOT)
        self.addCleanup(shutil.rmtree, root, True)
        d = os.path.join(root, "data")
        rc, so, se = run(["generate-jwt-secret", "--algorithm", "ML-DSA-65", "--data", d])
        self.assertEqual(rc, 0, so + se)
        self.assertIn("jwt-mldsa65.pub", so)
        self.assertIn('algorithm = "ML-DSA-65"', so)
        with open(os.path.join(d, "jwt-mldsa65.key"), "rb") as f:
            seed = f.read()
        rc, so, se = run(["generate-jwt-secret", "--algorithm", "ML-DSA-65", "--data", d])
        self.assertEqual(rc, 2, so + se)
        self.assertIn("exists already", se)
        with open(os.path.join(d, "jwt-mldsa65.key"), "rb") as f:
            self.assertEqual(f.read(), seed)  # never overwritten
        rc, so, se = run(["generate-jwt-secret", "--algorithm", "RS256", "--data", d])
        self.assertEqual(rc, 2, so + se)
        rc, so, se = run(["generate-jwt-secret", "--algorithm", "HS256"])
        self.assertEqual(rc, 0, so + se)
        self.assertIn("secret = ", so)


class PasswordsConfigTest(unittest.TestCase):
    def stored_hash(self, s, user):
        rc, so, se = run(["sql", os.path.join(s.data_dir, "auth.db"),
                          "SELECT password FROM users WHERE name = '%s'" % user, "--format", "json"])
        self.assertEqual(rc, 0, so + se)
        self.assertIn("$argon2id$", so)
        return so

    def test_parameters_and_rehash(self):
        s = Server({"passwords": {"argon2_memory_kib": 2048, "argon2_iterations": 1,
                                  "argon2_parallelism": 2}},
                   users=[("dora", "dora-password", "read")], name="argon2")
        try:
            s.start()
            cfg = s.write_config()
            s.stop()
            # the harness made dora with the built-in defaults (no --config)
            self.assertIn("$argon2id$v=19$m=19456,t=2,p=1$", self.stored_hash(s, "dora"))
            rc, so, se = run(["user", "create", "erin", "--data", s.data_dir, "--config", cfg,
                              "--password-stdin"], input="erin-password\n")
            self.assertEqual(rc, 0, so + se)
            self.assertIn("$argon2id$v=19$m=2048,t=1,p=2$", self.stored_hash(s, "erin"))
            s.start()
            for u in ("dora", "erin"):
                r = s.post(API + "/auth/login", {"username": u, "password": u + "-password"}, key=None)
                self.assertEqual(r.status, 200, r)
            r = s.post(API + "/auth/login", {"username": "dora", "password": "wrong-password"}, key=None)
            self.assertEqual(r.status, 401, r)
            s.stop()
            # dora's hash was re-made with the configured parameters at her login
            self.assertIn("$argon2id$v=19$m=2048,t=1,p=2$", self.stored_hash(s, "dora"))
            s.start()
            r = s.post(API + "/auth/login", {"username": "dora", "password": "dora-password"}, key=None)
            self.assertEqual(r.status, 200, r)
        finally:
            if s.alive():
                s.stop()
            s.cleanup()


if __name__ == "__main__":
    nqserver.main()
