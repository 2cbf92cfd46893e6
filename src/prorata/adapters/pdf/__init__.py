"""PDF documents (SPEC B2): invoices and credit notes, rendered with fpdf2 in DejaVu Sans
(shipped in fonts/, so Cyrillic, Greek and accented names print without a system font)."""

from prorata.adapters.pdf.invoice import render_invoice

__all__ = ["render_invoice"]
