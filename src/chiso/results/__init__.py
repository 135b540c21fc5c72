"""Result runs: values of a period → engine → stored, immutable, publishable."""
