"""Outputs for people and machines: the annual report, exports and the open-data release."""
