"""Sources: what to poll and when; the bundled demo feed."""
