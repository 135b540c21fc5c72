"""Decision 766/QĐ-TTg: the service index computed from records, stored, ranked within each unit kind."""
