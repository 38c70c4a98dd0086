/*
 * Line-oriented test driver for the C reference (used by tests/ble/test_firmware_protocol.py).
 *
 * stdin, one request per line:
 *   decode <kind> <hex>                -> "ok <canonical fields>" | "ignored" | "err <code>"
 *   encode <kind> <canonical fields>   -> "<hex>" | "err <code>"
 * kind: data | status | info | command | response. Canonical fields are key=value tokens in a fixed
 * order (see canonical() in the Python test); lists are comma-separated ("xyz=1,2,3,4,5,6", "params=").
 *
 * Build: cc -std=c99 -Wall -Wextra -pedantic -o test_vectors test_vectors.c lrm_protocol.c
 * SPDX-License-Identifier: MIT
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lrm_protocol.h"

#define MAX_BYTES 2048
#define MAX_XYZ (3 * 255)

static const char *err_name(int rc) {
    switch (rc) {
    case LRM_ERR_BAD_VERSION: return "bad_version";
    case LRM_ERR_TRUNCATED: return "truncated";
    case LRM_ERR_WRONG_LENGTH: return "wrong_length";
    case LRM_ERR_BAD_ENCODING: return "bad_encoding";
    case LRM_ERR_UNKNOWN_OPCODE: return "unknown_opcode";
    case LRM_ERR_NOT_RESPONSE: return "not_response";
    case LRM_ERR_BAD_PARAMETER: return "bad_parameter";
    case LRM_ERR_BUFFER: return "buffer";
    default: return "unknown";
    }
}

static size_t parse_hex(const char *s, uint8_t *out) {
    size_t n = 0;
    unsigned v;
    while (*s && *s != '\n' && n < MAX_BYTES) {
        if (*s == ' ') { s++; continue; }
        if (sscanf(s, "%2x", &v) != 1) break;
        out[n++] = (uint8_t)v;
        s += 2;
    }
    return n;
}

static void print_hex(const uint8_t *b, int n) {
    int i;
    for (i = 0; i < n; i++) printf("%02x", b[i]);
    printf("\n");
}

/* value of key=... in the token string (integers only); lists via get_list */
static uint64_t get(const char *fields, const char *key) {
    char pat[64];
    const char *p;
    snprintf(pat, sizeof pat, " %s=", key);
    p = strstr(fields, pat);
    return p ? strtoull(p + strlen(pat), NULL, 10) : 0;
}

static unsigned get_list(const char *fields, const char *key, int64_t *out, unsigned cap) {
    char pat[64];
    const char *p;
    char *end;
    unsigned n = 0;
    snprintf(pat, sizeof pat, " %s=", key);
    p = strstr(fields, pat);
    if (!p) return 0;
    p += strlen(pat);
    while (n < cap && *p && *p != ' ' && *p != '\n') {
        out[n++] = strtoll(p, &end, 10);
        if (end == p) break;
        p = (*end == ',') ? end + 1 : end;
    }
    return n;
}

static void print_list64(const uint64_t *v, unsigned n) {
    unsigned i;
    for (i = 0; i < n; i++) printf(i ? ",%" PRIu64 : "%" PRIu64, v[i]);
}

static void decode(const char *kind, const uint8_t *b, size_t len) {
    int rc;
    unsigned i;
    if (!strcmp(kind, "data")) {
        lrm_data_header h;
        static int16_t xyz[MAX_XYZ];
        rc = lrm_decode_data(b, len, &h, xyz, 255);
        if (rc == LRM_IGNORED) { printf("ignored\n"); return; }
        if (rc) { printf("err %s\n", err_name(rc)); return; }
        printf("ok version=%u type=%u flags=%u seq=%u sample_index=%" PRIu32 " tick=%" PRIu32
               " odr_code=%u range_code=%u encoding=%u session_id=%u n=%u xyz=",
               h.version, h.type, h.flags, h.seq, h.sample_index, h.tick, h.odr_code, h.range_code,
               h.encoding, h.session_id, h.n);
        for (i = 0; i < 3u * h.n; i++) printf(i ? ",%d" : "%d", xyz[i]);
        printf("\n");
    } else if (!strcmp(kind, "status")) {
        lrm_status s;
        rc = lrm_decode_status(b, len, &s);
        if (rc) { printf("err %s\n", err_name(rc)); return; }
        printf("ok version=%u battery_pct=%u battery_mv=%u errors=%u buffer_fill_pct=%u streaming=%u "
               "dropped_samples=%" PRIu32 " uptime_s=%" PRIu32 " mtu=%u session_id=%u\n",
               s.version, s.battery_pct, s.battery_mv, s.errors, s.buffer_fill_pct, s.streaming,
               s.dropped_samples, s.uptime_s, s.mtu, s.session_id);
    } else if (!strcmp(kind, "info")) {
        lrm_info f;
        rc = lrm_decode_info(b, len, &f);
        if (rc) { printf("err %s\n", err_name(rc)); return; }
        printf("ok version=%u protocol_minor=%u imu_part=%u firmware_version=%u tick_hz=%" PRIu32
               " odr_mask=%u range_mask=%u max_samples=%u fifo_samples=%u\n",
               f.version, f.protocol_minor, f.imu_part, f.firmware_version, f.tick_hz, f.odr_mask,
               f.range_mask, f.max_samples, f.fifo_samples);
    } else if (!strcmp(kind, "command")) {
        lrm_command c;
        rc = lrm_decode_command(b, len, &c);
        if (rc) { printf("err %s\n", err_name(rc)); return; }
        printf("ok opcode=%u params=", c.opcode);
        print_list64(c.params, c.n_params);
        printf("\n");
    } else if (!strcmp(kind, "response")) {
        lrm_response r;
        rc = lrm_decode_response(b, len, &r);
        if (rc) { printf("err %s\n", err_name(rc)); return; }
        printf("ok opcode=%u status=%u params=", r.opcode, r.status);
        print_list64(r.params, r.n_params);
        printf("\n");
    } else {
        printf("err kind\n");
    }
}

static void encode(const char *kind, const char *f) {
    uint8_t out[MAX_BYTES];
    int n = -100;
    unsigned i, k;
    int64_t list[MAX_XYZ];
    if (!strcmp(kind, "data")) {
        lrm_data_header h;
        int16_t xyz[MAX_XYZ];
        h.version = (uint8_t)get(f, "version");
        h.type = (uint8_t)get(f, "type");
        h.flags = (uint8_t)get(f, "flags");
        h.seq = (uint16_t)get(f, "seq");
        h.sample_index = (uint32_t)get(f, "sample_index");
        h.tick = (uint32_t)get(f, "tick");
        h.odr_code = (uint8_t)get(f, "odr_code");
        h.range_code = (uint8_t)get(f, "range_code");
        h.encoding = (uint8_t)get(f, "encoding");
        h.session_id = (uint16_t)get(f, "session_id");
        h.n = (uint8_t)get(f, "n");
        k = get_list(f, "xyz", list, MAX_XYZ);
        for (i = 0; i < k; i++) xyz[i] = (int16_t)list[i];
        n = lrm_encode_data(&h, xyz, out, sizeof out);
    } else if (!strcmp(kind, "status")) {
        lrm_status s;
        s.version = (uint8_t)get(f, "version");
        s.battery_pct = (uint8_t)get(f, "battery_pct");
        s.battery_mv = (uint16_t)get(f, "battery_mv");
        s.errors = (uint16_t)get(f, "errors");
        s.buffer_fill_pct = (uint8_t)get(f, "buffer_fill_pct");
        s.streaming = (uint8_t)get(f, "streaming");
        s.dropped_samples = (uint32_t)get(f, "dropped_samples");
        s.uptime_s = (uint32_t)get(f, "uptime_s");
        s.mtu = (uint16_t)get(f, "mtu");
        s.session_id = (uint16_t)get(f, "session_id");
        n = lrm_encode_status(&s, out, sizeof out);
    } else if (!strcmp(kind, "info")) {
        lrm_info x;
        x.version = (uint8_t)get(f, "version");
        x.protocol_minor = (uint8_t)get(f, "protocol_minor");
        x.imu_part = (uint8_t)get(f, "imu_part");
        x.firmware_version = (uint16_t)get(f, "firmware_version");
        x.tick_hz = (uint32_t)get(f, "tick_hz");
        x.odr_mask = (uint16_t)get(f, "odr_mask");
        x.range_mask = (uint8_t)get(f, "range_mask");
        x.max_samples = (uint8_t)get(f, "max_samples");
        x.fifo_samples = (uint16_t)get(f, "fifo_samples");
        n = lrm_encode_info(&x, out, sizeof out);
    } else if (!strcmp(kind, "command")) {
        lrm_command c;
        c.opcode = (uint8_t)get(f, "opcode");
        c.n_params = (uint8_t)get_list(f, "params", list, LRM_MAX_PARAMS);
        for (i = 0; i < c.n_params; i++) c.params[i] = (uint64_t)list[i];
        n = lrm_encode_command(&c, out, sizeof out);
    } else if (!strcmp(kind, "response")) {
        lrm_response r;
        r.opcode = (uint8_t)get(f, "opcode");
        r.status = (uint8_t)get(f, "status");
        r.n_params = (uint8_t)get_list(f, "params", list, LRM_MAX_PARAMS);
        for (i = 0; i < r.n_params; i++) r.params[i] = (uint64_t)list[i];
        n = lrm_encode_response(&r, out, sizeof out);
    }
    if (n < 0) printf("err %s\n", err_name(n));
    else print_hex(out, n);
}

int main(void) {
    static char line[16384];
    static uint8_t bytes[MAX_BYTES];
    char op[16], kind[16];
    int off;
    while (fgets(line, sizeof line, stdin)) {
        if (sscanf(line, "%15s %15s %n", op, kind, &off) < 2) continue;
        if (!strcmp(op, "decode")) {
            size_t len = parse_hex(line + off, bytes);
            decode(kind, bytes, len);
        } else {
            char fields[16384];
            size_t m = strlen(line + off);
            if (m && line[off + m - 1] == '\n') line[off + m - 1] = '\0';
            snprintf(fields, sizeof fields, " %s ", line + off);
            encode(kind, fields);
        }
        fflush(stdout);
    }
    return 0;
}
