"""Scoring rules (WASM 2016 / AASM): leg-movement events to CLMs, PLM series and indices."""
