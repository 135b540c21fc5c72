"""Validation rules of the shipped frameworks, one YAML per framework code (see collection.validation)."""
