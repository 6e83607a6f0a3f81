"""What a failed report says to its reader, in Dutch.

A report that fails keeps its page: what ran is shown, with a banner that says in Dutch what went
wrong and what to do. The technical error (the exception's own English message, the cell, the
traceback and papermill's markers) is for the technician and goes behind a "Technische details"
fold. The index cell of the report shows the same Dutch sentence.

The explanation is chosen by the exception's class name, which is all the batch sees of an error
raised in a report's kernel: ``"IncompleteDataError: ... (cel 12)"``. Failures of the batch
machinery itself (a cell over the time limit, a kernel or worker that died) carry Dutch messages
of their own and are recognised by them. Add a line to :data:`EXPLANATIONS` for a new error class
that a reader can act on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["EXPLANATIONS", "Explanation", "explain"]


@dataclass(frozen=True)
class Explanation:
    """A failure in words for the reader of a report.

    Attributes
    ----------
    what : str
        What went wrong, in one Dutch sentence.
    todo : str
        What the reader (or whoever made the batch) can do about it, in one Dutch sentence.
    """

    what: str
    todo: str

    @property
    def text(self) -> str:
        """Both sentences, for the index and the manifest."""
        return f"{self.what} {self.todo}"


_ASK = (
    "Meld het aan de beheerder van rvs-analysis en stuur de technische details hieronder mee "
    "(het HTML-bestand van dit rapport bevat ze)."
)

EXPLANATIONS: dict[str, Explanation] = {
    "IncompleteDataError": Explanation(
        "De bron mist cijfers (misdrijven of inwoners) van een gemeente van dit gebied voor een "
        "jaar dat het rapport gebruikt; een totaal over minder gemeenten dan het gebied heeft "
        "zou fout zijn, dus is het niet berekend.",
        "Vul de bron aan of haal de tabellen opnieuw op ('rvs fetch'), of kies jaren die de bron "
        "wel heeft (-p first_year=...). De technische details noemen de gemeente en de jaren.",
    ),
    "DataValidationError": Explanation(
        "Een invoerbestand van de bron bevat een ongeldige waarde.",
        "De technische details noemen het bestand, de kolom en de rij; verbeter die waarde en "
        "maak het rapport opnieuw.",
    ),
    "SourceNotAvailableError": Explanation(
        "De bron bevat niet de gegevens die dit rapport nodig heeft.",
        "Kies een bron met deze gegevens (--source), of haal de CBS-tabellen op met 'rvs fetch'.",
    ),
    "StatisticsInputError": Explanation(
        "Voor een berekening in dit rapport zijn er te weinig of onvolledige gegevens (te weinig "
        "jaren, of een gebied zonder cijfers).",
        "Kies meer jaren of een groter gebied; de technische details noemen de berekening.",
    ),
    "ReportParameterError": Explanation(
        "Een parameter van dit rapport heeft een waarde die het rapport niet kan gebruiken.",
        "Kies een andere waarde voor de parameter die de technische details noemen (-p "
        "naam=waarde).",
    ),
    "UnknownAreaError": Explanation(
        "Het gebied van dit rapport is onbekend in de gebiedsindeling.",
        "Kies de regio, een district of een gemeente van de regio (of een gebied uit "
        "data/regions/).",
    ),
    "MemoryError": Explanation(
        "De computer had niet genoeg werkgeheugen voor dit rapport.",
        "Maak minder rapporten tegelijk (--jobs 1) of gebruik een computer met meer geheugen.",
    ),
}
"""Dutch explanation per exception class name (the name as the kernel reports it)."""

_TIMEOUT = Explanation(
    "Een berekening van dit rapport duurde langer dan de ingestelde tijdslimiet en is afgebroken.",
    "Maak het rapport opnieuw met een ruimere limiet (--timeout) of met minder rapporten "
    "tegelijk (--jobs).",
)
_DIED = Explanation(
    "Het rekenproces van dit rapport stopte onverwacht (bijvoorbeeld door te weinig "
    "werkgeheugen, of omdat het van buitenaf werd beëindigd).",
    "Maak het rapport opnieuw; gebeurt het weer, gebruik dan minder rapporten tegelijk (--jobs "
    "1). " + _ASK,
)
_UNFORESEEN = Explanation(
    "Bij het maken van dit rapport ging iets mis dat rvs-analysis niet voorzag (een fout in de "
    "code, of gegevens van een vorm die de code niet kent).",
    _ASK,
)

_NAME = re.compile(r"^(?:dask: )?([A-Za-z_][\w.]*): ")


def explain(error: str | None) -> Explanation:
    """The Dutch explanation of a failed report's technical error.

    Parameters
    ----------
    error : str or None
        The manifest's ``error`` (``"ValueError: ... (cel 4)"``, or a batch message in Dutch).

    Returns
    -------
    Explanation
        From :data:`EXPLANATIONS` by the exception's class name (the last dotted part); a time
        limit or a stopped kernel or worker by its message; otherwise the explanation for an
        unforeseen error, which asks to report it.
    """
    text = str(error or "")
    lowered = text.casefold()
    if "tijdslimiet" in lowered or "timed out" in lowered or "timeouterror" in lowered:
        return _TIMEOUT
    if (
        "kernel died" in lowered
        or "werkproces stopte" in lowered
        or "kernel kon niet starten" in lowered
        or "deadkernelerror" in lowered
        or "killedworker" in lowered
    ):
        return _DIED
    match = _NAME.match(text)
    if match:
        name = match.group(1).rsplit(".", 1)[-1]
        if name in EXPLANATIONS:
            return EXPLANATIONS[name]
    return _UNFORESEEN
