"""Signal processing: from a Recording to leg-movement events (preprocessing, posture, detection)."""
