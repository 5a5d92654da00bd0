"""test_dna.py — POST /api/v1/dna/compress and /api/v1/dna/decompress end to end (docs/api.md
"DNA", docs/dna.md "In the database").

Seeded random and structured sequences (empty, one base, all one base, N runs, lower case,
IUPAC letters, a repeat-rich sequence, 60 kbases) go through every algorithm and back; every
figure of the answer is recomputed here from what was sent and received: the ratio from the
decoded container's size, the checksum as CRC-32C of the sequence (computed in Python), the
totals and the average. The upstream request bodies run; every error the routes give is
provoked (empty lists, bad letters with their index and position, QuantumInspired, bad base64,
a damaged container, an output over the bound), and the permission check (403 without `dna`)."""

import base64
import random

import nqserver
from nqserver import API, ServerTestCase

COMPRESS = API + "/dna/compress"
DECOMPRESS = API + "/dna/decompress"
ALGOS = ["TwoBit", "KmerBased", "NeuralNetwork", "Hybrid"]


def _crc32c_table():
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        t.append(c)
    return t


CRC_TABLE = _crc32c_table()


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = CRC_TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def sequences():
    rnd = random.Random(20261124)
    rand = "".join(rnd.choice("ACGT") for _ in range(3000))
    unit = "".join(rnd.choice("ACGT") for _ in range(400))
    repeats = "".join(unit[rnd.randrange(0, 50):] for _ in range(20))  # repeat-rich
    mixed = "".join(rnd.choice("ACGTacgtNNNNRYKMSWBDHVnrykmswbdhv") for _ in range(500))
    nrun = "ACGT" * 100 + "N" * 5000 + "acgt" * 100
    big = "".join(rnd.choice("ACGT") for _ in range(60000))
    return ["", "A", "g", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", rand, repeats,
            mixed, nrun, big]


class DnaTest(ServerTestCase):

    # a small body bound so that the decompression output bound (8 x max_payload_size) is
    # reachable in a test
    config = {"security": {"max_payload_size": 262144}}

    def compress(self, body, status=200, variant=None, key="admin"):
        r = self.server.post(COMPRESS, body, key=key)
        self.assertEnvelope(r, status, variant)
        return r

    def decompress(self, body, status=200, variant=None, key="admin"):
        r = self.server.post(DECOMPRESS, body, key=key)
        self.assertEnvelope(r, status, variant)
        return r

    def check_compressed(self, seqs, d):
        items = d["compressed_sequences"]
        self.assertEqual(len(items), len(seqs))
        tin = tout = 0
        ratios = []
        for s, it in zip(seqs, items):
            raw = base64.b64decode(it["compressed_data"], validate=True)
            self.assertEqual(it["original_length"], len(s))
            self.assertEqual(it["compressed_size"], len(raw))
            self.assertAlmostEqual(it["compression_ratio"], len(s) / len(raw), delta=1e-12)
            self.assertEqual(it["checksum"], "%08x" % crc32c(s.encode()))
            if s:
                self.assertAlmostEqual(it["bits_per_base"], 8 * len(raw) / len(s), delta=1e-12)
            else:
                self.assertIsNone(it["bits_per_base"])
            tin += len(s)
            tout += len(raw)
            ratios.append(len(s) / len(raw))
        st = d["compression_stats"]
        self.assertEqual(st["total_input_size"], tin)
        self.assertEqual(st["total_compressed_size"], tout)
        self.assertAlmostEqual(st["average_compression_ratio"], sum(ratios) / len(ratios), delta=1e-9)
        self.assertAlmostEqual(st["overall_compression_ratio"], tin / tout, delta=1e-12)
        self.assertGreaterEqual(st["compression_time_ms"], 0)
        self.assertEqual(d["checksum_algorithm"], "CRC-32C")
        return [it["compressed_data"] for it in items]

    def test_round_trip_every_algorithm(self):
        seqs = sequences()
        for algo in ALGOS:
            with self.subTest(algo=algo):
                d = self.compress({"sequences": seqs, "algorithm": algo}).data
                self.assertEqual(d["algorithm"], algo)
                self.assertNotIn("unused_fields", d)
                blobs = self.check_compressed(seqs, d)
                r = self.decompress({"compressed_data": blobs})
                out = r.data["decompressed_sequences"]
                self.assertEqual([o["sequence"] for o in out], seqs)
                tot = 0
                for s, o in zip(seqs, out):
                    self.assertEqual(o["length"], len(s))
                    self.assertEqual(o["original_checksum"], "%08x" % crc32c(s.encode()))
                    self.assertEqual(o["stored_checksum"], o["original_checksum"])
                    self.assertIs(o["checksum_valid"], True)
                    self.assertEqual(o["algorithm"], algo)
                    tot += len(s)
                self.assertEqual(r.data["total_output_size"], tot)

    def test_ratios_are_real(self):
        seqs = sequences()
        big = seqs[-1]
        d = self.compress({"sequences": [big], "algorithm": "TwoBit"}).data
        it = d["compressed_sequences"][0]
        # 2 bits per base plus a small header: just under 4
        self.assertGreater(it["compression_ratio"], 3.9)
        self.assertLess(it["compression_ratio"], 4.0)
        # a repeat-rich sequence: the context-mixing codec goes well below 2 bits per base
        rep = seqs[5]
        d = self.compress({"sequences": [rep], "algorithm": "NeuralNetwork"}).data
        self.assertGreater(d["compressed_sequences"][0]["compression_ratio"], 4.5)
        # the default is Hybrid, never worse than TwoBit by more than its block headers
        d = self.compress({"sequences": [rep]}).data
        self.assertEqual(d["algorithm"], "Hybrid")
        self.check_compressed([rep], d)
        # a run of N costs a few bytes
        d = self.compress({"sequences": ["N" * 100000], "algorithm": "TwoBit"}).data
        self.assertGreater(d["compressed_sequences"][0]["compression_ratio"], 1000)

    def test_upstream_bodies(self):
        seqs = ["ATCGATCGATCG", "GCTAGCTAGCTA"]
        for algo in ["KmerBased", "NeuralNetwork", "Hybrid"]:
            r = self.compress({"sequences": seqs, "algorithm": algo, "compression_level": 6})
            d = r.data
            self.check_compressed(seqs, d)
            self.assertIn("compression_level", d["unused_fields"])
            self.assertIn("no levels", d["unused_fields"]["compression_level"])
            self.assertEqual(r.json["metadata"]["message"],
                             "Compressed 2 DNA sequences with %s" % algo)
            out = self.decompress({"compressed_data": [x["compressed_data"]
                                                       for x in d["compressed_sequences"]]})
            self.assertEqual([o["sequence"] for o in out.data["decompressed_sequences"]], seqs)
        # upstream's lower-case input restores as lower case
        d = self.compress({"sequences": ["atgcATGC"], "algorithm": "KmerBased"}).data
        out = self.decompress({"compressed_data": [d["compressed_sequences"][0]["compressed_data"]]})
        self.assertEqual(out.data["decompressed_sequences"][0]["sequence"], "atgcATGC")
        # algorithm names are case-insensitive; the answer gives the canonical one
        d = self.compress({"sequences": ["ACGT"], "algorithm": "kmerbased"}).data
        self.assertEqual(d["algorithm"], "KmerBased")

    def test_compress_errors(self):
        r = self.compress({"sequences": []}, 400, "BadRequest")
        self.assertEqual(r.error["BadRequest"], "No DNA sequences provided")
        r = self.compress({"sequences": ["ACGT", "ACGU"]}, 400, "BadRequest")
        self.assertIn("Invalid DNA sequence at index 1: character 'U' at position 3", r.error["BadRequest"])
        r = self.compress({"sequences": ["AC GT"]}, 400, "BadRequest")
        self.assertIn("index 0: byte 0x20 at position 2", r.error["BadRequest"])
        r = self.compress({"sequences": [">hdr\nACGT"]}, 400, "BadRequest")
        self.assertIn("index 0: character '>' at position 0", r.error["BadRequest"])
        # a NUL inside a string: the JSON reader refuses it first
        self.compress({"sequences": ["AC\u0000GT"]}, 400, "BadRequest")
        r = self.compress({"sequences": ["ACGT", 5]}, 400, "BadRequest")
        self.assertIn("index 1: must be a string", r.error["BadRequest"])
        r = self.compress({"sequences": ["ACGT"], "algorithm": "QuantumInspired"}, 400)
        self.assertValidation(r, "algorithm")
        self.assertIn("quantum", r.error["ValidationError"]["message"].lower())
        r = self.compress({"sequences": ["ACGT"], "algorithm": "Zip"}, 400)
        self.assertValidation(r, "algorithm")
        for lvl in (-1, 256, "6", 1.5):
            self.assertValidation(self.compress({"sequences": ["ACGT"], "compression_level": lvl}, 400),
                                  "compression_level")
        self.assertValidation(self.compress({"sequences": "ACGT"}, 400), "sequences")
        self.assertValidation(self.compress({"algorithm": "Hybrid"}, 400), "sequences")
        self.assertValidation(self.compress({"sequences": ["A"], "data": "ACGT"}, 400), "data")
        # upstream's Postman body (a different schema) is a 400, not a 500
        self.assertValidation(self.compress({"data": "ATCG" * 10, "compression_level": 6}, 400))

    def test_decompress_errors(self):
        good = self.compress({"sequences": ["ACGTNNNNacgt" * 50], "algorithm": "KmerBased"}).data
        blob = good["compressed_sequences"][0]["compressed_data"]
        r = self.decompress({"compressed_data": []}, 400, "BadRequest")
        self.assertEqual(r.error["BadRequest"], "No compressed data provided")
        r = self.decompress({"compressed_data": [blob, "not base64!"]}, 400, "BadRequest")
        self.assertIn("Invalid compressed data at index 1: not base64", r.error["BadRequest"])
        r = self.decompress({"compressed_data": [blob[:-1]]}, 400, "BadRequest")
        self.assertIn("index 0: not base64", r.error["BadRequest"])
        r = self.decompress({"compressed_data": [base64.b64encode(b"ACGTACGT").decode()]}, 400, "BadRequest")
        self.assertIn("Invalid compressed data at index 0", r.error["BadRequest"])
        # upstream's body: a base string where base64 of a container is expected
        r = self.decompress({"compressed_data": ["ATCG" * 4]}, 400, "BadRequest")
        # every single-byte corruption is refused, never answered with wrong bases
        raw = bytearray(base64.b64decode(blob))
        for pos in range(0, len(raw), max(1, len(raw) // 40)):
            bad = bytearray(raw)
            bad[pos] ^= 0x10
            r = self.server.post(DECOMPRESS, {"compressed_data": [base64.b64encode(bytes(bad)).decode()]})
            # 400 naming the damage, or 413 when the damaged header claims a longer original
            # than the bound allows (refused before any allocation)
            self.assertIn(r.status, (400, 413), "byte %d: %r" % (pos, r))
            if r.status == 400:
                self.assertIn("Invalid compressed data at index 0", r.error["BadRequest"])
        # truncated
        r = self.decompress({"compressed_data": [base64.b64encode(bytes(raw[:len(raw) // 2])).decode()]},
                            400, "BadRequest")
        self.assertValidation(self.decompress({"compressed_data": blob}, 400), "compressed_data")
        r = self.decompress({"compressed_data": [blob, 7]}, 400, "BadRequest")
        self.assertIn("index 1: must be a base64 string", r.error["BadRequest"])
        self.assertValidation(self.decompress({"compressed_data": [blob], "x": 1}, 400), "x")

    def test_output_bound(self):
        # 8 x max_payload_size (256 KiB here) = 2 MiB of output per request: 200 kbases of N
        # compress to a few bytes; ten fit, the eleventh is refused before it is allocated
        d = self.compress({"sequences": ["N" * 200000], "algorithm": "TwoBit"}).data
        blob = d["compressed_sequences"][0]["compressed_data"]
        r = self.decompress({"compressed_data": [blob] * 10})
        self.assertEqual(r.data["total_output_size"], 2000000)
        r = self.decompress({"compressed_data": [blob] * 11}, 413, "PayloadTooLarge")
        self.assertIn("security.max_payload_size", r.error["PayloadTooLarge"])

    def test_permissions(self):
        s = self.server
        body = {"sequences": ["ACGT"], "algorithm": "TwoBit"}
        for perms in (["read"], ["write"], ["quantum"], ["read", "write", "neuromorphic"]):
            k = s.generate_key(perms, name="nodna")
            r = self.compress(body, 403, "Forbidden", key=k)
            self.assertEqual(r.error["Forbidden"], "DNA permission required")
            r = self.decompress({"compressed_data": ["AAAA"]}, 403, "Forbidden", key=k)
            self.assertEqual(r.error["Forbidden"], "DNA permission required")
        k = s.generate_key(["dna"], name="dna")
        d = self.compress(body, key=k).data
        blob = d["compressed_sequences"][0]["compressed_data"]
        out = self.decompress({"compressed_data": [blob]}, key=k).data
        self.assertEqual(out["decompressed_sequences"][0]["sequence"], "ACGT")
        self.compress(body, 401, "Unauthorized", key=None)
        self.decompress({"compressed_data": [blob]}, 401, "Unauthorized", key=None)


if __name__ == "__main__":
    nqserver.main()
