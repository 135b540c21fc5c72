"""The province's DTI declaration to the Ministry: the component list of a year (imported), the
departments that lead each component (declaring through the collection workflow), the estimate of the
main indicators, pillars and DTI with the shipped formulas, the declaration workbook, and the
comparison with the published figures."""
