"""The canonical value store: unit × variable × period, with source, version and provenance."""
