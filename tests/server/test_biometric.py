"""test_biometric.py — the EEG biometric routes end to end (docs/api.md "Biometric", docs/security.md
"EEG biometric authentication").

Recordings come from `nqdb biometric synth` (the seeded synthetic EEG of src/biometric/eeg_synth.h:
per-subject spectral signatures, blinks, line noise, clipping), so the server sees the same kind of
data as the evaluation. A template enrolled from three sessions of one synthetic subject must accept
a later session of that subject (also recorded at another sampling rate: the rate is honoured) and
refuse another subject's; the template survives a restart and is stored encrypted (no plaintext in
the data directory, eeg.key mode 0600); a successful verification issues a signed HS256 token for
the user (amr ["eeg"], 5 minutes, the user's permissions) that works on the API, while the same
claims expired or re-signed with another key do not; update, list and revoke work; every kind
of bad input gets a clear 4xx naming the field; attempts per user are limited; and the stored
rows are bound to their users (a row moved to another user does not verify, a deleted user's
template is gone for a new user of the same name; a missing eeg.key is reported, never
replaced).

Synthetic data proves the pipeline, not real-world security."""

import base64
import hashlib
import hmac
import json
import os
import stat
import subprocess
import time

import nqserver
from nqserver import API, ServerTestCase

JWT_SECRET = "e2e-biometric-secret-0123456789abcdefghij"
SEED = 20261124
GENUINE = 3      # the synthetic subject enrolled as alice
IMPOSTOR = 7     # another synthetic subject
_cache = {}


def synth(subject, session, fs=256, seconds=16, channels=2):
    k = (subject, session, fs, seconds, channels)
    if k not in _cache:
        out = subprocess.run([nqserver.NQDB, "biometric", "synth", "--subject", str(subject),
                              "--session", str(session), "--seed", str(SEED), "--fs", str(fs),
                              "--seconds", str(seconds), "--channels", str(channels)],
                             check=True, capture_output=True, timeout=60).stdout
        _cache[k] = json.loads(out)
    return _cache[k]["raw_eeg_data"]


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt_claims(tok):
    return json.loads(b64url_decode(tok.split(".")[1]))


def jwt_sign(payload, secret):
    h = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    p = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = hmac.new(secret.encode(), (h + "." + p).encode(), hashlib.sha256).digest()
    return h + "." + p + "." + b64url(sig)


def bearer(tok):
    return {"Authorization": "Bearer " + tok}


EEG = API + "/biometric/eeg"


class BiometricTest(ServerTestCase):
    config = {"jwt": {"secret": JWT_SECRET}}
    users = [("alice", "alice-password-1", "read,write"),
             ("bob", "bob-password-1", "read"),
             ("carol", "carol-password-1", "read"),
             ("dave", "dave-password-1", "read"),
             ("erin", "erin-password-1", "read")]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.reader = cls.server.generate_key(["read"], name="kiosk")

    def enroll_alice(self):
        r = self.server.post(API + "/biometric/enroll", {
            "user_id": "alice", "sampling_rate": 256, "channels": ["Fz", "Oz"],
            "eeg_samples": [synth(GENUINE, k) for k in range(3)]})
        self.assertEnvelope(r, 200)
        return r

    def authenticate(self, user, subject, session, fs=256, key="admin"):
        return self.server.post(EEG + "/authenticate", {
            "user_id": user, "sampling_rate": fs, "raw_eeg_data": synth(subject, session, fs)},
            key=key)

    def test_1_enroll_authenticate_restart(self):
        d = self.enroll_alice().data
        self.assertEqual(d["user_id"], "alice")
        self.assertEqual(d["enrollment_status"], "completed")
        self.assertEqual(d["enrollment_count"], 3)
        self.assertEqual(d["channels"], 2)
        self.assertTrue(0.5 <= d["template_quality"] <= 1, d)

        # a later session of the same subject: accepted (any authenticated caller may ask)
        r = self.authenticate("alice", GENUINE, 3, key=self.reader)
        self.assertEnvelope(r, 200)
        self.assertIs(r.data["authenticated"], True)
        self.assertGreaterEqual(r.data["similarity_score"], r.data["threshold"])
        self.assertTrue(r.data["timestamp"].endswith("+00:00"))
        self.assertEqual(jwt_claims(r.data["session_token"])["sub"], "alice")
        # another subject: 401 with upstream's text
        r = self.authenticate("alice", IMPOSTOR, 3, key=self.reader)
        self.assertEnvelope(r, 401, "Unauthorized")
        self.assertEqual(r.error["Unauthorized"], "EEG authentication failed: signature mismatch")
        # the rate is honoured: the same subject recorded at 512 Hz
        r = self.authenticate("alice", GENUINE, 4, fs=512)
        self.assertEnvelope(r, 200)

        # /verify answers 200 either way
        r = self.server.post(API + "/biometric/verify", {
            "user_id": "alice", "eeg_sample": synth(IMPOSTOR, 4)}, key=self.reader)
        self.assertEnvelope(r, 200)
        self.assertIs(r.data["verified"], False)
        self.assertNotIn("session_token", r.data)
        self.assertLess(r.data["confidence"], r.data["threshold"])

        # persistence: stop, start, authenticate again
        self.server.restart()
        r = self.authenticate("alice", GENUINE, 5)
        self.assertEnvelope(r, 200)
        r = self.authenticate("alice", IMPOSTOR, 5)
        self.assertEnvelope(r, 401, "Unauthorized")
        r = self.server.get(EEG + "/users")
        self.assertEnvelope(r, 200)
        self.assertIn("alice", r.data)

        # stored encrypted: the key file is private, no plaintext template anywhere
        kp = os.path.join(self.server.data_dir, "eeg.key")
        st = os.stat(kp)
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o600)
        self.assertEqual(st.st_size, 32)
        for name in os.listdir(self.server.data_dir):
            p = os.path.join(self.server.data_dir, name)
            if os.path.isfile(p):
                with open(p, "rb") as f:
                    blob = f.read()
                self.assertNotIn(b"NQEEG1", blob, name)
                self.assertNotIn(b"4e5145454731", blob, name)

    def test_2_token(self):
        if "alice" not in (self.server.get(EEG + "/users").data or []):
            self.enroll_alice()
        t0 = int(time.time())
        r = self.server.post(API + "/biometric/verify", {
            "user_id": "alice", "sampling_rate": 256, "eeg_sample": synth(GENUINE, 3)},
            key=self.reader)
        self.assertEnvelope(r, 200)
        self.assertIs(r.data["verified"], True, r)
        self.assertEqual(r.data["token_type"], "Bearer")
        self.assertEqual(r.data["expires_in"], 300)
        tok = r.data["session_token"]
        c = jwt_claims(tok)
        self.assertEqual(c["sub"], "alice")
        self.assertEqual(c["amr"], ["eeg"])
        self.assertEqual(c["exp"] - c["iat"], 300)
        self.assertLessEqual(abs(c["iat"] - t0), 5)
        self.assertEqual(sorted(c["permissions"]), ["read", "write"])
        # the token works on the API with alice's permissions
        r = self.server.query("SELECT 1 AS one", key=None, headers=bearer(tok))
        self.assertEnvelope(r, 200)
        r = self.server.get(API + "/biometric/eeg/users", key=None, headers=bearer(tok))
        self.assertEnvelope(r, 403, "Forbidden")
        # the same claims expired, or signed with another key, are refused
        old = dict(c, iat=t0 - 7200, exp=t0 - 3600)
        r = self.server.query("SELECT 1", key=None, headers=bearer(jwt_sign(old, JWT_SECRET)))
        self.assertEnvelope(r, 401, "Unauthorized")
        forged = jwt_sign(dict(c, sub="bob"), "another-secret-0123456789abcdefghijklmn")
        r = self.server.query("SELECT 1", key=None, headers=bearer(forged))
        self.assertEnvelope(r, 401, "Unauthorized")
        # (control: the re-signing above is right, a fresh copy with the real key works)
        r = self.server.query("SELECT 1", key=None, headers=bearer(jwt_sign(c, JWT_SECRET)))
        self.assertEnvelope(r, 200)

    def test_3_update_list_revoke(self):
        r = self.server.post(EEG + "/enroll", {"user_id": "carol", "sampling_rate": 256,
                                               "raw_eeg_data": synth(11, 0), "channel": "Fz"})
        self.assertEnvelope(r, 200)
        self.assertIs(r.data["enrolled"], True)
        self.assertEqual(r.data["enrollment_count"], 1)
        self.assertTrue(50 <= r.data["signature_quality"] <= 100, r.data)
        self.assertTrue(r.data["created_at"].endswith("Z"))
        for k in (1, 2):
            r = self.server.post(EEG + "/update", {"user_id": "carol", "sampling_rate": 256,
                                                   "raw_eeg_data": synth(11, k)})
            self.assertEnvelope(r, 200)
            self.assertEqual(r.data, "EEG signature updated for user carol")
        r = self.authenticate("carol", 11, 3)
        self.assertEnvelope(r, 200)
        r = self.server.get(EEG + "/users")
        self.assertIn("carol", r.data)
        self.assertEqual(r.data, sorted(r.data))
        r = self.server.request("DELETE", EEG + "/users/carol")
        self.assertEnvelope(r, 200)
        r = self.authenticate("carol", 11, 3)
        self.assertEnvelope(r, 401, "Unauthorized")
        self.assertEqual(r.error["Unauthorized"],
                         "EEG authentication failed: User signature not found: carol")
        self.assertNotIn("carol", self.server.get(EEG + "/users").data)
        r = self.server.request("DELETE", EEG + "/users/carol")
        self.assertEnvelope(r, 404, "NotFound")
        r = self.server.post(EEG + "/update", {"user_id": "carol", "sampling_rate": 256,
                                               "raw_eeg_data": synth(11, 1)})
        self.assertEnvelope(r, 400, "BadRequest")
        self.assertEqual(r.error["BadRequest"],
                         "Failed to update signature: User signature not found: carol")

    def test_4_permissions(self):
        body = {"user_id": "bob", "sampling_rate": 256, "raw_eeg_data": [0.0] * 10}
        r = self.server.post(EEG + "/enroll", body, key=self.reader)
        self.assertEnvelope(r, 403, "Forbidden")
        self.assertEqual(r.error["Forbidden"], "Admin permission required for EEG enrollment")
        r = self.server.post(EEG + "/enroll", body, key=None)
        self.assertEnvelope(r, 401, "Unauthorized")
        for path in ("/update", "/users/bob"):
            m = "DELETE" if path.startswith("/users") else "POST"
            r = self.server.request(m, EEG + path, body if m == "POST" else None,
                                    key=self.reader)
            self.assertEnvelope(r, 403, "Forbidden")
        r = self.server.get(EEG + "/users", key=self.reader)
        self.assertEnvelope(r, 403, "Forbidden")
        r = self.server.post(API + "/biometric/verify", {"user_id": "bob", "eeg_sample": [1.0]},
                             key=None)
        self.assertEnvelope(r, 401, "Unauthorized")

    def test_5_bad_input(self):
        good = synth(GENUINE, 0)
        cases = [
            ({"user_id": "dave", "sampling_rate": 100, "raw_eeg_data": good}, "sampling_rate",
             "Invalid sampling rate: 100Hz (must be between 128-2048Hz)"),
            ({"user_id": "dave", "sampling_rate": 4096, "raw_eeg_data": good}, "sampling_rate",
             "Invalid sampling rate"),
            ({"user_id": "dave", "sampling_rate": "fast", "raw_eeg_data": good}, "sampling_rate",
             "number"),
            ({"user_id": "dave", "raw_eeg_data": good}, "sampling_rate", "required"),
            ({"user_id": 5, "sampling_rate": 256, "raw_eeg_data": good}, "user_id", "string"),
            ({"user_id": "x" * 65, "sampling_rate": 256, "raw_eeg_data": good}, "user_id", "64"),
            ({"user_id": "dave", "sampling_rate": 256, "raw_eeg_data": "abc"}, "raw_eeg_data",
             "array"),
            ({"user_id": "dave", "sampling_rate": 256, "raw_eeg_data": []}, "raw_eeg_data",
             "non-empty"),
            ({"user_id": "dave", "sampling_rate": 256, "raw_eeg_data": [1.0, "x", 2.0]},
             "raw_eeg_data", "element 1 must be a number"),
            ({"user_id": "dave", "sampling_rate": 256, "raw_eeg_data": [1.0, 1e300]},
             "raw_eeg_data", "finite number"),
            ({"user_id": "dave", "sampling_rate": 256, "raw_eeg_data": [[1.0, 2.0], [1.0]]},
             "raw_eeg_data", "same length"),
            ({"user_id": "dave", "sampling_rate": 256, "raw_eeg_data": [[1.0], 2.0]},
             "raw_eeg_data", "same length"),
            ({"user_id": "dave", "sampling_rate": 256, "raw_eeg_data": [[0.0]] * 17},
             "raw_eeg_data", "channels"),
            ({"user_id": "dave", "sampling_rate": 256, "raw_eeg_data": good, "colour": 1},
             "colour", "unknown field"),
        ]
        for body, field, text in cases:
            for path in ("/enroll", "/authenticate", "/update"):
                with self.subTest(path=path, body=str(body)[:80]):
                    r = self.server.post(EEG + path, body)
                    self.assertEnvelope(r, 400, "ValidationError")
                    self.assertEqual(r.error["ValidationError"]["field"], field)
                    self.assertIn(text, r.error["ValidationError"]["message"])
        # NaN is not JSON: refused by the parser
        r = self.server.post(EEG + "/enroll", raw=b'{"user_id":"dave","sampling_rate":256,'
                                                  b'"raw_eeg_data":[1.0,NaN]}')
        self.assertEnvelope(r, 400, "BadRequest")
        # too short: upstream's texts, 400 for enrolment, 401 for authentication
        short = {"user_id": "dave", "sampling_rate": 256, "raw_eeg_data": [0.5] * 100}
        r = self.server.post(EEG + "/enroll", short)
        self.assertEnvelope(r, 400, "BadRequest")
        self.assertEqual(r.error["BadRequest"], "EEG enrollment failed: Insufficient data: "
                                                "got 100 samples, need at least 1024")
        r = self.server.post(EEG + "/authenticate", short)
        self.assertEnvelope(r, 401, "Unauthorized")
        self.assertIn("Insufficient data: got 100 samples, need at least 1024",
                      r.error["Unauthorized"])
        # a dead (flat) recording fails the quality check
        flat = {"user_id": "dave", "sampling_rate": 256, "raw_eeg_data": [3.0] * 4096}
        r = self.server.post(EEG + "/enroll", flat)
        self.assertEnvelope(r, 400, "BadRequest")
        self.assertIn("Signal quality too low", r.error["BadRequest"])
        # unknown users, empty sample lists, channel count mismatch
        r = self.server.post(EEG + "/enroll", {"user_id": "nobody", "sampling_rate": 256,
                                               "raw_eeg_data": good})
        self.assertEnvelope(r, 404, "NotFound")
        self.assertIn("nqdb user create", r.error["NotFound"])
        r = self.server.post(API + "/biometric/enroll", {"user_id": "dave", "eeg_samples": []})
        self.assertEnvelope(r, 400, "BadRequest")
        self.assertEqual(r.error["BadRequest"], "At least one EEG sample is required for enrollment")
        r = self.server.post(API + "/biometric/enroll", {"user_id": "dave",
                                                         "eeg_samples": [good], "channels": ["a"]})
        self.assertEnvelope(r, 400, "ValidationError")
        self.assertEqual(r.error["ValidationError"]["field"], "channels")
        r = self.server.post(API + "/biometric/enroll", {
            "user_id": "dave", "eeg_samples": [good, synth(GENUINE, 1, channels=1)]})
        self.assertEnvelope(r, 400, "ValidationError")
        self.assertEqual(r.error["ValidationError"]["field"], "eeg_samples[1]")
        r = self.server.post(EEG + "/enroll", {"user_id": "dave", "sampling_rate": 256,
                                               "raw_eeg_data": good})
        self.assertEnvelope(r, 200)
        r = self.server.post(EEG + "/authenticate", {"user_id": "dave", "sampling_rate": 256,
                                                     "raw_eeg_data": good[0]})
        self.assertEnvelope(r, 400, "ValidationError")
        self.assertEqual(r.error["ValidationError"]["field"], "raw_eeg_data")
        r = self.server.post(API + "/biometric/verify", {"user_id": "nobody",
                                                         "eeg_sample": good})
        self.assertEnvelope(r, 401, "Unauthorized")
        self.assertEqual(r.error["Unauthorized"],
                         "Biometric verification failed: User signature not found: nobody")
        self.assertTrue(self.server.alive())

    def test_6_attempt_limit(self):
        short = {"user_id": "erin", "sampling_rate": 256, "raw_eeg_data": [0.5] * 100}
        for _ in range(20):
            r = self.server.post(EEG + "/authenticate", short, key=self.reader)
            self.assertEnvelope(r, 401, "Unauthorized")
        r = self.server.post(EEG + "/authenticate", short, key=self.reader)
        self.assertEqual(r.status, 429, r)
        # another user is not affected
        r = self.server.post(API + "/biometric/verify", {"user_id": "bob", "eeg_sample": [1.0]},
                             key=self.reader)
        self.assertEnvelope(r, 401, "Unauthorized")

    def nqdb(self, *args, stdin=None):
        r = subprocess.run([nqserver.NQDB] + list(args), input=stdin, capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def test_7_storage_tamper(self):
        """The associated data binds a template to its user (a row moved to another user does
        not verify); deleting a user deletes the template; a missing eeg.key is reported, not
        replaced."""
        s = self.server
        if "alice" not in (s.get(EEG + "/users").data or []):
            self.enroll_alice()
        r = s.post(EEG + "/enroll", {"user_id": "dave", "sampling_rate": 256,
                                     "raw_eeg_data": synth(GENUINE, 0)})
        self.assertEnvelope(r, 200)
        db = os.path.join(s.data_dir, "auth.db")
        s.stop()
        # move alice's template to bob
        self.nqdb("sql", db, "UPDATE eeg_templates SET user_name = 'bob' WHERE user_name = 'alice'")
        s.start()
        self.assertIn("bob", s.get(EEG + "/users").data)
        r = self.authenticate("bob", GENUINE, 3)
        self.assertEnvelope(r, 401, "Unauthorized")
        self.assertEqual(r.error["Unauthorized"],
                         "EEG authentication failed: User signature not found: bob")
        # without eeg.key: a clear error, and no new key over existing templates
        key = os.path.join(s.data_dir, "eeg.key")
        with open(key, "rb") as f:
            saved = f.read()
        s.stop()
        os.unlink(key)
        s.start()
        r = self.authenticate("dave", GENUINE, 3)
        self.assertEnvelope(r, 500, "InternalServerError")
        self.assertIn("eeg.key is missing", r.json["metadata"]["message"])
        r = s.post(EEG + "/enroll", {"user_id": "erin", "sampling_rate": 256,
                                     "raw_eeg_data": synth(GENUINE, 0)})
        self.assertEnvelope(r, 500, "InternalServerError")
        self.assertFalse(os.path.exists(key))
        s.stop()
        fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, saved)
        os.close(fd)
        s.start()
        r = self.authenticate("dave", GENUINE, 3)
        self.assertEnvelope(r, 200)
        # a deleted user's template goes with the user: a new user of the same name has none
        s.stop()
        self.nqdb("user", "delete", "dave", "--data", s.data_dir)
        self.nqdb("user", "create", "dave", "--data", s.data_dir, "--password-stdin",
                  stdin="dave-password-2\n")
        s.start()
        self.assertNotIn("dave", s.get(EEG + "/users").data)
        r = self.authenticate("dave", GENUINE, 3)
        self.assertEnvelope(r, 401, "Unauthorized")
        self.assertIn("User signature not found: dave", r.error["Unauthorized"])
        # and can enrol afresh
        r = s.post(EEG + "/enroll", {"user_id": "dave", "sampling_rate": 256,
                                     "raw_eeg_data": synth(GENUINE, 0)})
        self.assertEnvelope(r, 200)
        r = self.authenticate("dave", GENUINE, 3)
        self.assertEnvelope(r, 200)


if __name__ == "__main__":
    import unittest
    unittest.main()
