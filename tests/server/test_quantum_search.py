"""test_quantum_search.py — POST /api/v1/quantum/search end to end (docs/api.md, docs/quantum.md
"REST: POST /api/v1/quantum/search").

Tables with a NEURAL_VECTOR column are created and filled through /api/v1/query; every answer
is checked against what Python computes from the same numbers: the cosine similarities (over
the float32 values the engine stores), the ranking, threshold and max_results, and the
probabilities of the amplitude-amplified state from their closed form
(P_i = w_i² / Σ_marked w² · sin²((2k+1)θ), w = (1+s)/2, θ = asin √a, k = floor(π/(4θ))).
The optional solver flags are checked against their stated problems (the QUBO energy
recomputed here from the formulation, Grover's success probability from its formula), and
every error the route gives is provoked."""

import math
import random
import struct

import nqserver
from nqserver import API, ServerTestCase

URL = API + "/quantum/search"
DIM = 4
N = 40


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def cosine(a, b):
    a = [f32(x) for x in a]
    b = [f32(x) for x in b]
    d = sum(x * y for x, y in zip(a, b))
    na = math.sqrt(sum(x * x for x in a))
    nb = math.sqrt(sum(x * x for x in b))
    return d / (na * nb)


def vec_sql(v):
    return "'[%s]'" % ",".join(repr(x) for x in v)


def make_rows(seed, n, dim):
    rnd = random.Random(seed)
    return [[round(rnd.uniform(-1, 1), 4) for _ in range(dim)] for _ in range(n)]


def expected_probabilities(scores, thr):
    """scores: the similarities of the rows with a usable vector, in scan order.
    -> (probabilities by basis state, k, a, success)."""
    w = [(1 + s) / 2 for s in scores]
    tot = sum(x * x for x in w)
    marked = [i for i, s in enumerate(scores) if s >= thr]
    mw = sum(w[i] * w[i] for i in marked)
    if not marked:
        return {}, 0, 0.0, 0.0
    a = mw / tot
    theta = math.asin(math.sqrt(min(1.0, a)))
    k = 0 if a >= 1 else int(math.floor(math.pi / (4 * theta)))
    success = math.sin((2 * k + 1) * theta) ** 2
    return {i: w[i] * w[i] / mw * success for i in marked}, k, a, success


class QuantumSearchTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        s = cls.server
        cls.vecs = make_rows(11, N, DIM)
        stmts = ["CREATE TABLE emb (id INTEGER PRIMARY KEY, name TEXT, v NEURAL_VECTOR)"]
        for i, v in enumerate(cls.vecs):
            stmts.append("INSERT INTO emb (id, name, v) VALUES (%d, 'item %d%s', %s)"
                         % (i + 1, i + 1, " blue" if i % 3 == 0 else "", vec_sql(v)))
        # a row without a vector and a zero vector: skipped and counted
        stmts.append("INSERT INTO emb (id, name, v) VALUES (%d, 'no vector', NULL)" % (N + 1))
        stmts.append("INSERT INTO emb (id, name, v) VALUES (%d, 'zero', '[0,0,0,0]')" % (N + 2))
        # the upstream Postman example's table
        cls.emb_vecs = [[0.1, 0.2, 0.3, 0.4], [0.2, 0.1, 0.4, 0.3], [1, 0, 0, 0], [0, 0, 0, 1],
                        [0.4, 0.3, 0.2, 0.1], [0.11, 0.19, 0.32, 0.38], [-0.1, -0.2, -0.3, -0.4]]
        stmts.append("CREATE TABLE embeddings (id INTEGER PRIMARY KEY, label TEXT, "
                     "embedding NEURAL_VECTOR)")
        for i, v in enumerate(cls.emb_vecs):
            stmts.append("INSERT INTO embeddings (label, embedding) VALUES ('e%d', %s)"
                         % (i, vec_sql(v)))
        stmts += ["CREATE TABLE novec (id INTEGER PRIMARY KEY, name TEXT)",
                  "INSERT INTO novec (name) VALUES ('x')",
                  "CREATE TABLE twovec (id INTEGER PRIMARY KEY, a NEURAL_VECTOR, b NEURAL_VECTOR, t TEXT)",
                  "INSERT INTO twovec (a, b, t) VALUES ('[1,0]', '[0,1,0]', 'r1')",
                  "INSERT INTO twovec (a, b, t) VALUES ('[0.6,0.8]', '[1,1,0]', 'r2')",
                  "CREATE TABLE declared (id INTEGER PRIMARY KEY, v NEURAL_VECTOR(3))",
                  "CREATE TABLE ragged (id INTEGER PRIMARY KEY, v NEURAL_VECTOR)",
                  "INSERT INTO ragged (v) VALUES ('[1,2,3,4]')",
                  "INSERT INTO ragged (v) VALUES ('[1,2,3]')"]
        r = s.query("; ".join(stmts))
        assert r.status == 200, r

    def search(self, body, status=200, variant=None, key="admin"):
        r = self.server.post(URL, body, key=key)
        self.assertEnvelope(r, status, variant)
        return r

    def scores(self, q):
        return [cosine(q, v) for v in self.vecs]  # rows 0..N-1 are the usable ones, in order

    def check_answer(self, d, q, thr, k, scores=None, vecs=None):
        """The results are the k best rows with score >= thr, best first, with the documented
        scores and probabilities."""
        vecs = vecs if vecs is not None else self.vecs
        scores = scores if scores is not None else [cosine(q, v) for v in vecs]
        order = sorted([i for i, s in enumerate(scores) if s >= thr], key=lambda i: (-scores[i], i))
        res = d["results"]
        self.assertEqual([x["basis_state"] for x in res], order[:k])
        self.assertEqual(d["search"]["matches"], len(order))
        self.assertEqual(d["search"]["returned"], len(res))
        for x in res:
            i = x["basis_state"]
            self.assertAlmostEqual(x["similarity_score"], scores[i], delta=1e-9)
            self.assertGreaterEqual(x["similarity_score"], thr)
            # the record is the row, its vector the stored float32 values
            self.assertEqual(x["record"]["v" if "v" in x["record"] else "embedding"],
                             [f32(e) for e in vecs[i]])
            self.assertIsNone(x["entanglement_strength"])
        probs, kk, a, success = expected_probabilities(scores, thr)
        qs = d["quantum_stats"]
        self.assertTrue(qs["simulated"])
        self.assertEqual(qs["qubits"], max(1, math.ceil(math.log2(len(scores)))))
        self.assertEqual(qs["state_dimension"], 2 ** qs["qubits"])
        self.assertEqual(qs["marked_states"], len(order))
        self.assertEqual(qs["amplification_iterations"], kk)
        self.assertAlmostEqual(qs["initial_success_probability"], a, delta=1e-12)
        self.assertAlmostEqual(qs["success_probability"], success, delta=1e-9)
        self.assertAlmostEqual(qs["predicted_success_probability"], success, delta=1e-9)
        self.assertEqual(qs["superposition_states"], sum(1 for s in scores if s > -1))
        total = 0.0
        for x in res:
            self.assertAlmostEqual(x["quantum_probability"], probs[x["basis_state"]], delta=1e-9)
            self.assertGreaterEqual(x["quantum_probability"], 0.0)
            total += x["quantum_probability"]
        self.assertLessEqual(total, success + 1e-9)
        self.assertLessEqual(total, 1.0 + 1e-12)
        for name in ("coherence_time_used_ms", "measurement_collapses", "entanglement_operations",
                     "quantum_speedup"):
            self.assertIsNone(qs[name], name)
        self.assertGreaterEqual(qs["simulation_time_ms"], 0)
        self.assertGreaterEqual(qs["scan_time_ms"], 0)
        return res

    # ---- the search ------------------------------------------------------------------------

    def test_scores_order_probabilities(self):
        q = [0.3, -0.2, 0.5, 0.1]
        for thr, k in ((0.5, 10), (0.0, 5), (-1.0, 1000), (0.9, 3), (0.999, 10)):
            with self.subTest(thr=thr, k=k):
                d = self.search({"table_name": "emb", "query_vector": q,
                                 "similarity_threshold": thr, "max_results": k}).data
                self.check_answer(d, q, thr, k)
                srch = d["search"]
                self.assertEqual(srch["rows_scanned"], N + 2)
                self.assertEqual(srch["rows_with_vector"], N)
                self.assertEqual(srch["rows_null_vector"], 1)
                self.assertEqual(srch["rows_zero_vector"], 1)
                self.assertEqual(srch["vector_column"], "v")
                self.assertEqual(srch["dimension"], DIM)
                self.assertEqual(d["unused_fields"], {})
                for f in ("tfim_results", "qubo_results", "parallel_tempering_results",
                          "grover_results"):
                    self.assertIsNone(d[f])

    def test_all_rows_marked_no_amplification(self):
        q = [0.3, -0.2, 0.5, 0.1]
        d = self.search({"table_name": "emb", "query_vector": q, "similarity_threshold": -1,
                         "max_results": 1000}).data
        res = self.check_answer(d, q, -1.0, 1000)
        self.assertEqual(len(res), N)
        self.assertEqual(d["quantum_stats"]["amplification_iterations"], 0)
        # nothing to amplify: the probabilities are the encoded state's, summing to 1
        self.assertAlmostEqual(sum(x["quantum_probability"] for x in res), 1.0, delta=1e-12)

    def test_default_max_results(self):
        q = [1, 1, 1, 1]
        d = self.search({"table_name": "emb", "query_vector": q, "similarity_threshold": -1}).data
        self.assertEqual(len(d["results"]), 10)
        self.check_answer(d, q, -1.0, 10)
        self.assertEqual(d["search"]["max_results"], 10)

    def test_max_results_zero(self):
        q = [1, 0, 0, 0]
        d = self.search({"table_name": "emb", "query_vector": q, "similarity_threshold": 0,
                         "max_results": 0}).data
        self.assertEqual(d["results"], [])
        self.assertEqual(d["search"]["matches"], sum(1 for s in self.scores(q) if s >= 0))

    def test_upstream_postman_body(self):
        body = {"table_name": "embeddings", "query_vector": [0.1, 0.2, 0.3, 0.4],
                "similarity_threshold": 0.8, "max_results": 10, "entanglement_boost": 1.5}
        r = self.search(body)
        d = r.data
        scores = [cosine(body["query_vector"], v) for v in self.emb_vecs]
        res = self.check_answer(d, body["query_vector"], 0.8, 10, scores=scores, vecs=self.emb_vecs)
        self.assertEqual([x["record"]["label"] for x in res], ["e0", "e5", "e1"])
        self.assertAlmostEqual(res[0]["similarity_score"], 1.0, delta=1e-9)
        self.assertEqual(d["search"]["vector_column"], "embedding")
        # entanglement_boost is accepted and said to have no effect
        self.assertIn("entanglement_boost", d["unused_fields"])
        self.assertIn("no effect", d["unused_fields"]["entanglement_boost"])
        self.assertIn("Quantum search", r.json["metadata"]["message"])

    def test_vector_column_choice(self):
        d = self.search({"table_name": "twovec", "query_vector": [1, 0],
                         "similarity_threshold": 0, "vector_column": "a"}).data
        self.assertEqual([x["record"]["t"] for x in d["results"]], ["r1", "r2"])
        self.assertAlmostEqual(d["results"][1]["similarity_score"], cosine([1, 0], [0.6, 0.8]), delta=1e-9)
        d = self.search({"table_name": "twovec", "query_vector": [1, 0, 0],
                         "similarity_threshold": 0.5, "vector_column": "b"}).data
        self.assertEqual([x["record"]["t"] for x in d["results"]], ["r2"])

    def test_simulation_budget(self):
        # 40 rows need 6 qubits; with max_qubits 5 the simulation is skipped, and said so
        q = [0.3, -0.2, 0.5, 0.1]
        d = self.search({"table_name": "emb", "query_vector": q, "similarity_threshold": 0.5,
                         "max_qubits": 5}).data
        qs = d["quantum_stats"]
        self.assertFalse(qs["simulated"])
        self.assertIn("6 qubits", qs["simulation_note"])
        self.assertTrue(d["results"])
        for x in d["results"]:
            self.assertIsNone(x["quantum_probability"])
        scores = self.scores(q)
        self.assertEqual([x["basis_state"] for x in d["results"]],
                         sorted([i for i, s in enumerate(scores) if s >= 0.5],
                                key=lambda i: (-scores[i], i))[:10])
        d = self.search({"table_name": "emb", "query_vector": q, "similarity_threshold": 0.5,
                         "max_qubits": 6}).data
        self.check_answer(d, q, 0.5, 10)

    def test_empty_table(self):
        d = self.search({"table_name": "declared", "query_vector": [1, 2, 3],
                         "similarity_threshold": 0}).data
        self.assertEqual(d["results"], [])
        self.assertFalse(d["quantum_stats"]["simulated"])
        self.assertIn("no row", d["quantum_stats"]["simulation_note"])


    # ---- the solver flags ------------------------------------------------------------------

    def grover_expect(self, marked, n, k=None):
        N = 2 ** n
        M = len(marked)
        theta = math.asin(math.sqrt(M / N)) if M else 0.0
        opt = 0 if M == 0 or M >= N else int(math.floor(math.pi / (4 * theta)))
        k = opt if k is None else k
        return opt, k, math.sin((2 * k + 1) * theta) ** 2

    def check_grover(self, g, marked, n, shots, k=None):
        opt, k, success = self.grover_expect(marked, n, k)
        self.assertEqual(g["num_qubits"], n)
        self.assertEqual(g["search_space"], 2 ** n)
        self.assertEqual(g["num_marked_states"], len(marked))
        self.assertEqual(g["optimal_iterations"], opt)
        self.assertEqual(g["iterations"], k)
        self.assertAlmostEqual(g["success_probability"], success, delta=1e-9)
        self.assertAlmostEqual(g["predicted_success_probability"], success, delta=1e-9)
        self.assertEqual(g["meets_success_threshold"], success >= g["success_threshold"])
        self.assertEqual(g["num_shots"], shots)
        self.assertLessEqual(g["shots_on_marked"], shots)
        self.assertEqual(g["found_indices"], sorted(set(g["found_indices"])))
        self.assertTrue(set(g["found_indices"]) <= set(marked))
        for p in g["probabilities"]:  # Grover spreads the success evenly over the marked states
            self.assertAlmostEqual(p, success / len(marked), delta=1e-9)
        if marked:
            self.assertAlmostEqual(g["best_probability"], success / len(marked), delta=1e-9)
            # with this many shots and this success, some shots land on marked states
            if success > 0.5 and shots >= 100:
                self.assertGreater(g["shots_on_marked"], shots * 0.3)
                self.assertTrue(g["found_indices"])
        # the gate-level circuit of grover_circuit: H^n, then per iteration for each marked
        # state X on its zero bits + MCZ + X again, then H X MCZ X H on all qubits
        gates = n + k * (sum(2 * (n - bin(m).count("1")) + 1 for m in marked) + 4 * n + 1)
        self.assertEqual(g["num_gates"], gates)
        self.assertGreaterEqual(g["circuit_depth"], 1)
        self.assertLessEqual(g["circuit_depth"], gates)
        self.assertEqual(g["backend_used"], "simulator")
        self.assertIsNone(g["quantum_speedup"])
        self.assertGreaterEqual(g["computation_time_ms"], 0)

    def test_grover(self):
        q = [0.3, -0.2, 0.5, 0.1]
        scores = self.scores(q)
        for thr, pattern, cfg in ((0.5, None, {"num_shots": 500, "seed": 3}),
                                  (0.5, "blue", {}),
                                  (0.9, None, {"num_shots": 64}),
                                  (0.999, None, {}),
                                  (0.2, "item 1", {"max_iterations": 1, "success_threshold": 0.9})):
            with self.subTest(thr=thr, pattern=pattern, cfg=cfg):
                body = {"table_name": "emb", "query_vector": q, "similarity_threshold": thr,
                        "use_grover": True, "grover_config": cfg}
                if pattern:
                    body["search_pattern"] = pattern
                d = self.search(body).data
                self.check_answer(d, q, thr, 10)  # the search itself is unchanged
                marked = [i for i, s in enumerate(scores) if s >= thr and
                          (pattern is None or pattern in ("item %d%s" % (i + 1, " blue" if i % 3 == 0 else "")))]
                k = None
                if cfg.get("max_iterations"):
                    k = min(cfg["max_iterations"], self.grover_expect(marked, 6)[0])
                self.check_grover(d["grover_results"], marked, 6, cfg.get("num_shots", 1024), k)
                self.assertEqual(d["grover_results"]["search_pattern"], pattern)
                self.assertEqual(d["unused_fields"], {})
        # seeded: the same request gives the same measurements
        body = {"table_name": "emb", "query_vector": q, "similarity_threshold": 0.5,
                "use_grover": True, "grover_config": {"num_shots": 50, "seed": 9}}
        a = self.search(body).data["grover_results"]
        b = self.search(body).data["grover_results"]
        self.assertEqual((a["found_indices"], a["shots_on_marked"]), (b["found_indices"], b["shots_on_marked"]))

    def qubo_energy(self, res, x, k, lam, P):
        R = len(res)
        s = [r["similarity_score"] for r in res]
        v = [r["record"]["v"] for r in res]
        e = -sum(s[i] * x[i] for i in range(R))
        e += lam * sum(cosine(v[i], v[j]) * x[i] * x[j] for i in range(R) for j in range(i + 1, R))
        e += P * (sum(x) - k) ** 2
        return e

    def brute_min(self, res, k, lam, P):
        R = len(res)
        return min(self.qubo_energy(res, [(b >> i) & 1 for i in range(R)], k, lam, P)
                   for b in range(2 ** R))

    def check_qubo(self, res, j, k, lam, energy_key):
        R = len(res)
        P = 2 + lam * (R - 1)
        self.assertEqual(j["num_variables"], R)
        self.assertEqual(j["select_count"], k)
        self.assertAlmostEqual(j["penalty"], P, delta=1e-12)
        x = j["variables"]
        self.assertEqual(len(x), R)
        self.assertAlmostEqual(j[energy_key], self.qubo_energy(res, x, k, lam, P), delta=1e-9)
        self.assertEqual(j["selected_results"], [i for i in range(R) if x[i]])
        self.assertEqual(j["selected_count"], sum(x))
        self.assertAlmostEqual(j["similarity_sum"], sum(res[i]["similarity_score"] for i in range(R) if x[i]), delta=1e-9)
        v = [r["record"]["v"] for r in res]
        red = sum(cosine(v[a], v[b]) for a in range(R) for b in range(a + 1, R) if x[a] and x[b])
        self.assertAlmostEqual(j["redundancy_sum"], red, delta=1e-9)
        best = self.brute_min(res, k, lam, P)
        self.assertAlmostEqual(j["exact_energy"], best, delta=1e-9)
        self.assertGreaterEqual(j[energy_key], best - 1e-9)
        self.assertEqual(j["optimal"], abs(j[energy_key] - best) <= 1e-9 * (1 + abs(best)))
        return best

    def test_qubo_and_parallel_tempering(self):
        q = [0.3, -0.2, 0.5, 0.1]
        for backend in ("exact", "sqa", "sa", "tabu", "pt", None):
            with self.subTest(backend=backend):
                cfg = {"select_count": 3, "redundancy_weight": 0.5}
                if backend:
                    cfg["backend"] = backend
                d = self.search({"table_name": "emb", "query_vector": q, "similarity_threshold": 0,
                                 "max_results": 8, "use_qubo": True, "qubo_config": cfg,
                                 "use_parallel_tempering": backend is None}).data
                res = d["results"]
                self.assertEqual(len(res), 8)
                j = d["qubo_results"]
                self.check_qubo(res, j, 3, 0.5, "energy")
                self.assertEqual(j["backend_used"], backend or "sqa")
                # a problem this small: every solver reaches the optimum, with 3 selected
                self.assertTrue(j["optimal"], j)
                self.assertEqual(j["selected_count"], 3)
                self.assertGreaterEqual(j["computation_time_ms"], 0)
                if backend is None:
                    p = d["parallel_tempering_results"]
                    self.check_qubo(res, p, 3, 0.5, "best_energy")
                    self.assertEqual(p["best_configuration"], [2 * x - 1 for x in p["variables"]])
                    self.assertTrue(p["optimal"], p)
                    self.assertEqual(p["backend_used"], "classical")
                    self.assertEqual(p["num_replicas"], 8)
                else:
                    self.assertIsNone(d["parallel_tempering_results"])
        # defaults: select_count 3, redundancy_weight 1; fewer results than select_count
        d = self.search({"table_name": "emb", "query_vector": q, "similarity_threshold": 0.9,
                         "use_parallel_tempering": True,
                         "parallel_tempering_config": {"num_replicas": 4, "num_exchanges": 500,
                                                       "min_temperature": 0.05, "max_temperature": 5}}).data
        res = d["results"]
        self.assertTrue(res)
        p = d["parallel_tempering_results"]
        self.check_qubo(res, p, min(3, len(res)), 1.0, "best_energy")
        self.assertEqual((p["num_replicas"], p["num_exchanges"]), (4, 500))
        self.assertEqual((p["min_temperature"], p["max_temperature"]), (0.05, 5))
        self.assertIsNone(d["qubo_results"])

    def test_flags_not_run_and_unused(self):
        q = [0.3, -0.2, 0.5, 0.1]
        d = self.search({"table_name": "emb", "query_vector": q, "similarity_threshold": 1.0,
                         "use_qubo": True, "use_parallel_tempering": True}).data
        self.assertEqual(d["results"], [])  # no stored vector points exactly along q
        self.assertIsNone(d["qubo_results"])
        self.assertIsNone(d["parallel_tempering_results"])
        self.assertIn("not run", d["unused_fields"]["use_qubo"])
        self.assertIn("not run", d["unused_fields"]["use_parallel_tempering"])
        d = self.search({"table_name": "emb", "query_vector": q, "similarity_threshold": 0.5,
                         "qubo_config": {"select_count": 2}, "grover_config": {},
                         "search_pattern": "x", "tfim_config": {},
                         "parallel_tempering_config": {}}).data
        for f in ("qubo_config", "grover_config", "search_pattern", "tfim_config",
                  "parallel_tempering_config"):
            self.assertIn("no effect", d["unused_fields"][f], f)
        self.assertIsNone(d["qubo_results"])
        d = self.search({"table_name": "emb", "query_vector": q, "similarity_threshold": 0.5,
                         "use_qubo": True, "use_grover": True, "use_parallel_tempering": True,
                         "qubo_config": {"num_shots": 10, "qaoa_depth": 2, "convergence_threshold": 1e-6},
                         "grover_config": {"error_mitigation": True},
                         "parallel_tempering_config": {"trotter_slices": 20, "transverse_field": 1.0}}).data
        for f in ("qubo_config.num_shots", "qubo_config.qaoa_depth", "qubo_config.convergence_threshold",
                  "grover_config.error_mitigation", "parallel_tempering_config.trotter_slices",
                  "parallel_tempering_config.transverse_field"):
            self.assertIn("no effect", d["unused_fields"][f], f)
        self.assertIsNotNone(d["qubo_results"])
        self.assertIsNotNone(d["grover_results"])
        self.assertIsNotNone(d["parallel_tempering_results"])
        # too many rows for the qubit budget: Grover is not run, and said so
        d = self.search({"table_name": "emb", "query_vector": q, "similarity_threshold": 0.5,
                         "use_grover": True, "max_qubits": 5}).data
        self.assertIsNone(d["grover_results"])
        self.assertIn("not run", d["unused_fields"]["use_grover"])

    def test_flag_errors(self):
        base = {"table_name": "emb", "query_vector": [1, 0, 0, 0], "similarity_threshold": 0.5}

        def with_(**kw):
            b = dict(base)
            b.update(kw)
            return b
        for body in (with_(use_qubo=True, qubo_config={"backend": "qaoa"}),
                     with_(use_qubo=True, qubo_config={"backend": "vqe"}),
                     with_(use_grover=True, grover_config={"backend": "trapped_ion"}),
                     with_(use_parallel_tempering=True, parallel_tempering_config={"backend": "pimc"}),
                     with_(use_tfim=True),
                     with_(use_tfim=True, tfim_config={"method": "trotter"})):
            with self.subTest(body=body):
                r = self.search(body, 501, "NotImplemented")
                self.assertIn("not supported yet", r.error["NotImplemented"])
        cases = [(with_(use_qubo=True, qubo_config={"backend": "magic"}), "qubo_config.backend"),
                 (with_(use_qubo=True, qubo_config={"select_count": 0}), "qubo_config.select_count"),
                 (with_(use_qubo=True, qubo_config={"redundancy_weight": -1}), "qubo_config.redundancy_weight"),
                 (with_(use_qubo=True, qubo_config={"penalty": 0}), "qubo_config.penalty"),
                 (with_(use_qubo=True, qubo_config={"time_limit_ms": 20000}), "qubo_config.time_limit_ms"),
                 (with_(use_qubo=True, qubo_config={"restarts": 65}), "qubo_config.restarts"),
                 (with_(use_qubo=True, qubo_config={"zzz": 1}), "qubo_config.zzz"),
                 (with_(use_qubo=True, qubo_config={"num_shots": "many"}), "qubo_config.num_shots"),
                 (with_(use_qubo=True, max_results=201), "max_results"),
                 (with_(use_parallel_tempering=True, max_results=500), "max_results"),
                 (with_(use_grover=True, grover_config={"num_shots": 0}), "grover_config.num_shots"),
                 (with_(use_grover=True, grover_config={"num_shots": 100001}), "grover_config.num_shots"),
                 (with_(use_grover=True, grover_config={"success_threshold": 2}), "grover_config.success_threshold"),
                 (with_(use_grover=True, grover_config={"backend": 3}), "grover_config.backend"),
                 (with_(use_grover=True, grover_config={"backend": "nope"}), "grover_config.backend"),
                 (with_(use_grover=True, grover_config={"error_mitigation": "yes"}), "grover_config.error_mitigation"),
                 (with_(use_grover=True, search_pattern=5), "search_pattern"),
                 (with_(use_parallel_tempering=True, parallel_tempering_config={"num_replicas": 1}),
                  "parallel_tempering_config.num_replicas"),
                 (with_(use_parallel_tempering=True,
                        parallel_tempering_config={"min_temperature": 2, "max_temperature": 1}),
                  "parallel_tempering_config.min_temperature"),
                 (with_(use_parallel_tempering=True, parallel_tempering_config={"backend": "x"}),
                  "parallel_tempering_config.backend")]
        for body, field in cases:
            with self.subTest(body=body):
                self.assertValidation(self.server.post(URL, body), field)
        # exact has a variable limit; with more results than that it is a precise 400
        r = self.search(with_(similarity_threshold=-1, max_results=40, use_qubo=True,
                              qubo_config={"backend": "exact"}), 400, "BadRequest")
        self.assertIn("at most 24 variables", r.error["BadRequest"])

    # ---- errors ----------------------------------------------------------------------------

    def test_errors(self):
        base = {"table_name": "emb", "query_vector": [1, 0, 0, 0], "similarity_threshold": 0.5}

        def with_(**kw):
            b = dict(base)
            b.update(kw)
            return b
        r = self.search(with_(query_vector=[]), 400, "BadRequest")
        self.assertEqual(r.error["BadRequest"], "Query vector cannot be empty")
        r = self.search(with_(table_name="nosuch"), 404, "NotFound")
        self.assertIn("nosuch", r.error["NotFound"])
        r = self.search(with_(table_name="novec"), 400, "BadRequest")
        self.assertIn("no NEURAL_VECTOR column", r.error["BadRequest"])
        r = self.search(with_(table_name="twovec", query_vector=[1, 0]), 400, "BadRequest")
        self.assertIn("vector_column", r.error["BadRequest"])
        r = self.search(with_(table_name="twovec", query_vector=[1, 0], vector_column="t"), 400, "BadRequest")
        self.assertIn("not a NEURAL_VECTOR column", r.error["BadRequest"])
        r = self.search(with_(table_name="twovec", query_vector=[1, 0], vector_column="zz"), 400, "BadRequest")
        self.assertIn("no such column", r.error["BadRequest"])
        r = self.search(with_(query_vector=[1, 0, 0]), 400, "BadRequest")
        self.assertIn("dimension mismatch", r.error["BadRequest"])
        self.assertIn("3 elements", r.error["BadRequest"])
        r = self.search(with_(table_name="declared", query_vector=[1, 0]), 400, "BadRequest")
        self.assertIn("NEURAL_VECTOR(3)", r.error["BadRequest"])
        r = self.search(with_(table_name="ragged"), 400, "BadRequest")
        self.assertIn("row 1", r.error["BadRequest"])
        # types and ranges
        cases = [(with_(query_vector="1,2"), "query_vector"),
                 (with_(query_vector=[1, "x", 0, 0]), "query_vector[1]"),
                 (with_(query_vector=[1, None, 0, 0]), "query_vector[1]"),
                 (with_(query_vector=[1e39, 0, 0, 0]), "query_vector[0]"),
                 (with_(query_vector=[0, 0, 0, 0]), "query_vector"),
                 (with_(similarity_threshold="0.5"), "similarity_threshold"),
                 (with_(similarity_threshold=1.5), "similarity_threshold"),
                 ({"table_name": "emb", "query_vector": [1, 0, 0, 0]}, "similarity_threshold"),
                 (with_(max_results=-1), "max_results"),
                 (with_(max_results=1001), "max_results"),
                 (with_(max_results=2.5), "max_results"),
                 (with_(entanglement_boost="big"), "entanglement_boost"),
                 (with_(table_name=""), "table_name"),
                 (with_(table_name="t" * 65), "table_name"),
                 (with_(table_name=5), "table_name"),
                 (with_(max_qubits=0), "max_qubits"),
                 (with_(max_qubits=21), "max_qubits"),
                 (with_(use_qubo="yes"), "use_qubo"),
                 (with_(qubo_config=[]), "qubo_config"),
                 (with_(quantum_level=3), "quantum_level"),
                 ({k: v for k, v in base.items() if k != "table_name"}, "table_name")]
        for body, field in cases:
            with self.subTest(body=body):
                self.assertValidation(self.server.post(URL, body), field)

    def test_permissions(self):
        s = self.server
        body = {"table_name": "emb", "query_vector": [1, 0, 0, 0], "similarity_threshold": 0.5}
        r = self.search(body, 403, "Forbidden", key=s.generate_key(["read"], name="r-only"))
        self.assertEqual(r.error["Forbidden"], "Quantum permission required")
        r = self.search(body, 403, "Forbidden", key=s.generate_key(["quantum"], name="q-only"))
        self.assertIn("Read permission required", r.error["Forbidden"])
        self.search(body, 200, key=s.generate_key(["quantum", "read"], name="q-read"))
        self.search(body, 401, "Unauthorized", key=None)


if __name__ == "__main__":
    nqserver.main()
