"""Text that a spreadsheet program reads as text, never as a formula.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a formula by
Excel and LibreOffice when a CSV is opened ("CSV injection"); offence labels from a source and the
names of custom areas reach the downloads as text, so every text cell a download or ``rvs table
--output`` writes goes through :func:`safe_text`. Numbers stay numbers: only text is escaped.
OWASP's advice is followed: such a cell is prefixed with a single quote, which spreadsheet programs
show as the text itself. In an .xlsx, text cells are also stored with the string type, so openpyxl
never writes a formula (:func:`as_text_cell`).
"""

from __future__ import annotations

__all__ = ["FORMULA_STARTS", "as_text_cell", "safe_text"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet program read a cell as a formula."""


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", "."))
    except ValueError:
        return False
    return True


def safe_text(text: object) -> object:
    """``text`` with a leading ``'`` when a spreadsheet would read it as a formula.

    Parameters
    ----------
    text : object
        A cell's value. Anything that is not a string, and strings that are numbers ("-1,5"),
        are returned unchanged.

    Returns
    -------
    object
        The value to write.

    Examples
    --------
    >>> safe_text("=HYPERLINK(\\"http://x\\")")
    '\\'=HYPERLINK("http://x")'
    >>> safe_text("-3,5"), safe_text("Woninginbraak")
    ('-3,5', 'Woninginbraak')
    """
    if not isinstance(text, str) or not text.startswith(FORMULA_STARTS):
        return text
    if _is_number(text.strip()):
        return text
    return "'" + text


def as_text_cell(cell) -> None:
    """Store an openpyxl cell holding a string as text, never as a formula."""
    if isinstance(cell.value, str):
        cell.data_type = "s"
