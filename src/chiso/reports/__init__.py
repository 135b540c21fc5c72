"""Reports: the year's account of a province's digital transformation as PDF (Typst) and XLSX.

`service.annual` gathers the figures as typed tables and figures; `pdf.render` and `xlsx.render` write
the same tables, so the workbook and the printed report never disagree.
"""
