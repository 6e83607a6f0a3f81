"""Peak memory of ``rvs fetch`` of the wijk and buurt tables at a realistic size (issue 31: at most 1 GB).

The loopback feed (tests/cbs_feed.py) runs in a child process, so that only the fetching process is
measured; it serves, for 12 of the region's municipalities, 300 buurten and their wijken with 12
offence types and the total over 10 years of months (47022NED, about half a million rows) and of
years (47018NED), a "Kerncijfers wijken en buurten" edition and the PDOK polygons (the generalised CBS
gebiedsindelingen, the municipalities' boxes overlapping), in pages of
10,000 rows as CBS's bulk feed pages. The fetching process then runs
``cbs.fetch(tables=[47018NED's wijk and buurt rows, monthly, Kerncijfers, polygons])`` with the real
cbsodata client and reports its peak resident memory (``ru_maxrss``) before and after.

Usage: ``.venv/bin/python benchmarks/fetch_memory.py [--buurten 300] [--years 10]``. Not a test:
it takes a minute or two (most of it the feed filtering rows in Python).
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

OFFENCES = (
    "0.0.0", "1.1.1", "1.1.2", "1.2.1", "1.2.2", "1.2.3", "1.4.2",
    "1.4.4", "1.4.5", "2.2.1", "2.5.1", "3.1.1", "3.1.3",
)  # fmt: skip


def _areas(buurten: int, municipalities: list[str]) -> dict[str, tuple[str, int]]:
    """Code -> (name, inhabitants): ``buurten`` buurten, 5 to a wijk, spread over the municipalities."""
    areas: dict[str, tuple[str, int]] = {}
    per = -(-buurten // len(municipalities))
    made = 0
    for gemeente in municipalities:
        for index in range(min(per, buurten - made)):
            wijk, buurt = index // 5 + 1, index % 5 + 1
            wijk_code = f"WK{gemeente[2:]}{wijk:02d}"
            areas.setdefault(wijk_code, (f"Wijk {wijk}", 0))
            code = f"{wijk_code.replace('WK', 'BU')}{buurt:02d}"
            areas[code] = (f"Buurt {wijk}-{buurt}", 2500)
            areas[wijk_code] = (areas[wijk_code][0], areas[wijk_code][1] + 2500)
            made += 1
    return areas


def build_tables(buurten: int, years: int):
    """The feed's tables and PDOK services at the size asked for."""
    import cbs_feed
    from cbs_feed import FeedTable, _offence_listing, _pad, _periods, _police_properties

    from rvs_analysis.region_tables import municipality_table

    municipalities = sorted(set(municipality_table()["gemeente_code"]))[:12]
    areas = _areas(buurten, municipalities)
    span = list(range(2024 - years + 1, 2025))
    tables = {}
    for table_id, kind in (("47018NED", "JJ"), ("47022NED", "MM")):
        periods = _periods(span, (2024,), kind)
        rows = []
        for offence in OFFENCES:
            for code in areas:
                for period in periods:
                    rows.append(
                        {
                            "ID": len(rows),
                            "SoortMisdrijf": _pad(offence, 6),
                            "WijkenEnBuurten": _pad(code, 10),
                            "Perioden": period["Key"],
                            "GeregistreerdeMisdrijven_1": (len(rows) * 7919) % 23,
                            "Gemeentenaam_2": "Gemeente".ljust(40),
                            "SoortRegio_3": ("Wijk" if code[:2] == "WK" else "Buurt").ljust(10),
                        }
                    )
        tables[table_id] = FeedTable(
            table_id,
            "DATADERDEN",
            f"Geregistreerde misdrijven; soort misdrijf, wijk, buurt ({kind})",
            _police_properties().rows,
            {
                "SoortMisdrijf": _offence_listing(list(OFFENCES), cbs_feed.OFFENCES_47018),
                "WijkenEnBuurten": [
                    {"Key": _pad(code, 10), "Title": name, "Description": None}
                    for code, (name, _) in areas.items()
                ],
                "Perioden": periods,
            },
            rows,
        )
    named = {code: (name, people) for code, (name, people) in areas.items()}
    for code in municipalities:  # _geo_detail names the municipality from this mapping
        cbs_feed.NEIGHBOURHOOD_AREAS.setdefault(code, ("Gemeente", 0))
    kerncijfers = cbs_feed.kerncijfers_table(2024, named, {2024: "85984NED"})
    tables[kerncijfers.table_id] = kerncijfers
    features: dict[str, list[dict]] = {
        "gemeente_gegeneraliseerd": [],
        "wijk_gegeneraliseerd": [],
        "buurt_gegeneraliseerd": [],
    }
    corners: dict[str, list[float]] = {}
    for position, code in enumerate(areas):
        x, y = 4.9 + 0.01 * (position % 40), 52.0 + 0.01 * (position // 40)
        ring = [[x, y], [x + 0.01, y], [x + 0.01, y + 0.01], [x, y + 0.01], [x, y]]
        box = corners.setdefault("GM" + code[2:6], [x, y, x + 0.01, y + 0.01])
        box[:] = [min(box[0], x), min(box[1], y), max(box[2], x + 0.01), max(box[3], y + 0.01)]
        collection = "wijk_gegeneraliseerd" if code[:2] == "WK" else "buurt_gegeneraliseerd"
        features[collection].append(_generalised(code, areas[code][0], ring))
    for code, (x0, y0, x1, y1) in corners.items():
        ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
        features["gemeente_gegeneraliseerd"].append(_generalised(code, "Gemeente", ring))
    return tables, features


def _generalised(code: str, name: str, ring) -> dict:
    """A feature of PDOK's generalised CBS Gebiedsindelingen of 2024."""
    return {
        "type": "Feature",
        "properties": {"statcode": code, "statnaam": name, "jaarcode": 2024},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


def serve(buurten: int, years: int, queue) -> None:
    """Run the feed in this (child) process until the parent puts ``stop`` on the queue."""
    from cbs_feed import CbsFeed

    tables, gebiedsindelingen = build_tables(buurten, years)
    rows = sum(len(table.rows) for table in tables.values())
    with CbsFeed(
        tables, page_size=10_000, boundaries={}, gebiedsindelingen=gebiedsindelingen
    ) as feed:
        queue.put((feed.url, rows))
        queue.get()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buurten", type=int, default=300)
    parser.add_argument("--years", type=int, default=10)
    args = parser.parse_args(argv)
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=serve, args=(args.buurten, args.years, queue), daemon=True)
    child.start()
    url, rows = queue.get(timeout=600)

    from rvs_analysis.sources import cbs

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        records = cbs.fetch(
            tables=["wijkbuurt_jaar", "wijkbuurt_maand", "kerncijfers_wijkbuurt",
                    "wijkbuurt_grenzen"],
            cache=Path(folder) / "raw", catalog=url, timeout=3600, stall=600,
        )  # fmt: skip
        stored = {
            record["key"]: (record["status"], record.get("rows"), record.get("reason"))
            for record in records
        }
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put("stop")
    child.join(10)
    print(
        f"feed: {args.buurten} buurten, {len(OFFENCES)} offence codes, {args.years} years; {rows:,} rows served"
    )
    for key, (status, count, reason) in stored.items():
        print(f"  {key:24} {status:12} {count if count is not None else '':>9} {reason or ''}")
    print(
        f"fetch: {seconds:.1f} s; peak resident memory {peak:.0f} MB (before the fetch {before:.0f} MB)"
    )
    print("goal: at most 1024 MB:", "met" if peak <= 1024 else "NOT met")
    return 0 if peak <= 1024 and all(s == "fetched" for s, _, _ in stored.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
