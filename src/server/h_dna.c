/*
 * h_dna.c — POST /api/v1/dna/compress and POST /api/v1/dna/decompress (reference 1.16-1.17,
 * made correct; docs/api.md "DNA" has the wire format, docs/dna.md the codecs).
 *
 * Upstream packed bases 2 bits each (which cannot compress), answered with a fake
 * `"md5_{i}"` checksum or a byte sum, and its decompress could not tell padding from data. Here
 * each sequence goes through the DNA library's codec (src/dna/dna_zip.h) and the container it
 * writes is what the client gets back, base64-encoded:
 *
 *  - compressed_data  base64 of the dna_zip container (its format: docs/dna.md, "Container
 *                     format"), which records the exact length, the algorithm and a CRC-32C of
 *                     the original, so decompress restores the sequence byte for byte;
 *  - compression_ratio  original bytes / container bytes (a real number, computed from the
 *                     sizes actually sent; below 1 for very short sequences, honestly);
 *  - checksum         the CRC-32C (Castagnoli) of the original sequence bytes, 8 lower-case
 *                     hex digits — the same value the container stores and checks.
 *
 * Algorithms are the library's: "TwoBit", "KmerBased", "NeuralNetwork", "Hybrid" (default:
 * "Hybrid"); "QuantumInspired" is a 400 that says why (the library's own message). Upstream's
 * compression_level (u8) has no meaning for these codecs — the algorithm is the only knob — so
 * it is validated (0..255) and then reported in data.unused_fields with that reason, never
 * silently dropped.
 *
 * Input alphabet: upstream answered 500 for anything outside ATGCatgc. The codec keeps any byte,
 * but an API named "DNA sequences" takes sequences: A C G T N and the IUPAC codes R Y K M S W B
 * D H V in either case are accepted and restored exactly (case included); any other byte
 * (digits, spaces, line breaks, '>' headers, NUL) is a 400 naming the sequence index and the
 * position (from 0) of the first bad byte.
 *
 * Bounds: the body is bounded by security.max_payload_size (http.c). Decompression output is
 * bounded by DNA_OUT_FACTOR x security.max_payload_size for the whole request (the container
 * says how long its original is before anything is allocated: the library refuses a container
 * that claims more than the bound left), so a few bytes claiming a terabyte of N get a 413.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/crc32c.h"
#include "dna/dna_zip.h"
#include "rowjson.h"
#include "server.h"

#define DNA_OUT_FACTOR 8
#define DNA_MAX_ITEMS 100000

static double mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void crc_hex(uint32_t crc, char out[9])
{
    snprintf(out, 9, "%08x", (unsigned)crc);
}

/* ---- base64 (RFC 4648 §4, standard alphabet, padding required) ----------------------------- */

static int b64_val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Strict decode of s[0..n) into *out (malloc'd). 0, -1 malformed (*bad = offending offset),
 * -2 out of memory. */
static int b64_decode(const char *s, size_t n, uint8_t **out, size_t *outlen, size_t *bad)
{
    *out = NULL;
    *outlen = 0;
    if (n % 4) {
        *bad = n;
        return -1;
    }
    uint8_t *o = malloc(n / 4 * 3 + 1);
    if (!o)
        return -2;
    size_t k = 0;
    for (size_t i = 0; i < n; i += 4) {
        int v[4], pad = 0;
        for (int j = 0; j < 4; j++) {
            unsigned char c = (unsigned char)s[i + j];
            if (c == '=' && i + 4 == n && j >= 2 && (j == 3 || s[i + 3] == '=')) {
                v[j] = 0;
                pad++;
                continue;
            }
            v[j] = b64_val(c);
            if (v[j] < 0 || pad) {
                free(o);
                *bad = i + (size_t)j;
                return -1;
            }
        }
        uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        o[k++] = (uint8_t)(w >> 16);
        if (pad < 2)
            o[k++] = (uint8_t)(w >> 8);
        if (pad < 1)
            o[k++] = (uint8_t)w;
    }
    *out = o;
    *outlen = k;
    return 0;
}

/* ---- POST /api/v1/dna/compress ------------------------------------------------------------- */

int h_dna_compress(req *r)
{
    static const char *const allowed[] = {"sequences", "algorithm", "compression_level", NULL};
    int st = req_body_object(r, allowed);
    if (st)
        return st;
    json_t *seqs;
    if ((st = req_array(r, r->json, "sequences", 1, &seqs)))
        return st;
    const char *aname;
    if ((st = req_string(r, r->json, "algorithm", 0, &aname)))
        return st;
    uint64_t level = 0;
    int have_level = json_object_get(r->json, "compression_level") &&
                     !json_is_null(json_object_get(r->json, "compression_level"));
    if ((st = req_uint(r, r->json, "compression_level", 0, 255, &level)))
        return st;
    dna_algo algo = DNA_ALGO_HYBRID;
    nq_err err = {0};
    if (aname && dna_algo_parse(aname, &algo, &err))
        return req_fail(r, AE_VALIDATION, "algorithm", err.msg);
    size_t n = json_array_size(seqs);
    if (n == 0)
        return req_fail(r, AE_BAD_REQUEST, "No DNA sequences provided", NULL);
    if (n > DNA_MAX_ITEMS)
        return req_failf(r, AE_BAD_REQUEST, "at most %d sequences per request", DNA_MAX_ITEMS);
    /* validate everything before compressing anything */
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(seqs, i);
        if (!json_is_string(v))
            return req_failf(r, AE_BAD_REQUEST, "Invalid DNA sequence at index %zu: must be a string", i);
        const char *s = json_string_value(v);
        size_t len = json_string_length(v);
        size_t p = dna_seq_find_invalid(s, len);
        if (p < len) {
            unsigned char c = (unsigned char)s[p];
            if (c > 0x20 && c < 0x7f)
                return req_failf(r, AE_BAD_REQUEST,
                                 "Invalid DNA sequence at index %zu: character '%c' at position %zu is "
                                 "not a base (A C G T N or an IUPAC code, either case)", i, c, p);
            return req_failf(r, AE_BAD_REQUEST,
                             "Invalid DNA sequence at index %zu: byte 0x%02x at position %zu is "
                             "not a base (A C G T N or an IUPAC code, either case)", i, c, p);
        }
    }

    double t0 = mono_ms();
    json_t *items = json_array();
    uint64_t tot_in = 0, tot_out = 0;
    double ratio_sum = 0;
    dna_buf buf = {0};
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(seqs, i);
        const char *s = json_string_value(v);
        size_t len = json_string_length(v);
        buf.len = 0;
        int rc = dna_compress((const uint8_t *)s, len, algo, &buf, &err);
        dna_zip_info info;
        if (!rc)
            rc = dna_zip_info_get(buf.data, buf.len, &info, &err);
        if (rc) {
            dna_buf_free(&buf);
            json_decref(items);
            return req_failf(r, AE_INTERNAL, "compressing sequence %zu: %s", i, err.msg);
        }
        char *b64 = rowjson_base64(buf.data, buf.len);
        if (!b64) {
            dna_buf_free(&buf);
            json_decref(items);
            return req_fail(r, AE_INTERNAL, "out of memory", NULL);
        }
        double ratio = (double)len / (double)buf.len;
        char crc[9];
        crc_hex(info.crc, crc);
        json_t *it = json_object();
        json_object_set_new(it, "original_length", json_integer((json_int_t)len));
        json_object_set_new(it, "compressed_data", json_string(b64));
        json_object_set_new(it, "compressed_size", json_integer((json_int_t)buf.len));
        json_object_set_new(it, "compression_ratio", json_real(ratio));
        json_object_set_new(it, "bits_per_base",
                            len ? json_real(8.0 * (double)buf.len / (double)len) : json_null());
        json_object_set_new(it, "checksum", json_string(crc));
        json_array_append_new(items, it);
        free(b64);
        tot_in += len;
        tot_out += buf.len;
        ratio_sum += ratio;
    }
    dna_buf_free(&buf);
    double ms = mono_ms() - t0;

    json_t *stats = json_object();
    json_object_set_new(stats, "total_input_size", json_integer((json_int_t)tot_in));
    json_object_set_new(stats, "total_compressed_size", json_integer((json_int_t)tot_out));
    json_object_set_new(stats, "average_compression_ratio", json_real(ratio_sum / (double)n));
    json_object_set_new(stats, "overall_compression_ratio",
                        json_real((double)tot_in / (double)tot_out));
    json_object_set_new(stats, "compression_time_ms", envelope_ms(ms));
    json_t *data = json_object();
    json_object_set_new(data, "compressed_sequences", items);
    json_object_set_new(data, "compression_stats", stats);
    json_object_set_new(data, "algorithm", json_string(dna_algo_name(algo)));
    json_object_set_new(data, "checksum_algorithm", json_string("CRC-32C"));
    if (have_level) {
        json_t *u = json_object();
        json_object_set_new(u, "compression_level",
                            json_string("the DNA codecs have no levels: the algorithm chooses the "
                                        "model (docs/api.md)"));
        json_object_set_new(data, "unused_fields", u);
    }
    return req_ok(r, 200, data, "Compressed %zu DNA sequence%s with %s", n, n == 1 ? "" : "s",
                  dna_algo_name(algo));
}

/* ---- POST /api/v1/dna/decompress ----------------------------------------------------------- */

int h_dna_decompress(req *r)
{
    static const char *const allowed[] = {"compressed_data", NULL};
    int st = req_body_object(r, allowed);
    if (st)
        return st;
    json_t *arr;
    if ((st = req_array(r, r->json, "compressed_data", 1, &arr)))
        return st;
    size_t n = json_array_size(arr);
    if (n == 0)
        return req_fail(r, AE_BAD_REQUEST, "No compressed data provided", NULL);
    if (n > DNA_MAX_ITEMS)
        return req_failf(r, AE_BAD_REQUEST, "at most %d containers per request", DNA_MAX_ITEMS);
    for (size_t i = 0; i < n; i++)
        if (!json_is_string(json_array_get(arr, i)))
            return req_failf(r, AE_BAD_REQUEST, "Invalid compressed data at index %zu: must be a base64 string", i);

    uint64_t budget = (uint64_t)r->srv->cfg.security.max_payload_size * DNA_OUT_FACTOR;
    double t0 = mono_ms();
    json_t *items = json_array();
    dna_buf out = {0};
    nq_err err = {0};
    uint64_t tot = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(arr, i);
        uint8_t *bin;
        size_t blen, bad;
        int rc = b64_decode(json_string_value(v), json_string_length(v), &bin, &blen, &bad);
        if (rc == -2) {
            dna_buf_free(&out);
            json_decref(items);
            return req_fail(r, AE_INTERNAL, "out of memory", NULL);
        }
        if (rc) {
            dna_buf_free(&out);
            json_decref(items);
            return req_failf(r, AE_BAD_REQUEST,
                             "Invalid compressed data at index %zu: not base64 (at character %zu)", i, bad);
        }
        dna_zip_info info;
        out.len = 0;
        rc = dna_zip_info_get(bin, blen, &info, &err);
        if (!rc)
            rc = dna_decompress(bin, blen, budget - tot, &out, &err);
        free(bin);
        if (rc) {
            dna_buf_free(&out);
            json_decref(items);
            if (rc == NQ_ENOMEM)
                return req_fail(r, AE_INTERNAL, "out of memory", NULL);
            if (rc == NQ_ETOOBIG)
                return req_failf(r, AE_PAYLOAD_TOO_LARGE,
                                 "the sequences would exceed %llu bytes (%d x security.max_payload_size)",
                                 (unsigned long long)budget, DNA_OUT_FACTOR);
            return req_failf(r, AE_BAD_REQUEST, "Invalid compressed data at index %zu: %s", i, err.msg);
        }
        tot += out.len;
        char got[9], stored[9];
        uint32_t crc = crc32c(0, out.data, out.len);
        crc_hex(crc, got);
        crc_hex(info.crc, stored);
        json_t *seq = json_stringn((const char *)out.data, out.len);
        if (!seq) {
            dna_buf_free(&out);
            json_decref(items);
            return req_failf(r, AE_BAD_REQUEST,
                             "Invalid compressed data at index %zu: the restored bytes are not text "
                             "(a container of a binary file: use nqdb dna decompress)", i);
        }
        json_t *it = json_object();
        json_object_set_new(it, "sequence", seq);
        json_object_set_new(it, "length", json_integer((json_int_t)out.len));
        json_object_set_new(it, "algorithm", json_string(dna_algo_name(info.algo)));
        json_object_set_new(it, "original_checksum", json_string(got));
        json_object_set_new(it, "stored_checksum", json_string(stored));
        json_object_set_new(it, "checksum_valid", json_boolean(crc == info.crc));
        json_array_append_new(items, it);
    }
    dna_buf_free(&out);
    double ms = mono_ms() - t0;
    json_t *data = json_object();
    json_object_set_new(data, "decompressed_sequences", items);
    json_object_set_new(data, "total_output_size", json_integer((json_int_t)tot));
    json_object_set_new(data, "decompression_time_ms", envelope_ms(ms));
    json_object_set_new(data, "checksum_algorithm", json_string("CRC-32C"));
    return req_ok(r, 200, data, "Decompressed %zu DNA sequence%s", n, n == 1 ? "" : "s");
}
