"""The `chiso` command line: one module per noun (`chiso <noun> <verb>`)."""
