"""Collection: periods, declarations with evidence, validation, appraisal and approval."""
