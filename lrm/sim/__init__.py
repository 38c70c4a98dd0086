"""The night simulator: realistic two-ankle accelerometer nights with known truth (a test bed, not proof)."""
