"""Charts as declarative Vega-Lite specs, rendered to SVG offline (vl-convert), and province maps as SVG.

The same spec serves the web pages and, later, the PDF reports.
"""
