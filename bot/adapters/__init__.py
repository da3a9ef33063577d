"""Chat adapters: each translates between a platform and the neutral commands and alerts."""
