/*
 * lrm_ankle_sensor -- reference firmware for the lrm open protocol v1 (../../SPEC.md)
 *
 * Board:     Seeed Studio XIAO nRF52840 Sense (board package "Seeed nRF52 mbed-enabled Boards")
 * Libraries: ArduinoBLE (>= 1.3), "Seeed Arduino LSM6DS3" (>= 2.0)
 * Also:      copy ../../lrm_protocol.h and ../../lrm_protocol.c next to this file (see README.md).
 *
 * What it does
 *   - advertises as "LRM-Ankle-XXXX" with the lrm service UUID and manufacturer data FF FF 'l' 'r' 'm' 01;
 *   - exposes DATA (notify), CONTROL (write + indicate), STATUS (read + notify), INFO (read) and the
 *     standard Battery Service;
 *   - samples the LSM6DS3TR-C accelerometer through its hardware FIFO (even spacing, no polling jitter),
 *     stamps the first sample of each batch with micros() (tick_hz = 1 000 000; the host unwraps the
 *     32-bit wrap every 71.6 min) and sends full packets of up to batch_ms of samples, or time anchors +
 *     compact packets when the central kept the 23-byte MTU;
 *   - keeps samples in a ring buffer while notifications cannot be queued, and counts what it drops.
 *
 * Limits of this reference (documented, not hidden): the IMU runs at its own ODR, so 52/104/208 Hz are
 * exact and others are rejected with INVALID_PARAMETER; the connection-parameter request relies on the
 * central (ArduinoBLE has no L2CAP update API on mbed), and the sketch reports that in STATUS.errors.
 * Not built in CI.
 *
 * SPDX-License-Identifier: MIT
 */
#include <ArduinoBLE.h>
#include <LSM6DS3.h>
#include <Wire.h>

extern "C" {
#include "lrm_protocol.h"
}

// ---- configuration ---------------------------------------------------------------------------------------
static const uint16_t FIRMWARE_VERSION = 0x0100;   // 1.0
static const uint32_t TICK_HZ = 1000000UL;         // micros()
static const uint16_t RING_SAMPLES = 3072;         // ~30 s at 104 Hz, 18 KB
static const uint16_t ODR_MASK = (1u << 2) | (1u << 3) | (1u << 4);  // 52, 104, 208 Hz
static const uint8_t RANGE_MASK = 0x0F;            // +-2/4/8/16 g
static const uint32_t STATUS_PERIOD_MS = 30000;

// ---- BLE objects ---------------------------------------------------------------------------------------------
BLEService lrmService(LRM_UUID_SERVICE);
BLECharacteristic dataChar(LRM_UUID_DATA, BLENotify, 244, false);
BLECharacteristic controlChar(LRM_UUID_CONTROL, BLEWrite | BLEIndicate, 20, false);
BLECharacteristic statusChar(LRM_UUID_STATUS, BLERead | BLENotify, LRM_STATUS_BYTES, true);
BLECharacteristic infoChar(LRM_UUID_INFO, BLERead, LRM_INFO_BYTES, true);
BLEService batteryService("180F");
BLEUnsignedCharCharacteristic batteryLevel("2A19", BLERead | BLENotify);

LSM6DS3 imu(I2C_MODE, 0x6A);

// ---- state ---------------------------------------------------------------------------------------------------
struct Sample { int16_t x, y, z; uint32_t tick; };
static Sample ring[RING_SAMPLES];
static uint16_t ringHead = 0, ringCount = 0;        // oldest sample at ringHead
static uint32_t nextIndex = 0;                       // sample_index of the oldest sample in the ring
static uint32_t droppedSamples = 0;
static bool overflowSinceLastPacket = false, newSession = false, timeSynced = false, streaming = false;
static uint16_t seq = 0, sessionId = 0, errors = 0;
static uint8_t odrCode = 3, rangeCode = 2;           // 104 Hz, +-8 g
static uint16_t batchMs = 500;
static uint32_t lastSendMs = 0, lastStatusMs = 0, lastAnchorMs = 0;

static float odrHz() { return lrm_odr_hz(odrCode); }

static uint16_t attMtu() {
  // ArduinoBLE does not expose the negotiated MTU on every core; 247 is what nRF52 + BlueZ/macOS negotiate.
  // Define LRM_FORCE_MTU23 to exercise the compact mode.
#ifdef LRM_FORCE_MTU23
  return 23;
#else
  return 247;
#endif
}

// ---- IMU -----------------------------------------------------------------------------------------------------
static bool configureImu() {
  static const uint16_t rates[] = {13, 26, 52, 104, 208, 416};
  static const uint8_t ranges[] = {2, 4, 8, 16};
  imu.settings.gyroEnabled = 0;
  imu.settings.accelEnabled = 1;
  imu.settings.accelRange = ranges[rangeCode];
  imu.settings.accelSampleRate = rates[odrCode];
  imu.settings.accelBandWidth = 50;
  imu.settings.fifoModeWord = 6;                    // continuous mode: the FIFO keeps the newest samples
  imu.settings.fifoSampleRate = rates[odrCode];
  imu.settings.fifoThreshold = 3 * 32;              // words
  if (imu.begin() != 0) return false;
  imu.fifoBegin();
  imu.fifoClear();
  return true;
}

// Move every complete sample from the IMU FIFO into the ring, stamping ticks back from "now".
static void drainImu() {
  uint16_t words = imu.fifoGetStatus() & 0x0FFF;    // unread 16-bit words
  uint16_t samples = words / 3;
  if (samples == 0) return;
  uint32_t now = micros();
  uint32_t period = (uint32_t)(TICK_HZ / odrHz());
  for (uint16_t k = 0; k < samples; k++) {
    Sample s;
    s.x = (int16_t)imu.fifoRead();
    s.y = (int16_t)imu.fifoRead();
    s.z = (int16_t)imu.fifoRead();
    s.tick = now - (uint32_t)(samples - 1 - k) * period;
    if (ringCount == RING_SAMPLES) {                // full: drop the oldest, keep counting indices
      ringHead = (ringHead + 1) % RING_SAMPLES;
      ringCount--;
      nextIndex++;
      droppedSamples++;
      overflowSinceLastPacket = true;
      errors |= 1u << 4;
    }
    ring[(ringHead + ringCount) % RING_SAMPLES] = s;
    ringCount++;
  }
}

// ---- packets -------------------------------------------------------------------------------------------------
static bool notify(const uint8_t *buf, int len) {
  if (len <= 0 || !dataChar.subscribed()) return false;
  return dataChar.writeValue(buf, len) == 1;        // 0 when the TX queue is full: keep the samples
}

static uint8_t flagsNow(uint8_t n) {
  uint8_t f = 0;
  if (overflowSinceLastPacket) f |= LRM_FLAG_DEVICE_OVERFLOW;
  if (newSession) f |= LRM_FLAG_NEW_SESSION;
  if (timeSynced) f |= LRM_FLAG_TIME_SYNCED;
  if (batteryLevel.value() < 15) f |= LRM_FLAG_LOW_BATTERY;
  for (uint8_t i = 0; i < n; i++) {
    const Sample &s = ring[(ringHead + i) % RING_SAMPLES];
    if (s.x == 32767 || s.x == -32768 || s.y == 32767 || s.y == -32768 || s.z == 32767 || s.z == -32768)
      f |= LRM_FLAG_CLIPPED;
  }
  return f;
}

static void consume(uint8_t n) {
  ringHead = (ringHead + n) % RING_SAMPLES;
  ringCount -= n;
  nextIndex += n;
  overflowSinceLastPacket = false;
  newSession = false;
}

static void sendFull(uint8_t n) {
  uint8_t buf[LRM_FULL_HEADER + LRM_MAX_SAMPLES * LRM_SAMPLE_BYTES];
  int16_t xyz[3 * LRM_MAX_SAMPLES];
  lrm_data_header h = {};
  for (uint8_t i = 0; i < n; i++) {
    const Sample &s = ring[(ringHead + i) % RING_SAMPLES];
    xyz[3 * i] = s.x; xyz[3 * i + 1] = s.y; xyz[3 * i + 2] = s.z;
  }
  h.version = LRM_PROTOCOL_VERSION; h.type = LRM_TYPE_SAMPLES; h.flags = flagsNow(n);
  h.seq = seq; h.sample_index = nextIndex;
  h.tick = ringCount ? ring[ringHead].tick : micros();
  h.odr_code = odrCode; h.range_code = rangeCode; h.encoding = 0; h.n = n; h.session_id = sessionId;
  if (notify(buf, lrm_encode_data(&h, xyz, buf, sizeof buf))) {
    seq++;
    consume(n);
  }
}

static void sendCompact() {
  uint8_t buf[LRM_COMPACT_HEADER + 2 * LRM_SAMPLE_BYTES];
  int16_t xyz[6];
  for (uint8_t i = 0; i < 2; i++) {
    const Sample &s = ring[(ringHead + i) % RING_SAMPLES];
    xyz[3 * i] = s.x; xyz[3 * i + 1] = s.y; xyz[3 * i + 2] = s.z;
  }
  lrm_data_header h = {};
  h.version = LRM_PROTOCOL_VERSION; h.type = LRM_TYPE_COMPACT; h.seq = seq; h.sample_index = nextIndex;
  h.odr_code = odrCode; h.range_code = rangeCode; h.n = 2;
  if (notify(buf, lrm_encode_data(&h, xyz, buf, sizeof buf))) {
    seq++;
    consume(2);
  }
}

static void pumpData() {
  if (!streaming) return;
  unsigned capacity = lrm_max_samples(attMtu());
  uint32_t now = millis();
  if (capacity == 0) {                              // MTU 23: anchor every second, then compact packets
    if (now - lastAnchorMs >= 1000 && ringCount > 0) {
      sendFull(0);
      lastAnchorMs = now;
    }
    while (ringCount >= 2) {
      uint16_t before = ringCount;
      sendCompact();
      if (ringCount == before) break;               // TX queue full: try again next loop
    }
    return;
  }
  bool due = (now - lastSendMs) >= batchMs || ringCount >= capacity;
  while (due && ringCount > 0) {
    uint16_t before = ringCount;
    sendFull((uint8_t)min((unsigned)ringCount, capacity));
    if (ringCount == before) break;
    lastSendMs = now;
    due = ringCount >= capacity;
  }
}

// ---- status, info, battery -----------------------------------------------------------------------------------
static uint8_t readBatteryPercent(uint16_t *mv) {
  // XIAO nRF52840: VBAT through a 1M/510k divider on P0.31 (PIN_VBAT), enabled by P0.14 (VBAT_ENABLE) low.
  pinMode(VBAT_ENABLE, OUTPUT);
  digitalWrite(VBAT_ENABLE, LOW);
  analogReadResolution(12);
  uint32_t raw = analogRead(PIN_VBAT);
  *mv = (uint16_t)(raw * 3300UL / 4096UL * 1510UL / 510UL);
  long pct = map(constrain((long)*mv, 3300L, 4150L), 3300L, 4150L, 0L, 100L);  // rough LiPo curve
  return (uint8_t)pct;
}

static void publishStatus() {
  uint16_t mv;
  uint8_t pct = readBatteryPercent(&mv);
  batteryLevel.writeValue(pct);
  if (pct < 15) errors |= 1u << 2;
  lrm_status s = {};
  s.version = LRM_PROTOCOL_VERSION; s.battery_pct = pct; s.battery_mv = mv; s.errors = errors;
  s.buffer_fill_pct = (uint8_t)(100UL * ringCount / RING_SAMPLES); s.streaming = streaming;
  s.dropped_samples = droppedSamples; s.uptime_s = millis() / 1000; s.mtu = attMtu(); s.session_id = sessionId;
  uint8_t buf[LRM_STATUS_BYTES];
  statusChar.writeValue(buf, lrm_encode_status(&s, buf, sizeof buf));
  errors &= ~((1u << 1) | (1u << 4));               // "since last status" bits
}

static void publishInfo() {
  lrm_info i = {};
  i.version = LRM_PROTOCOL_VERSION; i.protocol_minor = LRM_PROTOCOL_MINOR; i.imu_part = 1;
  i.firmware_version = FIRMWARE_VERSION; i.tick_hz = TICK_HZ; i.odr_mask = ODR_MASK; i.range_mask = RANGE_MASK;
  i.max_samples = (uint8_t)lrm_max_samples(attMtu()); i.fifo_samples = RING_SAMPLES;
  uint8_t buf[LRM_INFO_BYTES];
  infoChar.writeValue(buf, lrm_encode_info(&i, buf, sizeof buf));
}

// ---- control point -------------------------------------------------------------------------------------------
static void respond(uint8_t opcode, uint8_t status, const uint64_t *params, uint8_t n) {
  lrm_response r = {};
  r.opcode = opcode; r.status = status; r.n_params = status == LRM_STATUS_SUCCESS ? n : 0;
  for (uint8_t k = 0; k < r.n_params; k++) r.params[k] = params[k];
  uint8_t buf[3 + 16];
  int len = lrm_encode_response(&r, buf, sizeof buf);
  if (len > 0) controlChar.writeValue(buf, len);    // indicated
}

static void onControl(BLEDevice, BLECharacteristic c) {
  lrm_command cmd;
  int rc = lrm_decode_command(c.value(), c.valueLength(), &cmd);
  uint8_t op = c.valueLength() ? c.value()[0] : 0;
  if (rc == LRM_ERR_UNKNOWN_OPCODE) { respond(op, LRM_STATUS_UNKNOWN_OPCODE, 0, 0); return; }
  if (rc != LRM_OK) { respond(op, LRM_STATUS_INVALID_LENGTH, 0, 0); return; }
  uint64_t out[2];
  switch (cmd.opcode) {
  case LRM_OP_SET_CONFIG:
    if (streaming) { respond(cmd.opcode, LRM_STATUS_INVALID_STATE, 0, 0); break; }
    if (cmd.params[0] >= 16 || !((ODR_MASK >> cmd.params[0]) & 1) || cmd.params[1] > 3 || cmd.params[2] == 0) {
      respond(cmd.opcode, LRM_STATUS_INVALID_PARAMETER, 0, 0);
      break;
    }
    odrCode = (uint8_t)cmd.params[0]; rangeCode = (uint8_t)cmd.params[1]; batchMs = (uint16_t)cmd.params[2];
    respond(cmd.opcode, LRM_STATUS_SUCCESS, cmd.params, 3);
    break;
  case LRM_OP_START:
    if (!configureImu()) { errors |= 1u; respond(cmd.opcode, LRM_STATUS_HARDWARE_ERROR, 0, 0); break; }
    do { sessionId = (uint16_t)random(1, 65536); } while (sessionId == 0);
    ringHead = ringCount = 0; nextIndex = 0; droppedSamples = 0; newSession = true; streaming = true;
    lastSendMs = lastAnchorMs = 0;
    out[0] = sessionId;
    respond(cmd.opcode, LRM_STATUS_SUCCESS, out, 1);
    break;
  case LRM_OP_STOP:
    streaming = false;
    respond(cmd.opcode, LRM_STATUS_SUCCESS, 0, 0);
    break;
  case LRM_OP_TIME_SYNC:
    timeSynced = true;
    out[0] = micros(); out[1] = nextIndex + ringCount;
    respond(cmd.opcode, LRM_STATUS_SUCCESS, out, 2);
    break;
  case LRM_OP_REQUEST_CONN_PARAMS:
    errors |= 1u << 3;                              // no L2CAP update API in ArduinoBLE on mbed: say so
    respond(cmd.opcode, LRM_STATUS_SUCCESS, 0, 0);
    break;
  }
}

static void onDisconnect(BLEDevice) {
  streaming = false;                                // the host restarts the session after reconnecting
  BLE.advertise();
}

// ---- setup / loop --------------------------------------------------------------------------------------------
void setup() {
  randomSeed(analogRead(A0) ^ micros());
  if (!BLE.begin()) { while (1) delay(1000); }
  String address = BLE.address();                   // "aa:bb:cc:dd:ee:ff"
  String name = "LRM-Ankle-" + address.substring(12, 14) + address.substring(15, 17);
  name.toUpperCase();
  BLE.setLocalName(name.c_str());
  BLE.setDeviceName(name.c_str());
  static const uint8_t mfr[] = {0xFF, 0xFF, 'l', 'r', 'm', LRM_PROTOCOL_VERSION};
  BLE.setManufacturerData(mfr, sizeof mfr);
  BLE.setAdvertisedService(lrmService);
  BLE.setAdvertisingInterval(320);                  // 200 ms in 0.625 ms units
  BLE.setConnectionInterval(40, 80);                // 50-100 ms preferred (PPCP)
  lrmService.addCharacteristic(dataChar);
  lrmService.addCharacteristic(controlChar);
  lrmService.addCharacteristic(statusChar);
  lrmService.addCharacteristic(infoChar);
  BLE.addService(lrmService);
  batteryService.addCharacteristic(batteryLevel);
  BLE.addService(batteryService);
  controlChar.setEventHandler(BLEWritten, onControl);
  BLE.setEventHandler(BLEDisconnected, onDisconnect);
  if (!configureImu()) errors |= 1u;
  publishInfo();
  publishStatus();
  BLE.advertise();
}

void loop() {
  BLE.poll();
  if (streaming) drainImu();
  pumpData();
  if (millis() - lastStatusMs >= STATUS_PERIOD_MS) {
    lastStatusMs = millis();
    publishStatus();
    publishInfo();
  }
}
