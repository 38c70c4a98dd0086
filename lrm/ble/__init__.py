"""BLE ingest: scanning, sensor drivers, the overnight recorder and virtual sensors. Produces recordings only."""
