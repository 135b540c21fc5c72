"""What the dashboards read: rankings, unit profiles, trends and what-if runs over stored result runs.

Result runs never change once stored, so their rows are read once and kept in memory (`rundata`).
"""
