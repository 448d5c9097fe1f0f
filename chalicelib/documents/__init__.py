"""Issued documents: the PDF (``pdf``) and the council's electronic seal on it (``seal``)."""
