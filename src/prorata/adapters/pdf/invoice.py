"""One invoice or credit note as a PDF: seller and customer blocks, number and dates, a row per
charge line (description, service period, quantity, unit price, amount) and the total in the
customer's currency. Input is the API's invoice object, so the document shows exactly what
`GET /v1/invoices/{id}` shows."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.fonts import FontFace

FONTS = Path(__file__).parent / "fonts"
FONT = "DejaVu"
INK = (33, 37, 41)
MUTED = (108, 117, 125)
RULE = (206, 212, 218)
HEADING_FILL = (241, 243, 245)
TITLES = {"invoice": "Invoice", "credit_note": "Credit note"}
COLUMNS = (("Description", 74, "LEFT"), ("Service period", 44, "LEFT"), ("Qty", 12, "RIGHT"),
           ("Unit price", 22, "RIGHT"), ("Amount", 22, "RIGHT"))


def _last_day(period_end: str | None) -> str:
    """Periods are half-open (T1); a document shows the last day of service."""
    if period_end is None:
        return ""
    return (date.fromisoformat(period_end) - timedelta(days=1)).isoformat()


def _period(line: dict[str, Any]) -> str:
    start, end = line.get("period_start"), line.get("period_end")
    if start is None:
        return ""
    last = _last_day(end)
    return start if not last or last == start else f"{start} – {last}"


class _Document(FPDF):
    number = ""

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(FONT, size=8)
        self.set_text_color(*MUTED)
        self.cell(0, 5, f"{self.number} · page {self.page_no()}/{{nb}}", align="C")


def _block(pdf: FPDF, x: float, y: float, width: float, heading: str, lines: list[str],
           name: str) -> float:
    """A labelled address block; answers where it ends."""
    pdf.set_xy(x, y)
    pdf.set_font(FONT, size=8)
    pdf.set_text_color(*MUTED)
    pdf.cell(width, 5, heading.upper(), new_x="LEFT", new_y="NEXT")
    pdf.set_font(FONT, "B", 11)
    pdf.set_text_color(*INK)
    pdf.multi_cell(width, 5.5, name, new_x="LEFT", new_y="NEXT")
    pdf.set_font(FONT, size=9)
    for line in lines:
        pdf.multi_cell(width, 4.6, line, new_x="LEFT", new_y="NEXT")
    return pdf.get_y()


def _seller_lines(seller: dict[str, Any]) -> list[str]:
    out = [str(a) for a in seller.get("address") or []]
    if seller.get("tax_id"):
        out.append(f"Tax ID: {seller['tax_id']}")
    if seller.get("email"):
        out.append(str(seller["email"]))
    return out


def _customer_lines(invoice: dict[str, Any]) -> list[str]:
    customer = invoice.get("bill_to") or {}
    out = [f"Customer ID: {invoice['customer']}"]
    if customer.get("inn"):
        out.append(f"Registration no.: {customer['inn']}")
    return out


def _facts(pdf: FPDF, invoice: dict[str, Any], x: float, y: float) -> float:
    title = TITLES.get(invoice["kind"], "Invoice")
    pdf.set_xy(x, y)
    pdf.set_font(FONT, "B", 20)
    pdf.set_text_color(*INK)
    pdf.cell(0, 10, title, align="R", new_x="LEFT", new_y="NEXT")
    pdf.set_font(FONT, size=9)
    for label, value in (("Number", invoice["number"]), ("Issued", invoice["issued_on"]),
                         ("Service date", invoice["service_date"]),
                         ("Currency", invoice["currency"])):
        pdf.set_x(x)
        pdf.set_text_color(*MUTED)
        pdf.cell(30, 5, label, align="R")
        pdf.set_text_color(*INK)
        pdf.cell(0, 5, value, align="R", new_x="LEFT", new_y="NEXT")
    return pdf.get_y()


def _lines(pdf: FPDF, invoice: dict[str, Any]) -> None:
    pdf.set_font(FONT, size=9)
    pdf.set_draw_color(*RULE)
    heading = FontFace(emphasis="BOLD", color=INK, fill_color=HEADING_FILL)
    with pdf.table(col_widths=tuple(w for _, w, _ in COLUMNS),
                   text_align=tuple(a for _, _, a in COLUMNS), headings_style=heading,
                   borders_layout="HORIZONTAL_LINES", line_height=5.2, padding=1.4,
                   width=sum(w for _, w, _ in COLUMNS)) as table:
        head = table.row()
        for name, _, _ in COLUMNS:
            head.cell(name)
        for line in invoice["lines"]:
            row = table.row()
            for value in (line["description"], _period(line), str(line["quantity"]),
                          line["unit_price"], line["amount"]):
                row.cell(value)


def _total(pdf: FPDF, invoice: dict[str, Any]) -> None:
    pdf.ln(3)
    pdf.set_font(FONT, "B", 11)
    pdf.set_text_color(*INK)
    label = "Total credited" if invoice["kind"] == "credit_note" else "Total"
    pdf.cell(0, 7, f"{label} ({invoice['currency']}):  {invoice['total']}", align="R",
             new_x="LMARGIN", new_y="NEXT")


def render_invoice(invoice: dict[str, Any]) -> bytes:
    """The document as PDF bytes. Long documents continue on further pages, the table heading
    repeated; each page's footer carries the number."""
    pdf = _Document(format="A4", unit="mm")
    pdf.number = invoice["number"]
    pdf.set_title(f"{TITLES.get(invoice['kind'], 'Invoice')} {invoice['number']}")
    pdf.set_author(str((invoice.get("seller") or {}).get("name") or ""))
    pdf.set_creator("Prorata")
    pdf.add_font(FONT, "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_margins(18, 18, 18)
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_page()
    seller = invoice.get("seller") or {}
    top = pdf.get_y()
    seller_end = _block(pdf, 18, top, 95, "From", _seller_lines(seller),
                        str(seller.get("name") or ""))
    facts_end = _facts(pdf, invoice, 118, top)
    customer = invoice.get("bill_to") or {}
    bill_end = _block(pdf, 18, max(seller_end, facts_end) + 8, 95, "Bill to",
                      _customer_lines(invoice), str(customer.get("name") or invoice["customer"]))
    pdf.set_xy(18, bill_end + 8)
    _lines(pdf, invoice)
    _total(pdf, invoice)
    return bytes(pdf.output())
