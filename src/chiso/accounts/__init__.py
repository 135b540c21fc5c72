"""Accounts: people who log in (argon2 password hashes) and machines that call the API (tokens)."""
