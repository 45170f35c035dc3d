"""The report as an A4 PDF for a funder, with fpdf2 (pure Python: nothing to install on the system).

It lays out the same :class:`~engagement.report.Report` as the HTML page: the summary first, then
one chapter per page, each chart kept whole on its page (scaled down when taller than a page),
tables with their header row repeated on each page. The text is set in DejaVu Sans, which
matplotlib ships and which covers French (and its narrow no-break spaces).
"""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

from engagement.report import Chart, Report, Section, Table

MARGIN_MM = 14
TEXT = (27, 27, 27)
BLUE = (29, 53, 87)
GREY = (85, 85, 85)
FONT = "DejaVu"


def _fonts() -> dict[str, Path]:
    import matplotlib

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return {"": folder / "DejaVuSans.ttf", "B": folder / "DejaVuSans-Bold.ttf"}


def render_pdf(report: Report) -> bytes:
    """The PDF bytes of ``report``."""
    from fpdf import FPDF

    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
    pdf.set_auto_page_break(auto=True, margin=MARGIN_MM + 2)
    for style, path in _fonts().items():
        pdf.add_font(FONT, style=style, fname=str(path))
    pdf.set_title(report.title)
    pdf.set_lang("fr")
    pdf.set_creator("clickable")
    pdf.set_text_shaping(False)
    pdf.alias_nb_pages()

    def footer() -> None:
        pdf.set_y(-MARGIN_MM + 2)
        pdf.set_font(FONT, size=8)
        pdf.set_text_color(*GREY)
        pdf.cell(0, 5, f"{report.title} — page {pdf.page_no()} sur {{nb}}", align="C")

    pdf.footer = footer  # type: ignore[method-assign]
    pdf.add_page()
    _heading(pdf, report.title, size=18)
    _paragraph(pdf, f"Période : {report.period}. Rapport produit le {report.generated} par clickable.", size=9, color=GREY)
    pdf.ln(2)
    _heading(pdf, "En bref", size=14)
    for sentence in report.summary:
        _paragraph(pdf, sentence)
    for section in report.sections:
        pdf.add_page()
        _section(pdf, section)
    pdf.ln(3)
    _paragraph(pdf, report.note, size=8, color=GREY)
    return bytes(pdf.output())


def _heading(pdf: Any, text: str, *, size: float) -> None:
    pdf.set_font(FONT, style="B", size=size)
    pdf.set_text_color(*BLUE)
    pdf.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1.5)


def _paragraph(pdf: Any, text: str, *, size: float = 10.5, color: tuple[int, int, int] = TEXT) -> None:
    pdf.set_font(FONT, size=size)
    pdf.set_text_color(*color)
    pdf.multi_cell(0, size * 0.48, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1.5)


def _section(pdf: Any, section: Section) -> None:
    _heading(pdf, section.title, size=14)
    if section.intro:
        _paragraph(pdf, section.intro)
    for chart in section.charts:
        _chart(pdf, chart)
    for table in section.tables:
        _table(pdf, table)


def _chart(pdf: Any, chart: Chart) -> None:
    """A chart with its title and note, never split across pages."""
    from PIL import Image

    data = base64.b64decode(chart.png)
    with Image.open(io.BytesIO(data)) as image:
        width_px, height_px = image.size
    width = pdf.epw
    height = width * height_px / width_px
    tallest = pdf.eph - 24  # room for the title and the note
    if height > tallest:
        width, height = width * tallest / height, tallest
    caption = 6 + (5 * (1 + len(chart.note) // 110) if chart.note else 0)
    if pdf.will_page_break(caption + height):
        pdf.add_page()
    pdf.set_font(FONT, style="B", size=10.5)
    pdf.set_text_color(*TEXT)
    pdf.multi_cell(0, 5.5, chart.title, new_x="LMARGIN", new_y="NEXT")
    if chart.note:
        _paragraph(pdf, chart.note, size=8.5, color=GREY)
    pdf.image(io.BytesIO(data), x=pdf.l_margin + (pdf.epw - width) / 2, w=width, h=height, alt_text=chart.alt)
    pdf.ln(4)


def _table(pdf: Any, table: Table) -> None:
    """A table whose header row comes back on each page it runs over."""
    if pdf.will_page_break(20):
        pdf.add_page()
    pdf.set_font(FONT, style="B", size=10)
    pdf.set_text_color(*TEXT)
    pdf.multi_cell(0, 5.5, table.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=8)
    count = max(1, len(table.columns))
    widths = tuple(1.0 if table.numeric(index) else 1.8 for index in range(count))
    aligns = tuple("RIGHT" if table.numeric(index) else "LEFT" for index in range(count))
    with pdf.table(
        col_widths=widths,
        text_align=aligns,
        repeat_headings=1,
        line_height=4.2,
        borders_layout="HORIZONTAL_LINES",
        headings_style=_headings_style(),
    ) as grid:
        header = grid.row()
        for column in table.columns:
            header.cell(column)
        for values in table.rows:
            line = grid.row()
            for value in values:
                line.cell(str(value))
    pdf.ln(4)


def _headings_style() -> Any:
    from fpdf.fonts import FontFace

    return FontFace(family=FONT, emphasis="BOLD", color=BLUE)


__all__ = ["render_pdf"]
