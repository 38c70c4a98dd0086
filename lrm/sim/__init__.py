"""The night simulator: realistic two-ankle accelerometer nights with known truth (a test bed, not proof).

``lrm.sim.night.simulate(profile, seed=..., hours=..., rate_hz=..., sides=..., variation=..., family=...)``
returns a ``SimulatedNight`` (``.recording``, ``.truth``); ``write_simulation`` writes it. The parts, one job
each: ``profiles`` (who is simulated; per-night variation), ``families`` (how widely one night's sensor,
movements and distractors are drawn: classic, wide, hard), ``timeline`` (lights, sleep, awakenings,
hypnogram), ``plan`` (which movements when) and ``plan_wide`` (the same with shank-model movements sized
to the night's amplitude distribution), ``movements`` (the classic waveforms), ``shank`` (the physical
model of the shank: rotation-, acceleration- and tremor-like LMs, hypnic-jerk variants, the change from
rest and its peak), ``body`` (shank kinematics -> specific force), ``sensor`` (mounting, noise, int16,
clipping, clock drift, jitter, gaps), ``truth`` (what happened, scored by WASM 2016; the peak's
definition), ``compare`` (an analysis against the truth: the validation's per-night numbers),
``sample_night`` (the bundled demo night's recipe).
"""
