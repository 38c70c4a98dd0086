"""The night simulator: realistic two-ankle accelerometer nights with known truth (a test bed, not proof).

``lrm.sim.night.simulate(profile, seed=..., hours=..., rate_hz=..., sides=..., variation=...)`` returns a
``SimulatedNight`` (``.recording``, ``.truth``); ``write_simulation`` writes it. The parts, one job each:
``profiles`` (who is simulated; per-night variation), ``timeline`` (lights, sleep, awakenings, hypnogram),
``plan`` (which movements when), ``movements`` (their waveforms), ``body`` (shank kinematics -> specific
force), ``sensor`` (mounting, noise, int16, clipping, clock drift, jitter, gaps), ``truth`` (what happened,
scored by WASM 2016), ``sample_night`` (the bundled demo night's recipe).
"""
