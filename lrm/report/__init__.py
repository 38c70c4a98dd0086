"""Reports: text summary, figures and the self-contained HTML/PDF night report."""
