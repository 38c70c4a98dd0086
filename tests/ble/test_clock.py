"""Clock model: drift and offset from the lower envelope, robust to late arrivals, segments on resets."""

from __future__ import annotations

import numpy as np
import pytest

from lrm.ble.clock import fit_clock, segment_points


@pytest.mark.parametrize("drift_ppm", [-80.0, -20.0, 0.0, 35.0, 100.0])
def test_recovers_drift_and_offset(drift_ppm):
    rng = np.random.default_rng(int(drift_ppm) + 100)
    dev = np.sort(rng.uniform(0, 8 * 3600, 20000))              # device time of packets (s)
    true_host = 1.7e9 + 12.3 + dev / (1 + drift_ppm * 1e-6)     # a fast device clock runs ahead of true time
    latency = 0.002 + rng.exponential(0.03, dev.size)            # arrivals are only ever late
    latency[rng.random(dev.size) < 0.02] += rng.uniform(1, 20, int((rng.random(dev.size) < 0.02).sum()) or 1)[0]
    model, seg = fit_clock(dev, true_host + latency)
    assert len(model.segments) == 1
    assert model.drift_ppm == pytest.approx(drift_ppm, abs=0.5)
    err = model.to_host(dev, seg) - true_host
    assert np.abs(err).max() < 0.02                             # within the minimum latency + a few ms


def test_late_burst_does_not_split():
    dev = np.arange(0, 600, 0.5)
    host = 1e9 + dev + 0.01
    host[300:316] = host[316]                                    # a 8 s host stall, then a catch-up burst
    model, seg = fit_clock(dev, host)
    assert len(model.segments) == 1
    assert abs(model.to_host(100.0, 0) - (1e9 + 100.01)) < 0.005


def test_device_reset_starts_a_segment():
    dev = np.r_[np.arange(1000, 1300, 0.5), np.arange(0, 300, 0.5)]    # the device rebooted
    host = 1e9 + np.arange(dev.size) * 0.5 + 0.02
    model, seg = fit_clock(dev, host)
    assert len(model.segments) == 2 and seg[599] == 0 and seg[600] == 1
    assert np.abs(model.to_host(dev, seg) - host).max() < 1e-6


def test_forced_segments_per_connection():
    dev = np.r_[np.arange(0, 100, 1.0), np.arange(0, 100, 1.0)]          # sample-count clocks restart
    host = np.r_[1e9 + np.arange(100.0), 1e9 + 500 + np.arange(100.0)]
    model, seg = fit_clock(dev, host, segments=np.r_[np.zeros(100), np.ones(100)])
    assert np.abs(model.to_host(dev, seg) - host).max() < 1e-6


def test_segment_points_empty_and_single():
    assert segment_points([], []).tolist() == []
    assert segment_points([1.0], [2.0]).tolist() == [0]
