"""CPU compatibility patches, applied once when ``turbotrain`` is imported (placeholder, filled in by the foundation)."""
