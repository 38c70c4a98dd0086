/*
 * lrm open protocol v1 -- C reference encoder/decoder (see SPEC.md).
 *
 * C99, no dynamic allocation, no global state, endian-safe (every multi-byte field is assembled from
 * bytes, little-endian on the wire, whatever the CPU). Suitable for nRF52 / Arduino firmware and for
 * host-side tools. Every function returns a non-negative length / LRM_OK on success or a negative
 * lrm_result code; nothing is written past `cap` bytes.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef LRM_PROTOCOL_H
#define LRM_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LRM_PROTOCOL_VERSION 1u
#define LRM_PROTOCOL_MINOR 0u

/* 128-bit UUIDs, base e379xxxx-a557-47d0-a5e4-aa2f364ebda5 */
#define LRM_UUID_SERVICE "e3790001-a557-47d0-a5e4-aa2f364ebda5"
#define LRM_UUID_DATA    "e3790002-a557-47d0-a5e4-aa2f364ebda5" /* notify */
#define LRM_UUID_CONTROL "e3790003-a557-47d0-a5e4-aa2f364ebda5" /* write (with response) + indicate */
#define LRM_UUID_STATUS  "e3790004-a557-47d0-a5e4-aa2f364ebda5" /* read + notify */
#define LRM_UUID_INFO    "e3790005-a557-47d0-a5e4-aa2f364ebda5" /* read */
#define LRM_MANUFACTURER_ID 0xFFFFu /* advertised manufacturer data: FF FF 'l' 'r' 'm' <version> */

/* DATA packet types (low nibble of byte 0; the high nibble is the protocol version) */
#define LRM_TYPE_SAMPLES 0u
#define LRM_TYPE_COMPACT 3u

#define LRM_FULL_HEADER 16u
#define LRM_COMPACT_HEADER 8u
#define LRM_SAMPLE_BYTES 6u
#define LRM_COMPACT_SAMPLES 2u
#define LRM_MAX_SAMPLES 82u /* (512 - 16) / 6: the ATT attribute maximum */
#define LRM_STATUS_BYTES 20u
#define LRM_INFO_BYTES 16u

/* flags (full packets) */
#define LRM_FLAG_DEVICE_OVERFLOW 0x01u
#define LRM_FLAG_CLIPPED 0x02u
#define LRM_FLAG_NEW_SESSION 0x04u
#define LRM_FLAG_TIME_SYNCED 0x08u
#define LRM_FLAG_LOW_BATTERY 0x10u

/* number of defined output-data-rate codes (fmt bits 4-7) and range codes (fmt bits 0-1) */
#define LRM_ODR_CODES 14u
#define LRM_RANGE_CODES 4u

/* control point */
#define LRM_OP_START 0x01u
#define LRM_OP_STOP 0x02u
#define LRM_OP_SET_CONFIG 0x03u
#define LRM_OP_TIME_SYNC 0x04u
#define LRM_OP_REQUEST_CONN_PARAMS 0x05u
#define LRM_RESPONSE_CODE 0x80u
#define LRM_MAX_PARAMS 4u

enum lrm_status_code {
    LRM_STATUS_SUCCESS = 0,
    LRM_STATUS_UNKNOWN_OPCODE = 1,
    LRM_STATUS_INVALID_LENGTH = 2,
    LRM_STATUS_INVALID_PARAMETER = 3,
    LRM_STATUS_INVALID_STATE = 4,
    LRM_STATUS_BUSY = 5,
    LRM_STATUS_HARDWARE_ERROR = 6
};

enum lrm_result {
    LRM_OK = 0,
    LRM_IGNORED = 1,            /* a v1 DATA packet of a type this version does not define: skip it */
    LRM_ERR_BAD_VERSION = -1,
    LRM_ERR_TRUNCATED = -2,
    LRM_ERR_WRONG_LENGTH = -3,
    LRM_ERR_BAD_ENCODING = -4,
    LRM_ERR_UNKNOWN_OPCODE = -5,
    LRM_ERR_NOT_RESPONSE = -6,
    LRM_ERR_BAD_PARAMETER = -7,
    LRM_ERR_BUFFER = -8         /* output buffer too small */
};

typedef struct {
    uint8_t version;      /* 1 */
    uint8_t type;         /* LRM_TYPE_SAMPLES or LRM_TYPE_COMPACT */
    uint8_t flags;        /* full packets only */
    uint16_t seq;         /* +1 per DATA notification, wraps */
    uint32_t sample_index;/* index of the first sample in this stream session */
    uint32_t tick;        /* device tick at the first sample (full packets; anchor when n == 0) */
    uint8_t odr_code;     /* fmt bits 4-7 */
    uint8_t range_code;   /* fmt bits 0-1: +-2/4/8/16 g */
    uint8_t encoding;     /* fmt bits 2-3: 0 = int16 xyz */
    uint8_t n;            /* samples in the packet (compact: always 2) */
    uint16_t session_id;  /* random per START (full packets) */
} lrm_data_header;

typedef struct {
    uint8_t version;
    uint8_t battery_pct;     /* 0-100, 255 = unknown */
    uint16_t battery_mv;
    uint16_t errors;         /* LRM_ERROR_* bits, see SPEC.md */
    uint8_t buffer_fill_pct; /* device sample buffer fill, 0-100 */
    uint8_t streaming;       /* 0/1 */
    uint32_t dropped_samples;/* cumulative in this session */
    uint32_t uptime_s;
    uint16_t mtu;            /* negotiated ATT MTU */
    uint16_t session_id;
} lrm_status;

typedef struct {
    uint8_t version;
    uint8_t protocol_minor;
    uint8_t imu_part;        /* 0 unknown, 1 LSM6DS3(TR-C), 2 LSM9DS1, 3 BMI270 */
    uint16_t firmware_version;
    uint32_t tick_hz;
    uint16_t odr_mask;       /* bit k: ODR code k supported */
    uint8_t range_mask;      /* bit k: range code k supported */
    uint8_t max_samples;     /* per full packet at the current MTU */
    uint16_t fifo_samples;   /* device buffer capacity in samples */
} lrm_info;

typedef struct {
    uint8_t opcode;
    uint8_t n_params;
    uint64_t params[LRM_MAX_PARAMS];
} lrm_command;

typedef struct {
    uint8_t opcode;
    uint8_t status;
    uint8_t n_params;        /* only on success */
    uint64_t params[LRM_MAX_PARAMS];
} lrm_response;

/* Nominal output data rate in Hz of an ODR code (0 for an undefined code) and +-g of a range code. */
float lrm_odr_hz(uint8_t odr_code);
float lrm_range_g(uint8_t range_code);
/* Samples per full packet that fit the payload of a notification at `att_mtu` (0 means: use compact). */
unsigned lrm_max_samples(uint16_t att_mtu);

/* DATA. encode: xyz holds 3 * h->n int16 (compact: 3 * 2); returns bytes written.
 * decode: fills *h and up to max_samples samples in xyz; returns LRM_OK, LRM_IGNORED or an error. */
int lrm_encode_data(const lrm_data_header *h, const int16_t *xyz, uint8_t *out, size_t cap);
int lrm_decode_data(const uint8_t *buf, size_t len, lrm_data_header *h, int16_t *xyz, size_t max_samples);

int lrm_encode_status(const lrm_status *s, uint8_t *out, size_t cap);
int lrm_decode_status(const uint8_t *buf, size_t len, lrm_status *s);
int lrm_encode_info(const lrm_info *i, uint8_t *out, size_t cap);
int lrm_decode_info(const uint8_t *buf, size_t len, lrm_info *i);

/* Control point: parameter layouts per opcode are in SPEC.md section 6. */
int lrm_encode_command(const lrm_command *c, uint8_t *out, size_t cap);
int lrm_decode_command(const uint8_t *buf, size_t len, lrm_command *c);
int lrm_encode_response(const lrm_response *r, uint8_t *out, size_t cap);
int lrm_decode_response(const uint8_t *buf, size_t len, lrm_response *r);

#ifdef __cplusplus
}
#endif
#endif /* LRM_PROTOCOL_H */
