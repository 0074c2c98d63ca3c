"""Small shared building blocks: ticks, per-hook RNG streams, op records."""
