/*
 * lrm open protocol v1 -- C reference encoder/decoder. See lrm_protocol.h and SPEC.md.
 * SPDX-License-Identifier: MIT
 */
#include "lrm_protocol.h"

static const float ODR_HZ[LRM_ODR_CODES] = {12.5f, 26.0f, 52.0f, 104.0f, 208.0f, 416.0f, 25.0f,
                                            50.0f, 100.0f, 200.0f, 14.9f, 59.5f, 119.0f, 238.0f};
static const float RANGE_G[LRM_RANGE_CODES] = {2.0f, 4.0f, 8.0f, 16.0f};

/* parameter byte sizes per opcode (0 terminates), for requests and for successful responses */
static const uint8_t REQ_SIZES[6][LRM_MAX_PARAMS] = {
    {0}, {0}, {0}, {1, 1, 2, 0}, {8, 0}, {2, 2, 2, 2}};
static const uint8_t RESP_SIZES[6][LRM_MAX_PARAMS] = {
    {0}, {2, 0}, {0}, {1, 1, 2, 0}, {4, 4, 0}, {0}};

/* ---- little-endian helpers ------------------------------------------------------------------------ */
static void put_le(uint8_t *p, uint64_t v, unsigned n) {
    unsigned i;
    for (i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8u * i));
}
static uint64_t get_le(const uint8_t *p, unsigned n) {
    uint64_t v = 0;
    unsigned i;
    for (i = 0; i < n; i++) v |= (uint64_t)p[i] << (8u * i);
    return v;
}

float lrm_odr_hz(uint8_t code) { return code < LRM_ODR_CODES ? ODR_HZ[code] : 0.0f; }
float lrm_range_g(uint8_t code) { return code < LRM_RANGE_CODES ? RANGE_G[code] : 0.0f; }

unsigned lrm_max_samples(uint16_t att_mtu) {
    unsigned payload = att_mtu > 3u ? att_mtu - 3u : 0u;
    unsigned n;
    if (payload > 512u) payload = 512u;
    if (payload < LRM_FULL_HEADER) return 0u;
    n = (payload - LRM_FULL_HEADER) / LRM_SAMPLE_BYTES;
    return n > LRM_MAX_SAMPLES ? LRM_MAX_SAMPLES : n;
}

/* ---- DATA ----------------------------------------------------------------------------------------- */
int lrm_encode_data(const lrm_data_header *h, const int16_t *xyz, uint8_t *out, size_t cap) {
    unsigned n, i, head;
    uint8_t fmt;
    if (h->odr_code > 15u || h->range_code > 3u || h->encoding > 3u || h->version > 15u)
        return LRM_ERR_BAD_PARAMETER;
    fmt = (uint8_t)(h->range_code | (h->encoding << 2) | (h->odr_code << 4));
    if (h->type == LRM_TYPE_COMPACT) {
        n = LRM_COMPACT_SAMPLES;
        if (h->n != LRM_COMPACT_SAMPLES) return LRM_ERR_BAD_PARAMETER;
        head = LRM_COMPACT_HEADER;
        if (cap < head + n * LRM_SAMPLE_BYTES) return LRM_ERR_BUFFER;
        out[0] = (uint8_t)((h->version << 4) | LRM_TYPE_COMPACT);
        out[1] = fmt;
        put_le(out + 2, h->seq, 2);
        put_le(out + 4, h->sample_index, 4);
    } else {
        n = h->n;
        if (n > LRM_MAX_SAMPLES || h->type > 15u) return LRM_ERR_BAD_PARAMETER;
        head = LRM_FULL_HEADER;
        if (cap < head + n * LRM_SAMPLE_BYTES) return LRM_ERR_BUFFER;
        out[0] = (uint8_t)((h->version << 4) | h->type);
        out[1] = h->flags;
        put_le(out + 2, h->seq, 2);
        put_le(out + 4, h->sample_index, 4);
        put_le(out + 8, h->tick, 4);
        out[12] = fmt;
        out[13] = (uint8_t)n;
        put_le(out + 14, h->session_id, 2);
    }
    for (i = 0; i < 3u * n; i++) put_le(out + head + 2u * i, (uint16_t)xyz[i], 2);
    return (int)(head + n * LRM_SAMPLE_BYTES);
}

static int decode_fmt(uint8_t fmt, lrm_data_header *h) {
    h->range_code = fmt & 0x3u;
    h->encoding = (fmt >> 2) & 0x3u;
    h->odr_code = fmt >> 4;
    if (h->encoding != 0u || h->odr_code >= LRM_ODR_CODES) return LRM_ERR_BAD_ENCODING;
    return LRM_OK;
}

int lrm_decode_data(const uint8_t *buf, size_t len, lrm_data_header *h, int16_t *xyz, size_t max_samples) {
    unsigned i, head;
    int rc;
    if (len < 1u) return LRM_ERR_TRUNCATED;
    h->version = buf[0] >> 4;
    h->type = buf[0] & 0x0Fu;
    if (h->version != LRM_PROTOCOL_VERSION) return LRM_ERR_BAD_VERSION;
    if (h->type == LRM_TYPE_COMPACT) {
        if (len < LRM_COMPACT_HEADER + LRM_COMPACT_SAMPLES * LRM_SAMPLE_BYTES) return LRM_ERR_TRUNCATED;
        if (len != LRM_COMPACT_HEADER + LRM_COMPACT_SAMPLES * LRM_SAMPLE_BYTES) return LRM_ERR_WRONG_LENGTH;
        h->flags = 0;
        h->seq = (uint16_t)get_le(buf + 2, 2);
        h->sample_index = (uint32_t)get_le(buf + 4, 4);
        h->tick = 0;
        h->n = LRM_COMPACT_SAMPLES;
        h->session_id = 0;
        head = LRM_COMPACT_HEADER;
        rc = decode_fmt(buf[1], h);
    } else if (h->type != LRM_TYPE_SAMPLES) {
        return LRM_IGNORED;
    } else {
        if (len < LRM_FULL_HEADER) return LRM_ERR_TRUNCATED;
        h->flags = buf[1];
        h->seq = (uint16_t)get_le(buf + 2, 2);
        h->sample_index = (uint32_t)get_le(buf + 4, 4);
        h->tick = (uint32_t)get_le(buf + 8, 4);
        h->n = buf[13];
        h->session_id = (uint16_t)get_le(buf + 14, 2);
        if (len != LRM_FULL_HEADER + (size_t)h->n * LRM_SAMPLE_BYTES) return LRM_ERR_WRONG_LENGTH;
        head = LRM_FULL_HEADER;
        rc = decode_fmt(buf[12], h);
    }
    if (rc != LRM_OK) return rc;
    if (h->n > max_samples) return LRM_ERR_BUFFER;
    for (i = 0; i < 3u * h->n; i++) xyz[i] = (int16_t)(uint16_t)get_le(buf + head + 2u * i, 2);
    return LRM_OK;
}

/* ---- STATUS and INFO --------------------------------------------------------------------------------- */
int lrm_encode_status(const lrm_status *s, uint8_t *out, size_t cap) {
    if (cap < LRM_STATUS_BYTES) return LRM_ERR_BUFFER;
    out[0] = (uint8_t)(s->version << 4);
    out[1] = s->battery_pct;
    put_le(out + 2, s->battery_mv, 2);
    put_le(out + 4, s->errors, 2);
    out[6] = s->buffer_fill_pct;
    out[7] = s->streaming;
    put_le(out + 8, s->dropped_samples, 4);
    put_le(out + 12, s->uptime_s, 4);
    put_le(out + 16, s->mtu, 2);
    put_le(out + 18, s->session_id, 2);
    return (int)LRM_STATUS_BYTES;
}

int lrm_decode_status(const uint8_t *buf, size_t len, lrm_status *s) {
    if (len < 1u || (buf[0] >> 4) != LRM_PROTOCOL_VERSION) return LRM_ERR_BAD_VERSION;
    if (len < LRM_STATUS_BYTES) return LRM_ERR_TRUNCATED; /* longer is fine: later minors append */
    s->version = buf[0] >> 4;
    s->battery_pct = buf[1];
    s->battery_mv = (uint16_t)get_le(buf + 2, 2);
    s->errors = (uint16_t)get_le(buf + 4, 2);
    s->buffer_fill_pct = buf[6];
    s->streaming = buf[7] & 1u;
    s->dropped_samples = (uint32_t)get_le(buf + 8, 4);
    s->uptime_s = (uint32_t)get_le(buf + 12, 4);
    s->mtu = (uint16_t)get_le(buf + 16, 2);
    s->session_id = (uint16_t)get_le(buf + 18, 2);
    return LRM_OK;
}

int lrm_encode_info(const lrm_info *i, uint8_t *out, size_t cap) {
    if (cap < LRM_INFO_BYTES) return LRM_ERR_BUFFER;
    out[0] = (uint8_t)((i->version << 4) | (i->protocol_minor & 0x0Fu));
    out[1] = i->imu_part;
    put_le(out + 2, i->firmware_version, 2);
    put_le(out + 4, i->tick_hz, 4);
    put_le(out + 8, i->odr_mask, 2);
    out[10] = i->range_mask;
    out[11] = i->max_samples;
    put_le(out + 12, i->fifo_samples, 2);
    put_le(out + 14, 0, 2);
    return (int)LRM_INFO_BYTES;
}

int lrm_decode_info(const uint8_t *buf, size_t len, lrm_info *i) {
    if (len < 1u || (buf[0] >> 4) != LRM_PROTOCOL_VERSION) return LRM_ERR_BAD_VERSION;
    if (len < LRM_INFO_BYTES) return LRM_ERR_TRUNCATED;
    i->version = buf[0] >> 4;
    i->protocol_minor = buf[0] & 0x0Fu;
    i->imu_part = buf[1];
    i->firmware_version = (uint16_t)get_le(buf + 2, 2);
    i->tick_hz = (uint32_t)get_le(buf + 4, 4);
    i->odr_mask = (uint16_t)get_le(buf + 8, 2);
    i->range_mask = buf[10];
    i->max_samples = buf[11];
    i->fifo_samples = (uint16_t)get_le(buf + 12, 2);
    if (i->tick_hz == 0u) return LRM_ERR_BAD_PARAMETER;
    return LRM_OK;
}

/* ---- control point --------------------------------------------------------------------------------- */
static unsigned params_size(const uint8_t sizes[LRM_MAX_PARAMS], unsigned *count) {
    unsigned k, total = 0;
    for (k = 0; k < LRM_MAX_PARAMS && sizes[k]; k++) total += sizes[k];
    *count = k;
    return total;
}

static int known_opcode(uint8_t op) { return op >= LRM_OP_START && op <= LRM_OP_REQUEST_CONN_PARAMS; }

static void put_params(uint8_t *out, const uint8_t sizes[LRM_MAX_PARAMS], const uint64_t *params, unsigned count) {
    unsigned k, pos = 0;
    for (k = 0; k < count; k++) {
        put_le(out + pos, params[k], sizes[k]);
        pos += sizes[k];
    }
}

static void get_params(const uint8_t *buf, const uint8_t sizes[LRM_MAX_PARAMS], uint64_t *params, unsigned count) {
    unsigned k, pos = 0;
    for (k = 0; k < count; k++) {
        params[k] = get_le(buf + pos, sizes[k]);
        pos += sizes[k];
    }
}

int lrm_encode_command(const lrm_command *c, uint8_t *out, size_t cap) {
    unsigned count, size;
    if (!known_opcode(c->opcode)) return LRM_ERR_UNKNOWN_OPCODE;
    size = params_size(REQ_SIZES[c->opcode], &count);
    if (c->n_params != count) return LRM_ERR_BAD_PARAMETER;
    if (cap < 1u + size) return LRM_ERR_BUFFER;
    out[0] = c->opcode;
    put_params(out + 1, REQ_SIZES[c->opcode], c->params, count);
    return (int)(1u + size);
}

int lrm_decode_command(const uint8_t *buf, size_t len, lrm_command *c) {
    unsigned count, size;
    if (len < 1u) return LRM_ERR_TRUNCATED;
    c->opcode = buf[0];
    if (!known_opcode(c->opcode)) return LRM_ERR_UNKNOWN_OPCODE;
    size = params_size(REQ_SIZES[c->opcode], &count);
    if (len - 1u != size) return LRM_ERR_WRONG_LENGTH;
    c->n_params = (uint8_t)count;
    get_params(buf + 1, REQ_SIZES[c->opcode], c->params, count);
    return LRM_OK;
}

int lrm_encode_response(const lrm_response *r, uint8_t *out, size_t cap) {
    unsigned count = 0, size = 0;
    if (r->status == LRM_STATUS_SUCCESS && known_opcode(r->opcode)) {
        size = params_size(RESP_SIZES[r->opcode], &count);
        if (r->n_params != count) return LRM_ERR_BAD_PARAMETER;
    }
    if (cap < 3u + size) return LRM_ERR_BUFFER;
    out[0] = LRM_RESPONSE_CODE;
    out[1] = r->opcode;
    out[2] = r->status;
    if (count) put_params(out + 3, RESP_SIZES[r->opcode], r->params, count);
    return (int)(3u + size);
}

int lrm_decode_response(const uint8_t *buf, size_t len, lrm_response *r) {
    unsigned count, size;
    if (len < 3u) return LRM_ERR_TRUNCATED;
    if (buf[0] != LRM_RESPONSE_CODE) return LRM_ERR_NOT_RESPONSE;
    r->opcode = buf[1];
    r->status = buf[2];
    r->n_params = 0;
    if (r->status != LRM_STATUS_SUCCESS || !known_opcode(r->opcode)) return LRM_OK;
    size = params_size(RESP_SIZES[r->opcode], &count);
    if (len - 3u != size) return LRM_ERR_WRONG_LENGTH;
    r->n_params = (uint8_t)count;
    get_params(buf + 3, RESP_SIZES[r->opcode], r->params, count);
    return LRM_OK;
}
