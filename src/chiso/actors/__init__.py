"""Actors: the identities the audit log names. Accounts and login come with the web app."""
