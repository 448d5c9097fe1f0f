"""The council's documents as PDF: A4, the council's header, and on every page the CSV, the verification URL and its QR.

Content comes from the procedure in the citizen's language: a title and the domain's document blocks
(``chalicelib.domain.procedures.base``), laid out as they are. The few words of the page's own chrome (footer labels,
"page x/y") are the catalogues' ``pdf.*``.
Text is set in DejaVu Sans, embedded as a subset, so that every name the padrón may hold renders as written (Catalan
"l·l", Spanish "ñ", Romanian "ș", Polish "ł"...), which the 14 standard PDF fonts cannot promise.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.code128 import Code128
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, KeepTogether, PageTemplate, Spacer, TableStyle
from reportlab.platypus import Paragraph as RlParagraph
from reportlab.platypus import Table as RlTable

from chalicelib import texts
from chalicelib.domain.procedures.base import Barcode, Block, Facts, Heading, Paragraph, Table
from chalicelib.texts import say

FONTS = Path(__file__).with_name("fonts")
REGULAR = "DejaVuSans"
BOLD = "DejaVuSans-Bold"
INK = colors.HexColor("#1a1a1a")
MUTED = colors.HexColor("#555555")
RULE = colors.HexColor("#8a1538")  # the council's colour: header rule and headings
SHADE = colors.HexColor("#f2f2f2")

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 18 * mm
HEADER_HEIGHT = 24 * mm
FOOTER_HEIGHT = 34 * mm
QR_SIZE = 24 * mm


@dataclass(frozen=True)
class DocumentContent:
    title: str
    language: str
    council: str
    office: str
    blocks: Sequence[Block]
    issued_at: datetime  # printed as given: in the council's zone (``issuer.content_of``)
    csv: str
    verify_url: str
    subject: str = ""  # the PDF's metadata subject, e.g. the procedure's type
    # Until when the council keeps it, from the retention rules the deletion sweep applies (GDPR art. 13: said, not
    # guessed); None prints no such line.
    kept_until: datetime | None = None

    def __post_init__(self) -> None:
        if self.issued_at.tzinfo is None:
            raise ValueError("issued_at must be timezone-aware")
        if self.language not in texts.LANGUAGES:
            raise ValueError(f"unsupported language {self.language!r}")


_fonts_lock = threading.Lock()
_fonts_ready = False


def _register_fonts() -> None:
    global _fonts_ready
    with _fonts_lock:
        if not _fonts_ready:
            pdfmetrics.registerFont(TTFont(REGULAR, str(FONTS / "DejaVuSans.ttf")))
            pdfmetrics.registerFont(TTFont(BOLD, str(FONTS / "DejaVuSans-Bold.ttf")))
            pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD, italic=REGULAR, boldItalic=BOLD)
            _fonts_ready = True


def _styles() -> dict[str, ParagraphStyle]:
    body = ParagraphStyle("body", fontName=REGULAR, fontSize=10, leading=14, textColor=INK, spaceAfter=6)
    return {
        "title": ParagraphStyle("title", parent=body, fontName=BOLD, fontSize=16, leading=20, spaceAfter=10),
        "heading": ParagraphStyle(
            "heading", parent=body, fontName=BOLD, fontSize=11.5, leading=15, textColor=RULE, spaceBefore=8
        ),
        "body": body,
        "label": ParagraphStyle("label", parent=body, fontSize=9, leading=12, textColor=MUTED, spaceAfter=0),
        "value": ParagraphStyle("value", parent=body, fontSize=10, leading=13, spaceAfter=0),
        "cell": ParagraphStyle("cell", parent=body, fontSize=9, leading=12, spaceAfter=0),
        "head": ParagraphStyle("head", parent=body, fontName=BOLD, fontSize=9, leading=12, spaceAfter=0),
        "digits": ParagraphStyle("digits", parent=body, fontSize=9, leading=12, alignment=1, spaceAfter=0),
    }


def _text(value: str, style: ParagraphStyle) -> RlParagraph:
    # Paragraph parses a small markup language: caller text is always escaped.
    return RlParagraph(escape(value).replace("\n", "<br/>"), style)


def _flowables(content: DocumentContent, frame_width: float) -> list[Flowable]:
    styles = _styles()
    story: list[Flowable] = [_text(content.title, styles["title"])]
    for block in content.blocks:
        match block:
            case Heading(text):
                story.append(_text(text, styles["heading"]))
            case Paragraph(text):
                story.append(_text(text, styles["body"]))
            case Facts(rows):
                story.append(_facts(rows, styles, frame_width))
            case Table(header, rows):
                story.append(_table(header, rows, styles, frame_width))
            case Barcode(digits, caption):
                story.append(_barcode(digits, caption, styles))
    return story


def _facts(rows: Sequence[tuple[str, str]], styles: dict[str, ParagraphStyle], width: float) -> Flowable:
    data = [[_text(label, styles["label"]), _text(value, styles["value"])] for label, value in rows]
    table = RlTable(data, colWidths=[width * 0.34, width * 0.66], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), REGULAR),  # else the table's default (Helvetica) gets named
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.lightgrey),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return KeepTogether([table, Spacer(1, 6)]) if len(rows) <= 12 else table


def _table(
    header: Sequence[str], rows: Sequence[Sequence[str]], styles: dict[str, ParagraphStyle], width: float
) -> Flowable:
    columns = max([len(header), *(len(row) for row in rows)]) or 1
    data: list[list[Any]] = [[_text(cell, styles["head"]) for cell in header]] if header else []
    data += [[_text(cell, styles["cell"]) for cell in row] for row in rows]
    table = RlTable(data, colWidths=[width / columns] * columns, repeatRows=1 if header else 0, hAlign="LEFT")
    commands: list[Any] = [
        ("FONTNAME", (0, 0), (-1, -1), REGULAR),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    if header:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), SHADE))
    table.setStyle(TableStyle(commands))
    return table


def _barcode(digits: str, caption: str, styles: dict[str, ParagraphStyle]) -> Flowable:
    # "\xf1" is FNC1: after the start character it makes the Code 128 symbol a GS1-128 one. The first two digits
    # are the application identifier ("90" for Cuaderno 60), printed in brackets in the human-readable line.
    code = Code128("\xf1" + digits, barWidth=0.3 * mm, barHeight=13 * mm, humanReadable=0)
    code.hAlign = "CENTER"
    readable = f"({digits[:2]}) {digits[2:]}"
    return KeepTogether(
        [
            Spacer(1, 4),
            _text(caption, styles["label"]),
            Spacer(1, 4),
            code,
            _text(readable, styles["digits"]),
            Spacer(1, 6),
        ]
    )


class _Chrome:
    """What every page carries around the content: the header and the footer with the CSV, URL, QR and page x/y."""

    def __init__(self, content: DocumentContent) -> None:
        self.content = content
        lang = content.language
        self.issued = say("pdf.issued_at", lang, at=content.issued_at)
        kept = content.kept_until
        until = None if kept is None else say("format.date", lang, at=kept)
        self.kept = None if until is None else say("pdf.kept", lang, date=until)

    def qr(self) -> Drawing:
        widget = QrCodeWidget(self.content.verify_url, barLevel="M", barBorder=0)
        x0, y0, x1, y1 = widget.getBounds()
        # The drawing's default font would bring in (unembedded) Helvetica: name ours.
        scale = [QR_SIZE / (x1 - x0), 0, 0, QR_SIZE / (y1 - y0), 0, 0]
        drawing = Drawing(QR_SIZE, QR_SIZE, transform=scale, initialFontName=REGULAR)
        drawing.add(widget)
        return drawing

    def draw(self, canvas: Canvas, page: int, pages: int) -> None:
        content, lang = self.content, self.content.language
        canvas.saveState()
        # Header.
        top = PAGE_HEIGHT - MARGIN
        canvas.setFillColor(INK)
        _draw_fitted(canvas, MARGIN, top - 5 * mm, content.council, BOLD, 13, PAGE_WIDTH - 2 * MARGIN)
        canvas.setFillColor(MUTED)
        _draw_fitted(canvas, MARGIN, top - 10 * mm, content.office, REGULAR, 9, PAGE_WIDTH - 2 * MARGIN)
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(1.2)
        canvas.line(MARGIN, top - 13 * mm, PAGE_WIDTH - MARGIN, top - 13 * mm)
        # Footer: the QR (one form XObject shared by all pages) and the verification lines beside it.
        bottom = 10 * mm
        canvas.setStrokeColor(colors.lightgrey)
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN, bottom + QR_SIZE + 4 * mm, PAGE_WIDTH - MARGIN, bottom + QR_SIZE + 4 * mm)
        canvas.saveState()
        canvas.translate(MARGIN, bottom)
        canvas.doForm("verification-qr")
        canvas.restoreState()
        x = MARGIN + QR_SIZE + 5 * mm
        width = PAGE_WIDTH - MARGIN - x
        line = bottom + QR_SIZE - 3 * mm
        canvas.setFillColor(INK)
        prefix = f"{say('pdf.csv', lang)}: "
        _draw_fitted(canvas, x, line, prefix, REGULAR, 7.5, width)
        _draw_fitted(canvas, x + canvas.stringWidth(prefix, REGULAR, 7.5), line, content.csv, BOLD, 10, width / 2)
        _draw_fitted(
            canvas, x, line - 4.5 * mm, f"{say('pdf.verify', lang)}: {content.verify_url}", REGULAR, 7.5, width
        )
        _draw_fitted(canvas, x, line - 8.5 * mm, f"{say('pdf.issued', lang)}: {self.issued}", REGULAR, 7.5, width)
        canvas.setFillColor(MUTED)
        _draw_fitted(canvas, x, line - 12.5 * mm, say("pdf.sealed", lang, council=content.council), REGULAR, 6.5, width)
        if self.kept is not None:
            _draw_fitted(canvas, x, line - 15.5 * mm, self.kept, REGULAR, 6.5, width)
        canvas.setFillColor(INK)
        canvas.setFont(REGULAR, 8)
        canvas.drawRightString(PAGE_WIDTH - MARGIN, bottom, f"{say('pdf.page', lang)} {page}/{pages}")
        canvas.restoreState()


def _draw_fitted(canvas: Canvas, x: float, y: float, text: str, font: str, size: float, width: float) -> None:
    """One line of page chrome, its type made smaller (never below 5 pt) when a long name or URL would overflow."""
    fitted = max(5.0, min(size, size * width / max(canvas.stringWidth(text, font, size), 1.0)))
    canvas.setFont(font, fitted)
    canvas.drawString(x, y, text)


class _NumberedCanvas(Canvas):
    """Holds the pages back until the end so that each footer can say "page x/y" (ReportLab's usual recipe)."""

    def __init__(self, chrome: _Chrome, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._chrome = chrome
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:  # noqa: N802 (ReportLab's name)
        self._pages.append(dict(self.__dict__))
        self._startPage()  # type: ignore[attr-defined]  # ReportLab's own, absent from its stubs

    def save(self) -> None:
        self.beginForm("verification-qr")
        renderPDF.draw(self._chrome.qr(), self, 0, 0)
        self.endForm()
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._chrome.draw(self, number, len(self._pages))
            super().showPage()
        super().save()


def render_pdf(content: DocumentContent) -> bytes:
    """The document as PDF bytes (A4), ready to be sealed."""
    _register_fonts()
    chrome = _Chrome(content)
    buffer = BytesIO()
    document = BaseDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + HEADER_HEIGHT - 6 * mm,
        bottomMargin=FOOTER_HEIGHT + 4 * mm,
        title=content.title,
        author=content.council,
        subject=content.subject or f"CSV {content.csv}",
        creator=content.council,
        lang=say("pdf.language", content.language),
        initialFontName=REGULAR,  # else every page names Helvetica, a font we neither use nor embed
    )
    frame = Frame(
        document.leftMargin,
        document.bottomMargin,
        document.width,
        document.height,
        id="body",
        leftPadding=0,
        rightPadding=0,
    )
    document.addPageTemplates([PageTemplate(id="page", frames=[frame])])

    def canvasmaker(*args: Any, **kwargs: Any) -> Canvas:
        return _NumberedCanvas(chrome, *args, **kwargs)

    document.build(_flowables(content, document.width), canvasmaker=canvasmaker)
    return buffer.getvalue()
