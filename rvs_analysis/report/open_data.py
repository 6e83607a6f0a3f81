"""What a report can show on CBS open data, and how it says what the open tables cannot show.

The open tables answer the reports' questions only in part: 83648NED gives clearance per offence
*group* (no residential-burglary level), the Veiligheidsmonitor (81877NED, 85146NED) gives
published estimates with margins for larger areas (no microdata), 47018NED gives counts only. This
module chooses what a report uses from a dataset and words its limits:

* :func:`clearance_offence`: residential burglary (``1.1.1``) when the region supplies its police
  figures (``data/regional/cleared_offences.csv``), else the published offence group that contains
  it ("Diefstal/verduistering en inbraak"), labelled as group-level and why;
* :func:`open_tables` and :func:`open_data_line`: the open tables a report used and what they
  cannot show (the report's source line).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rvs_analysis.exceptions import NotAvailableForSource

__all__ = [
    "BURGLARY_GROUP_PATTERN",
    "CANNOT_SHOW",
    "ClearanceOffence",
    "burglary_group",
    "clearance_offence",
    "group_title",
    "open_data_line",
    "open_tables",
]

BURGLARY_GROUP_PATTERN = r"diefstal\s*/\s*verduistering en inbraak"
"""The title of the 83648NED offence group that contains residential burglary (resolved by title:
keys such as ``CRI1100`` change between table versions)."""

BURGLARY_GROUP_KEYS = ("CRI1100",)
"""Keys of that group in the table versions known to the suite, used when no label is known."""

CANNOT_SHOW = {
    "47018NED": "alleen aantallen geregistreerde misdrijven, geen opheldering of verdachten",
    "47022NED": "alleen aantallen per maand",
    "70072ned": "bevolking per gemeente (noemer van de cijfers per 1.000 inwoners)",
    "83648NED": "opheldering en registraties van verdachten alleen per misdrijfgroep, niet voor "
    "woninginbraak; registraties van verdachten zijn geen personen",
    "81877NED": "gepubliceerde schattingen met marges tot en met 2019, alleen voor grotere "
    "gemeenten, politie-eenheden en districten; geen microdata",
    "gebieden": "indeling van gemeenten in politie-eenheden (Gebieden in Nederland)",
    "85146NED": "gepubliceerde schattingen met marges vanaf 2021 (trendbreuk door de nieuwe "
    "opzet), alleen voor grotere gemeenten, politie-eenheden en districten; geen microdata",
    "wijkbuurt_jaar": "aantallen per wijk en buurt per jaar; geen adressen, geen tijdstippen, "
    "kleine aantallen niet gepubliceerd",
    "wijkbuurt_maand": "aantallen per wijk en buurt per maand; de laatste maand voorlopig",
    "kerncijfers_wijkbuurt": "inwoners per wijk en buurt (noemer van de buurtcijfers)",
}
"""Per open table, what it cannot show (Dutch, for the report's source line)."""


@dataclass(frozen=True)
class ClearanceOffence:
    """The offence a clearance report uses on this source.

    Attributes
    ----------
    code : str
        ``"1.1.1"`` (the region's own police figures) or the 83648NED group key (``"CRI1100"``).
    label : str
        Dutch label (``"woninginbraak"`` or the group's title without its number).
    group_level : bool
        The figure is the clearance of an offence group, not of residential burglary.
    why : str
        Dutch explanation for the report (empty for burglary itself).
    subgroups : tuple of (str, str)
        Published subgroups of the group (key, title), if the table has any.
    """

    code: str
    label: str
    group_level: bool
    why: str = ""
    subgroups: tuple[tuple[str, str], ...] = ()


def _group_labels(dataset) -> dict[str, str]:
    return dict((dataset.provenance or {}).get("offence_groups", {}) or {})


def _number(title: str) -> str | None:
    match = re.match(r"\s*(\d+)\s", title)
    return match.group(1) if match else None


def group_title(title: str) -> str:
    """An 83648NED offence group's title without its number ("11 Diefstal/verduistering en
    inbraak" -> "Diefstal/verduistering en inbraak")."""
    return re.sub(r"^\s*\d+\s+", "", str(title)).strip()


def burglary_group(dataset) -> tuple[str, str, tuple[tuple[str, str], ...]] | None:
    """The offence group of ``dataset.cleared`` that contains residential burglary.

    Returns
    -------
    (code, title, subgroups) or None
        ``subgroups`` are the published groups whose number extends the group's (``111`` under
        ``11``). ``None`` when the cleared frame has no such group.
    """
    cleared = dataset.cleared
    if cleared is None or cleared.empty:
        return None
    codes = set(cleared["offence_code"].unique())
    labels = {code: title for code, title in _group_labels(dataset).items() if code in codes}
    matches = [
        code
        for code, title in labels.items()
        if re.search(BURGLARY_GROUP_PATTERN, title, flags=re.IGNORECASE)
    ]
    if not matches:
        matches = [code for code in BURGLARY_GROUP_KEYS if code in codes]
    if not matches:
        return None
    # the most general of the matching groups (the shortest number) is the group itself
    code = min(matches, key=lambda key: len(_number(labels.get(key, "")) or "9" * 9))
    title = labels.get(code, "11 Diefstal/verduistering en inbraak")
    number = _number(title)
    subgroups = tuple(
        sorted(
            (key, label)
            for key, label in labels.items()
            if key != code
            and number
            and (_number(label) or "").startswith(number)
            and len(_number(label) or "") > len(number)
        )
    )
    return code, title, subgroups


def clearance_offence(dataset, wanted: str = "1.1.1") -> ClearanceOffence:
    """Residential burglary when the source has its clearance, else the group that contains it.

    Parameters
    ----------
    dataset : rvs_analysis.sources.base.Dataset
    wanted : str, default "1.1.1"

    Returns
    -------
    ClearanceOffence

    Raises
    ------
    NotAvailableForSource
        When the source has neither.
    """
    cleared = dataset.cleared
    if cleared is not None and (cleared["offence_code"] == wanted).any():
        return ClearanceOffence(wanted, "woninginbraak", False)
    group = burglary_group(dataset)
    if group is None:
        raise NotAvailableForSource(
            f"Opgehelderde misdrijven van soort {wanted} (woninginbraak) of van de misdrijfgroep "
            f"die woninginbraak bevat zijn niet beschikbaar voor deze bron ({dataset.source})."
        )
    code, title, subgroups = group
    label = group_title(title)
    why = (
        f"CBS-tabel 83648NED publiceert opgehelderde misdrijven "
        f"alleen per misdrijfgroep, niet voor woninginbraak. De cijfers gaan over de groep "
        f"'{label}' ({code}), waarvan woninginbraak een deel is, naast onder meer "
        "fietsendiefstal, winkeldiefstal en diefstal uit auto's. Het ophelderingspercentage van "
        "woninginbraak zelf kan hoger of lager liggen; de doelen van de strategie gelden voor "
        "woninginbraak en worden hier daarom niet getoetst. Met de politiecijfers van de regio "
        "(data/regional/cleared_offences.csv, sjabloon in data/templates/) toont dit rapport "
        "woninginbraak zelf."
    )
    return ClearanceOffence(code, label, True, why, subgroups)


def open_tables(dataset) -> list[str]:
    """The CBS open tables a dataset holds (empty for demo data and tidy folders)."""
    if dataset.is_demo:
        return []
    return sorted((dataset.provenance or {}).get("tables", {}) or {})


def open_data_line(dataset, used) -> str:
    """One Dutch sentence: the open tables a report used and what they cannot show.

    Parameters
    ----------
    dataset : rvs_analysis.sources.base.Dataset
    used : iterable of str
        The tables the report reads, as registry keys (``47018NED``, ``gebieden``); a key is
        mapped to the CBS identifier it was fetched under through ``provenance["roles"]``
        (``gebieden`` -> ``85755NED`` for the 2024 edition). Those not in the dataset are left
        out.

    Returns
    -------
    str
        Empty when the dataset holds none of them (demo data, a tidy folder).
    """
    present = set(open_tables(dataset))
    roles = (dataset.provenance or {}).get("roles") or {} if not dataset.is_demo else {}
    parts = []
    for key in used:
        table = roles.get(key, key)
        if table in present:
            what = CANNOT_SHOW.get(key) or CANNOT_SHOW.get(table, "zie de tabelbeschrijving")
            parts.append(f"{table} ({what})")
    if not parts:
        return ""
    return "Open CBS-tabellen gebruikt: " + "; ".join(parts) + "."
