/*
 * h_biometric.c — /api/v1/biometric: EEG enrolment, verification, update, list and revoke
 * (reference 1.19 and 3, made real: upstream lost every enrolment, ignored the sampling rate
 * and answered a verification with an unsigned fake token). docs/api.md has the wire format,
 * docs/security.md the pipeline, the evaluation and the threat model.
 *
 * Signals. raw_eeg_data / eeg_sample is an array of numbers (one channel) or an array of
 * equally long arrays of numbers (one per channel, at most EEG_MAX_CHANNELS); eeg_samples (of
 * /biometric/enroll) is an array of such recordings. sampling_rate (Hz) is honoured: the
 * filters, the spectra and therefore the features are computed at the caller's rate, so a
 * template enrolled at 256 Hz verifies a probe recorded at 512 Hz. Outside 128..2048 Hz it is
 * a 400 ValidationError (upstream answered 500). The signal processing is src/biometric
 * (nqbio).
 *
 * Templates belong to users of the credential store (`nqdb user create`): enrolling for an
 * unknown user is a 404. They are kept encrypted in auth.db (bio_store.c) and survive
 * restarts. A verification at or above the threshold (EEG_DEFAULT_THRESHOLD, chosen by the
 * synthetic evaluation of bench/bench_eeg.c) issues an HS256 access token for that user with
 * the user's permissions, a lifetime of BIO_TOKEN_SECONDS and the claim amr ["eeg"]; it works
 * on every route like a login's access token. Verification attempts against one user are
 * limited (BIO_ATTEMPTS per BIO_WINDOW seconds, whoever asks) so that probes cannot be tried
 * at machine speed.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"

#define BIO_TOKEN_SECONDS 300
#define BIO_ATTEMPTS 20
#define BIO_WINDOW 300
#define BIO_MAX_RECORDINGS 32
#define BIO_DEFAULT_RATE 256.0

/* One recording from the request: channels of n samples each. */
typedef struct signal_in {
    double *buf;
    double *chan[EEG_MAX_CHANNELS];
    unsigned nchan;
    size_t n;
} signal_in;

static void signal_free(signal_in *s)
{
    free(s->buf);
    memset(s, 0, sizeof *s);
}

static int bad(req *r, const char *field, const char *msg)
{
    return req_fail(r, AE_VALIDATION, field, msg);
}

static int number_at(req *r, const char *field, json_t *v, size_t i, double *out)
{
    if (!json_is_number(v)) {
        char msg[120];
        snprintf(msg, sizeof msg, "element %zu must be a number", i);
        return bad(r, field, msg);
    }
    double d = json_number_value(v);
    if (!isfinite(d) || fabs(d) > 1e6) {
        char msg[120];
        snprintf(msg, sizeof msg, "element %zu must be a finite number within +-1e6", i);
        return bad(r, field, msg);
    }
    *out = d;
    return 0;
}

/* Parse a recording (see the file comment) from v into s. */
static int parse_signal(req *r, const char *field, json_t *v, signal_in *s)
{
    memset(s, 0, sizeof *s);
    if (!json_is_array(v) || json_array_size(v) == 0)
        return bad(r, field,
                   "must be a non-empty array of numbers (one channel) or of arrays of numbers "
                   "(one per channel)");
    int multi = json_is_array(json_array_get(v, 0));
    size_t nchan = multi ? json_array_size(v) : 1;
    size_t n = multi ? json_array_size(json_array_get(v, 0)) : json_array_size(v);
    if (nchan > EEG_MAX_CHANNELS) {
        char msg[80];
        snprintf(msg, sizeof msg, "at most %d channels are supported", EEG_MAX_CHANNELS);
        return bad(r, field, msg);
    }
    if (n > EEG_MAX_SAMPLES) {
        char msg[80];
        snprintf(msg, sizeof msg, "at most %u samples per channel are supported",
                 EEG_MAX_SAMPLES);
        return bad(r, field, msg);
    }
    if (n == 0)
        return bad(r, field, "a channel has no samples");
    if (!(s->buf = malloc(nchan * n * sizeof *s->buf)))
        return req_fail(r, AE_INTERNAL, "out of memory", NULL);
    s->nchan = (unsigned)nchan;
    s->n = n;
    for (size_t c = 0; c < nchan; c++) {
        s->chan[c] = s->buf + c * n;
        json_t *ch = multi ? json_array_get(v, c) : v;
        if (!json_is_array(ch) || json_array_size(ch) != n) {
            signal_free(s);
            return bad(r, field, "every channel must be an array of numbers of the same length");
        }
        for (size_t i = 0; i < n; i++) {
            char where[64];
            if (multi)
                snprintf(where, sizeof where, "%s[%zu]", field, c);
            else
                snprintf(where, sizeof where, "%s", field);
            if (number_at(r, where, json_array_get(ch, i), i, &s->chan[c][i])) {
                signal_free(s);
                return r->status;
            }
        }
    }
    return 0;
}

static int parse_rate(req *r, int required, double *fs)
{
    json_t *v = json_object_get(r->json, "sampling_rate");
    if (!v || json_is_null(v)) {
        if (required)
            return bad(r, "sampling_rate", "is required");
        *fs = BIO_DEFAULT_RATE;
        return 0;
    }
    if (!json_is_number(v))
        return bad(r, "sampling_rate", "must be a number (Hz)");
    double d = json_number_value(v);
    if (!(d >= EEG_FS_MIN && d <= EEG_FS_MAX)) {
        char msg[120];
        snprintf(msg, sizeof msg, "Invalid sampling rate: %gHz (must be between 128-2048Hz)", d);
        return bad(r, "sampling_rate", msg);
    }
    *fs = d;
    return 0;
}

static int parse_user(req *r, const char **user)
{
    if (req_string(r, r->json, "user_id", 1, user))
        return r->status;
    size_t n = strlen(*user);
    if (n > AUTH_MAX_USER)
        return bad(r, "user_id", "must be at most 64 characters");
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)(*user)[i] <= 0x20 || (unsigned char)(*user)[i] >= 0x7f)
            return bad(r, "user_id", "must be printable ASCII without spaces (a user name)");
    return 0;
}

/* Features of one recording. 0, or the eeg_features code with its message in msg. */
static int features_of(const signal_in *s, double fs, double *feat, eeg_quality *q, char *msg,
                       size_t cap)
{
    nq_err e;
    nq_err_clear(&e);
    int rc = eeg_features((const double *const *)s->chan, s->nchan, s->n, fs, feat, q, &e);
    if (rc)
        snprintf(msg, cap, "%s", e.msg[0] ? e.msg : nq_strerror(rc));
    return rc;
}

static void iso_time(int64_t t, char out[32])
{
    auth_format_time(t, out, 32);
}

/* The per-user attempt limit of verifications. */
static int attempt_limit(req *r, const char *user)
{
    char key[200];
    rl_result res;
    snprintf(key, sizeof key, "eeg:user:%s", user);
    rl_take(r->srv->rl, key, BIO_ATTEMPTS, BIO_WINDOW, &res);
    if (res.allowed)
        return 0;
    metrics_ratelimited(r->srv->metrics, "eeg");
    r->rl = res;
    r->rl_set = 1;
    char lim[24];
    snprintf(lim, sizeof lim, "%u", BIO_ATTEMPTS);
    return req_fail(r, AE_RATE_LIMITED, lim, "5 minutes");
}

/* Features of a probe and its score against user's template. On failure r holds the answer
 * (kind AE_UNAUTHORIZED with prefix for processing errors, or a validation error). */
static int score_probe(req *r, const char *user, const char *field, json_t *sig, double fs,
                       const char *prefix, double *sim)
{
    signal_in s;
    if (parse_signal(r, field, sig, &s))
        return r->status;
    double *feat = malloc((size_t)s.nchan * EEG_NFEAT * sizeof *feat);
    if (!feat) {
        signal_free(&s);
        return req_fail(r, AE_INTERNAL, "out of memory", NULL);
    }
    char msg[NQ_ERRMSG_MAX];
    eeg_quality q;
    int rc = features_of(&s, fs, feat, &q, msg, sizeof msg);
    if (rc == NQ_ENOMEM) {
        rc = req_fail(r, AE_INTERNAL, "out of memory", NULL);
    } else if (rc) {
        rc = req_failf(r, AE_UNAUTHORIZED, "%s: %s", prefix, msg);
    } else {
        rc = bio_verify(r->srv->auth, user, feat, s.nchan, sim, msg, sizeof msg);
        if (rc == NQ_ENOTFOUND)
            rc = req_failf(r, AE_UNAUTHORIZED, "%s: %s", prefix, msg);
        else if (rc == NQ_EINVAL)
            rc = bad(r, field, msg);
        else if (rc)
            rc = req_fail(r, AE_INTERNAL, msg, NULL);
    }
    free(feat);
    signal_free(&s);
    return rc;
}

static void add_token(req *r, json_t *d, const char *user, const char *field)
{
    char *tok = NULL, err[200];
    int64_t exp = 0;
    if (bio_issue_token(r->srv->auth, &r->srv->jwt, user, BIO_TOKEN_SECONDS, &tok, &exp, err,
                        sizeof err) == 0) {
        json_object_set_new(d, field, json_string(tok));
        json_object_set_new(d, "token_type", json_string("Bearer"));
        json_object_set_new(d, "expires_in", json_integer(BIO_TOKEN_SECONDS));
        free(tok);
    } else {
        srvlog_msg(&r->srv->log, SRVLOG_ERROR, r->request_id, "EEG token for %s: %s", user, err);
    }
}

/* ---- POST /api/v1/biometric/eeg/enroll, /eeg/update ------------------------------------- */

static int enroll_one(req *r, int add)
{
    static const char *const allowed[] = {"user_id", "sampling_rate", "raw_eeg_data", "channel",
                                          NULL};
    const char *user, *label;
    double fs;
    json_t *sig;
    const char *prefix = add ? "Failed to update signature" : "EEG enrollment failed";
    if (req_body_object(r, allowed) || parse_user(r, &user) || parse_rate(r, 1, &fs) ||
        req_array(r, r->json, "raw_eeg_data", 1, &sig) ||
        req_string(r, r->json, "channel", 0, &label))
        return r->status;
    if (!bio_user_exists(r->srv->auth, user)) {
        if (add)
            return req_failf(r, AE_BAD_REQUEST, "%s: User signature not found: %s", prefix, user);
        return req_failf(r, AE_NOT_FOUND,
                         "user %s (EEG templates are enrolled for users created with `nqdb "
                         "user create`)",
                         user);
    }
    signal_in s;
    if (parse_signal(r, "raw_eeg_data", sig, &s))
        return r->status;
    double *feat = malloc((size_t)s.nchan * EEG_NFEAT * sizeof *feat);
    char msg[NQ_ERRMSG_MAX];
    eeg_quality q;
    bio_meta m;
    int rc = feat ? features_of(&s, fs, feat, &q, msg, sizeof msg) : NQ_ENOMEM;
    if (rc == 0)
        rc = bio_enroll(r->srv->auth, user, add, feat, 1, s.nchan, &m, msg, sizeof msg);
    unsigned nchan = s.nchan;
    free(feat);
    signal_free(&s);
    if (rc == NQ_ENOMEM)
        return req_fail(r, AE_INTERNAL, "out of memory", NULL);
    if (rc == NQ_EINVAL || rc == NQ_ENOTFOUND)
        return req_failf(r, AE_BAD_REQUEST, "%s: %s", prefix, msg);
    if (rc)
        return req_fail(r, AE_INTERNAL, msg, NULL);
    if (add)
        return req_ok(r, 200, json_sprintf("EEG signature updated for user %s", user),
                      "EEG signature updated (%u samples, %u channels)", m.samples, nchan);
    char created[32];
    iso_time(m.created_at, created);
    json_t *d = json_object();
    json_object_set_new(d, "user_id", json_string(user));
    json_object_set_new(d, "enrolled", json_true());
    json_object_set_new(d, "signature_quality", json_real(q.score));
    json_object_set_new(d, "enrollment_count", json_integer(m.samples));
    json_object_set_new(d, "channels", json_integer(nchan));
    json_object_set_new(d, "created_at", json_string(created));
    return req_ok(r, 200, d, "EEG signature enrolled for user %s", user);
}

int h_eeg_enroll(req *r)
{
    return enroll_one(r, 0);
}

int h_eeg_update(req *r)
{
    return enroll_one(r, 1);
}

/* ---- POST /api/v1/biometric/eeg/authenticate -------------------------------------------- */

int h_eeg_authenticate(req *r)
{
    static const char *const allowed[] = {"user_id", "sampling_rate", "raw_eeg_data", "channel",
                                          NULL};
    const char *user, *label;
    double fs, sim = 0;
    json_t *sig;
    if (req_body_object(r, allowed) || parse_user(r, &user) || parse_rate(r, 1, &fs) ||
        req_array(r, r->json, "raw_eeg_data", 1, &sig) ||
        req_string(r, r->json, "channel", 0, &label))
        return r->status;
    if (attempt_limit(r, user) ||
        score_probe(r, user, "raw_eeg_data", sig, fs, "EEG authentication failed", &sim)) {
        if (r->status == 401)
            metrics_auth(r->srv->metrics, 0);
        return r->status;
    }
    if (sim < EEG_DEFAULT_THRESHOLD) {
        metrics_auth(r->srv->metrics, 0);
        srvlog_msg(&r->srv->log, SRVLOG_WARN, r->request_id,
                   "EEG authentication of \"%s\" rejected (similarity %.3f) from %s", user, sim,
                   r->client_ip);
        return req_fail(r, AE_UNAUTHORIZED, "EEG authentication failed: signature mismatch",
                        NULL);
    }
    metrics_auth(r->srv->metrics, 1);
    char ts[40];
    envelope_timestamp(ts);
    json_t *d = json_object();
    json_object_set_new(d, "authenticated", json_true());
    json_object_set_new(d, "user_id", json_string(user));
    json_object_set_new(d, "similarity_score", json_real(sim));
    json_object_set_new(d, "threshold", json_real(EEG_DEFAULT_THRESHOLD));
    json_object_set_new(d, "timestamp", json_string(ts));
    add_token(r, d, user, "session_token");
    return req_ok(r, 200, d, "EEG authentication successful");
}

/* ---- GET /api/v1/biometric/eeg/users, DELETE /eeg/users/{user_id} ----------------------- */

static void list_one(void *arg, const bio_meta *m)
{
    json_array_append_new((json_t *)arg, json_string(m->user));
}

int h_eeg_users(req *r)
{
    json_t *a = json_array();
    char err[256];
    if (bio_list(r->srv->auth, list_one, a, err, sizeof err) != 0) {
        json_decref(a);
        return req_fail(r, AE_INTERNAL, err, NULL);
    }
    return req_ok(r, 200, a, "%zu EEG signatures enrolled", json_array_size(a));
}

int h_eeg_revoke(req *r)
{
    const char *user = r->params[0];
    char err[256];
    int rc = bio_revoke(r->srv->auth, user, err, sizeof err);
    if (rc == NQ_ENOTFOUND)
        return req_failf(r, AE_NOT_FOUND, "EEG signature of user %s", user);
    if (rc)
        return req_fail(r, AE_INTERNAL, err, NULL);
    return req_ok(r, 200, json_sprintf("EEG signature revoked for user %s", user),
                  "EEG signature revoked");
}

/* ---- POST /api/v1/biometric/enroll -------------------------------------------------------- */

int h_bio_enroll(req *r)
{
    static const char *const allowed[] = {"user_id", "eeg_samples", "sampling_rate", "channels",
                                          NULL};
    const char *user;
    double fs;
    json_t *samples, *labels;
    if (req_body_object(r, allowed) || parse_user(r, &user) || parse_rate(r, 0, &fs) ||
        req_array(r, r->json, "eeg_samples", 1, &samples) ||
        req_array(r, r->json, "channels", 0, &labels))
        return r->status;
    size_t nrec = json_array_size(samples);
    if (nrec == 0)
        return req_fail(r, AE_BAD_REQUEST, "At least one EEG sample is required for enrollment",
                        NULL);
    if (nrec > BIO_MAX_RECORDINGS) {
        char msg[80];
        snprintf(msg, sizeof msg, "at most %d samples per request", BIO_MAX_RECORDINGS);
        return bad(r, "eeg_samples", msg);
    }
    if (labels) {
        size_t i;
        json_t *l;
        json_array_foreach(labels, i, l)
        {
            if (!json_is_string(l))
                return bad(r, "channels", "must be an array of channel names (strings)");
        }
    }
    if (!bio_user_exists(r->srv->auth, user))
        return req_failf(r, AE_NOT_FOUND,
                         "user %s (EEG templates are enrolled for users created with `nqdb "
                         "user create`)",
                         user);
    double *feats = NULL, qsum = 0;
    unsigned nchan = 0;
    int rc = 0;
    for (size_t k = 0; k < nrec && rc == 0; k++) {
        char field[40], msg[NQ_ERRMSG_MAX];
        snprintf(field, sizeof field, "eeg_samples[%zu]", k);
        signal_in s;
        if (parse_signal(r, field, json_array_get(samples, k), &s)) {
            rc = r->status;
            break;
        }
        if (k == 0) {
            nchan = s.nchan;
            if (labels && json_array_size(labels) != nchan) {
                signal_free(&s);
                rc = bad(r, "channels", "must name as many channels as each sample has");
                break;
            }
            feats = malloc(nrec * nchan * EEG_NFEAT * sizeof *feats);
            if (!feats) {
                signal_free(&s);
                rc = req_fail(r, AE_INTERNAL, "out of memory", NULL);
                break;
            }
        } else if (s.nchan != nchan) {
            signal_free(&s);
            rc = bad(r, field, "every sample must have the same number of channels");
            break;
        }
        eeg_quality q;
        int frc = features_of(&s, fs, feats + k * nchan * EEG_NFEAT, &q, msg, sizeof msg);
        signal_free(&s);
        if (frc == NQ_ENOMEM)
            rc = req_fail(r, AE_INTERNAL, "out of memory", NULL);
        else if (frc)
            rc = req_failf(r, AE_BAD_REQUEST, "EEG enrollment failed: sample %zu: %s", k, msg);
        qsum += q.score;
    }
    if (rc) {
        free(feats);
        return rc;
    }
    char err[300];
    bio_meta m;
    rc = bio_enroll(r->srv->auth, user, 0, feats, (unsigned)nrec, nchan, &m, err, sizeof err);
    free(feats);
    if (rc)
        return req_fail(r, AE_INTERNAL, err, NULL);
    json_t *d = json_object();
    json_object_set_new(d, "success", json_true());
    json_object_set_new(d, "user_id", json_string(user));
    json_object_set_new(d, "enrollment_status", json_string("completed"));
    json_object_set_new(d, "template_quality", json_real(qsum / (double)nrec / 100));
    json_object_set_new(d, "enrollment_count", json_integer(m.samples));
    json_object_set_new(d, "channels", json_integer(nchan));
    json_object_set_new(d, "message", json_sprintf("EEG template enrolled from %zu samples", nrec));
    return req_ok(r, 200, d, "EEG template enrolled for user %s", user);
}

/* ---- POST /api/v1/biometric/verify -------------------------------------------------------- */

int h_bio_verify(req *r)
{
    static const char *const allowed[] = {"user_id", "eeg_sample", "sampling_rate", NULL};
    const char *user;
    double fs, sim = 0;
    json_t *sig;
    if (req_body_object(r, allowed) || parse_user(r, &user) || parse_rate(r, 0, &fs) ||
        req_array(r, r->json, "eeg_sample", 1, &sig))
        return r->status;
    if (attempt_limit(r, user) ||
        score_probe(r, user, "eeg_sample", sig, fs, "Biometric verification failed", &sim)) {
        if (r->status == 401)
            metrics_auth(r->srv->metrics, 0);
        return r->status;
    }
    int ok = sim >= EEG_DEFAULT_THRESHOLD;
    metrics_auth(r->srv->metrics, ok);
    json_t *d = json_object();
    json_object_set_new(d, "success", json_true());
    json_object_set_new(d, "user_id", json_string(user));
    json_object_set_new(d, "verified", json_boolean(ok));
    json_object_set_new(d, "confidence", json_real(sim));
    json_object_set_new(d, "threshold", json_real(EEG_DEFAULT_THRESHOLD));
    if (ok)
        add_token(r, d, user, "session_token");
    else
        srvlog_msg(&r->srv->log, SRVLOG_WARN, r->request_id,
                   "EEG verification of \"%s\" rejected (similarity %.3f) from %s", user, sim,
                   r->client_ip);
    return req_ok(r, 200, d, ok ? "EEG verification successful" : "EEG verification rejected");
}
