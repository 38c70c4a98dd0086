"""Reports: one night (a one-page summary, night chart, series and stage tables, event close-ups, data quality,
appendix), several nights side by side, and the SIT, as self-contained HTML and A4 PDF (docs/report.md)."""
