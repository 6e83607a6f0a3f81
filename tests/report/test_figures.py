"""Tests for rvs_analysis.report.figures: house style, source lines, maps and the shared chart types."""

from __future__ import annotations

import json

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection, PolyCollection

matplotlib.use("Agg")

from rvs_analysis.regions import municipalities  # noqa: E402
from rvs_analysis.report import figures, pixels  # noqa: E402
from rvs_analysis.report.figures import drawing, style  # noqa: E402


def texts(fig) -> list[str]:
    found = [text.get_text() for text in fig.texts]
    for ax in fig.axes:
        found += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        found += [text.get_text() for text in ax.texts]
        found += [label.get_text() for label in ax.get_yticklabels()]
    return found


def source_text(fig) -> str:
    return " ".join(text.get_text() for text in fig.texts)


def test_palette_is_okabe_ito_and_style_applies():
    figures.apply_house_style()
    assert figures.PALETTE[0] == "#0072B2" and len(set(figures.PALETTE)) == 8
    assert matplotlib.rcParams["axes.spines.top"] is False


def test_dutch_tick_formatter():
    formatter = figures.dutch_formatter(1, "%")
    assert formatter(7.5, 0) == "7,5%"
    assert figures.dutch_formatter(0)(12564, 0) == "12.564"


def test_time_series_with_band_target_and_source_line():
    frame = pd.DataFrame(
        {
            "year": [2014, 2015, 2016] * 2,
            "group": ["zichtbaar"] * 3 + ["minder zichtbaar"] * 3,
            "value": [10.0, 9.0, 8.0, 3.0, 3.5, 4.0],
        }
    )
    frame["low"] = frame["value"] - 1
    frame["high"] = frame["value"] + 1
    targets = pd.DataFrame({"year": [2016], "target": [7.0]})
    fig = figures.time_series(
        frame,
        "year",
        "value",
        "CBS 47018NED",
        low="low",
        high="high",
        hue="group",
        targets=targets,
        title="Titel",
        ylabel="Per 1.000 inwoners",
    )
    ax = fig.axes[0]
    assert len(ax.lines) == 2 and len(ax.collections) >= 3  # 2 bands + target markers
    assert "Bron: CBS 47018NED" in source_text(fig)
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert "Doel" in legend and "zichtbaar" in legend


def test_funnel_plot_labels_only_outliers_and_area_members():
    limits = pd.DataFrame({"n": [10, 100, 1000]})
    limits["lower_95"], limits["upper_95"] = [0, 4, 7], [30, 16, 13]
    limits["lower_99.8"], limits["upper_99.8"] = [0, 2, 6], [40, 19, 14]
    points = pd.DataFrame(
        {"naam": ["A", "B", "Uitschieter"], "n": [50, 500, 800], "pct": [10.0, 10.0, 30.0]}
    )
    fig = figures.funnel_plot(points, "n", "pct", "naam", limits, 10.0, "Politie", highlight=["A"])
    labels = [text.get_text() for text in fig.axes[0].texts]
    assert sorted(labels) == ["A", "Uitschieter"]
    assert "Bron: Politie" in source_text(fig)


def test_forest_plot_greys_non_significant():
    frame = pd.DataFrame(
        {"naam": ["sig", "niet"], "or": [1.5, 1.1], "lo": [1.2, 0.9], "hi": [1.9, 1.3]}
    )
    fig = figures.forest_plot(frame, "naam", "or", "lo", "hi", "Demo")
    colours = [line.get_color() for line in fig.axes[0].lines[:4]]
    assert colours[0] == figures.PALETTE[0] and colours[2] == "#8c8c8c"
    assert "sig" in texts(fig)


def test_event_study_and_bar_chart_and_stl():
    frame = pd.DataFrame({"year": [2013, 2015, 2017], "b": [0.1, 0.0, -3.0]})
    frame["lo"], frame["hi"] = frame["b"] - 1, frame["b"] + 1
    fig = figures.event_study_plot(frame, "year", "b", "lo", "hi", "Demo", start=2017)
    assert "Bron: Demo" in source_text(fig)
    bars = pd.DataFrame({"district": ["Flevoland", "Stad Utrecht"], "v": [8.0, 9.0]})
    bars["lo"], bars["hi"] = bars["v"] - 1, bars["v"] + 1
    fig = figures.bar_chart(bars, "district", "v", "Demo", "lo", "hi", reference=9.5)
    assert "Flevoland" in texts(fig)
    index = pd.date_range("2014-01-01", periods=36, freq="MS")
    seasonal = 1 + 0.2 * np.sin(np.arange(36) * 2 * np.pi / 12)
    decomposition = pd.DataFrame(
        {
            "observed": 100 * seasonal,
            "trend": np.full(36, 100.0),
            "seasonal": seasonal,
            "resid": np.ones(36),
            "seasonally_adjusted": np.full(36, 100.0),
        },
        index=index,
    )
    fig = figures.stl_plot(decomposition, "Demo", change_dates=[index[18]])
    assert len(fig.axes) == 2 and "Bron: Demo" in source_text(fig)


def test_tile_grid_places_all_39_municipalities_once():
    grid = figures.tile_grid(2017)
    assert len(grid) == 39 == grid["gemeente_code"].nunique()
    assert not grid.duplicated(["row", "col"]).any()


def _tile_count(ax) -> int:
    """Tiles of a tile map: hatched ones are patches of their own, the others one collection."""
    plain = [c for c in ax.collections if isinstance(c, PolyCollection)]
    hatched = [patch for patch in ax.patches if patch.get_width() > 0.9]
    return sum(len(collection.get_paths()) for collection in plain) + len(hatched)


def test_tile_map_colours_every_tile_and_outlines_area():
    codes = municipalities(2017)["gemeente_code"]
    values = pd.Series(np.linspace(1, 5, len(codes)), index=codes.to_numpy())
    values.iloc[0] = np.nan
    fig = figures.tile_map(values, "Demo", "Per 1.000 inwoners", highlight=[codes.iloc[1]])
    patches = fig.axes[0].patches
    hatched = [patch for patch in patches if patch.get_width() > 0.9]
    frames = [patch for patch in patches if not patch.get_fill()]
    assert _tile_count(fig.axes[0]) == 39 and len(frames) == 1
    assert [patch.get_hatch() for patch in hatched] == ["..."]  # the missing value
    assert "Tegelkaart" in source_text(fig) and "districtsgrenzen" in source_text(fig)
    # Full names on the tiles (no cryptic abbreviations), wrapped onto short lines.
    shown = {text.get_text().replace("\n", " ") for text in fig.axes[0].texts}
    assert "Utrechtse Heuvelrug" in shown and "Gooise Meren" in shown
    # District borders: thick dark segments, at least one around each of the five districts.
    (borders,) = [
        lines
        for lines in fig.axes[0].collections
        if isinstance(lines, LineCollection) and lines.get_linewidth()[0] > 1.5
    ]
    assert len(borders.get_segments()) >= 20


def test_tile_map_hatches_apportioned_municipalities_and_says_so():
    codes = municipalities(2017)["gemeente_code"]
    values = pd.Series(np.linspace(1, 5, len(codes)), index=codes.to_numpy())
    assert figures.apportioned_codes(2017, 2024) == ["GM0457", "GM0620"]  # Weesp, Vianen
    assert figures.apportioned_codes(2017, 2017) == []
    fig = figures.tile_map(values, "Demo", "Label", apportioned=["GM0620"])
    hatched = [patch for patch in fig.axes[0].patches if patch.get_hatch() == "////"]
    assert len(hatched) == 1 and "naar rato" in source_text(fig)
    assert figures.alt_text(fig).startswith("Tegelkaart: Label. 39 gemeenten; hoogste ")


def test_choropleth_draws_polygons_and_names_missing_ones():
    square = [[[5.0, 52.0], [5.1, 52.0], [5.1, 52.1], [5.0, 52.1], [5.0, 52.0]]]
    boundaries = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"statcode": "GM0344", "statnaam": "Utrecht"},
                "geometry": {"type": "Polygon", "coordinates": square},
            },
            {
                "type": "Feature",
                "properties": {"statcode": "GM0307", "statnaam": "Amersfoort"},
                "geometry": {"type": "MultiPolygon", "coordinates": [square, square]},
            },
        ],
    }
    values = pd.Series({"GM0344": 3.0, "GM0307": 4.0, "GM0620": 2.0})
    fig = figures.choropleth(boundaries, values, "CBS", "Label", names={"GM0620": "Vianen"})
    collections = [c for c in fig.axes[0].collections if isinstance(c, PolyCollection)]
    assert len(collections) == 1 and len(collections[0].get_paths()) == 3
    assert "Vianen" in source_text(fig)


def test_area_map_uses_real_boundaries(shared_cbs_dir):
    boundaries = json.loads((shared_cbs_dir / "gemeenten_2024.geojson").read_text())

    class WithBoundaries:
        pass

    dataset = WithBoundaries()
    dataset.boundaries = boundaries
    dataset.crime_boundary_year = 2024
    codes = municipalities(2017)["gemeente_code"]
    values = pd.Series(np.arange(len(codes), dtype=float), index=codes.to_numpy())
    fig = figures.area_map(dataset, values, "CBS", "Label")
    collections = [c for c in fig.axes[0].collections if isinstance(c, PolyCollection)]
    assert len(collections[0].get_paths()) >= 38  # Vianen on Vijfheerenlanden's polygon
    assert any(c.get_hatch() == "////" for c in collections)  # apportioned: hatched
    note = source_text(fig)
    assert "Weesp" in note and "Vianen (naar rato)" in note and "districtsgrenzen" in note
    numbers = {text.get_text() for text in fig.axes[0].texts}
    assert {"1", "38"} <= numbers  # every drawn municipality numbered, key in the note
    assert len([line for line in fig.axes[0].lines if line.get_linewidth() > 1.5]) > 50
    # Vianen and Weesp have no own 2024 boundary; the map says so.
    assert "Vianen" in source_text(fig) and "Weesp" in source_text(fig)


def test_area_map_falls_back_to_the_tile_map_without_boundaries():
    class WithoutBoundaries:
        boundaries = None

    codes = municipalities(2017)["gemeente_code"]
    values = pd.Series(2.0, index=codes.to_numpy())
    fig = figures.area_map(WithoutBoundaries(), values, "Demo", "Label", highlight=[codes.iloc[0]])
    assert _tile_count(fig.axes[0]) == 39
    outlined = [patch for patch in fig.axes[0].patches if patch.get_linewidth() > 2]
    assert len(outlined) == 1


def test_funnel_plot_axis_labels_are_the_callers_not_clearance():
    limits = pd.DataFrame({"n": [10, 100, 1000]})
    limits["lower_95"], limits["upper_95"] = [0.5, 0.8, 0.9], [2.0, 1.3, 1.1]
    limits["lower_99.8"], limits["upper_99.8"] = [0.3, 0.7, 0.85], [3.0, 1.5, 1.2]
    points = pd.DataFrame({"naam": ["A", "B"], "n": [50, 500], "ratio": [1.0, 1.1]})
    fig = figures.funnel_plot(points, "n", "ratio", "naam", limits, 1.0, "CBS")
    fig.canvas.draw()
    ax = fig.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("n", "ratio")
    assert "%" not in " ".join(label.get_text() for label in ax.get_yticklabels())
    fig = figures.funnel_plot(
        points, "n", "ratio", "naam", limits, 1.0, "CBS", ylabel="Verhouding", unit="%"
    )
    assert fig.axes[0].get_ylabel() == "Verhouding"


def test_tick_labels_state_their_value():
    formatter = figures.dutch_formatter(0, "%")
    assert [formatter(value, 0) for value in (2.5, 7.5, 10.0, 12.5)] == [
        "2,5%",
        "7,5%",
        "10%",
        "12,5%",
    ]


def test_bars_carry_value_labels_and_the_legend_sits_outside_the_data():
    frame = pd.DataFrame({"name": ["A", "B", "C"], "value": [0.4, 55.0, 98.0]})
    fig = figures.bar_chart(
        frame, "name", "value", "Demo", reference=50, reference_label="Grens", decimals=0, unit="%"
    )
    ax = fig.axes[0]
    labels = [text.get_text() for text in ax.texts]
    assert labels == ["0%", "55%", "98%"]  # even a bar under 1% states its value
    legend = ax.get_legend()
    fig.canvas.draw()
    box = legend.get_window_extent()
    assert box.y1 <= ax.get_window_extent().y0  # below the plotting area
    assert figures.alt_text(fig) == "Staafdiagram: value. A 0%; B 55%; C 98%. Grens: 50%."


def test_bar_chart_without_any_value_still_draws():
    # The monitor's chance chart of an area whose targets all lack a probability is empty.
    empty = pd.DataFrame({"name": pd.Series([], dtype=str), "value": pd.Series([], dtype=float)})
    fig = figures.bar_chart(empty, "name", "value", "Demo", reference=90, decimals=0, unit="%")
    assert len(fig.axes[0].texts) == 0 and figures.alt_text(fig).startswith("Staafdiagram")
    missing = pd.DataFrame({"name": ["A"], "value": [float("nan")]})
    fig = figures.bar_chart(missing, "name", "value", "Demo", reference=90, decimals=0, unit="%")
    assert len(fig.axes[0].texts) == 0


def test_every_figure_carries_an_alt_text_into_png_and_notebook_metadata():
    frame = pd.DataFrame({"year": [2011, 2012, 2013], "n": [120.0, 100.0, 90.0]})
    fig = figures.time_series(frame, "year", "n", "Demo", title="Inbraken, Utrecht 2011–2013")
    alt = figures.alt_text(fig)
    assert alt == (
        "Lijngrafiek: Inbraken, Utrecht 2011–2013. n: van 120 in 2011 naar 90 in 2013 "
        "(hoogste 120 in 2011, laagste 90 in 2013)."
    )
    data, metadata = drawing._png_with_alt(fig)
    assert metadata["alt"] == alt and data[:8] == b"\x89PNG\r\n\x1a\n"
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(data))
    assert image.info["Description"] == alt
    assert (metadata["width"], metadata["height"]) == image.size
    assert image.size[0] <= 8.5 * figures.FIGURE_DPI  # a sensible resolution
    assert len(data) < 60_000


def test_target_chart_shows_path_forecast_bands_and_provisional_years():
    observed = pd.DataFrame(
        {
            "year": [2011, 2012, 2013, 2014],
            "value": [1000.0, 900.0, 850.0, 800.0],
            "provisional": [False, False, False, True],
        }
    )
    path = pd.DataFrame(
        {
            "year": [2011, 2016, 2018],
            "value": [1000.0, 880.0, 800.0],
            "kind": ["baseline", "target", "target"],
        }
    )
    forecast = pd.DataFrame(
        {
            "year": [2014, 2015, 2016],
            "mean": [800.0, 760.0, 720.0],
            "low_80": [800.0, 700.0, 650.0],
            "high_80": [800.0, 820.0, 800.0],
            "low_95": [800.0, 660.0, 600.0],
            "high_95": [800.0, 860.0, 850.0],
        }
    )
    fig = figures.target_chart(
        observed, "Demo", target_path=path, forecast=forecast, title="Inbraken, Utrecht, 2011–2014"
    )
    ax = fig.axes[0]
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    for label in (
        "Geregistreerd",
        "Voorlopig cijfer",
        "Prognose, 95%-interval",
        "Prognose, 80%-interval",
        "Doelpad vanaf de nulmeting",
        "Doel",
    ):
        assert label in legend
    open_markers = [c for c in ax.collections if c.get_label() == "Voorlopig cijfer"][0]
    assert tuple(open_markers.get_facecolor()[0][:3]) == (1.0, 1.0, 1.0)
    dashed = [line for line in ax.lines if line.get_linestyle() == "--"][0]
    assert list(dashed.get_xdata()) == [2011, 2016, 2018]  # through the baseline and each target
    assert "prognose 2016 720 (95%-interval 600 tot 850)" in figures.alt_text(fig)


def _plain_png_pixels(fig) -> np.ndarray:
    """The figure drawn in full by a fresh Agg canvas, as png_bytes would without any reuse."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig.set_dpi(figures.FIGURE_DPI)
    fig.set_facecolor("white")
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()


def test_a_tile_map_drawn_over_a_kept_canvas_equals_the_whole_map_drawn(monkeypatch):
    monkeypatch.setattr(drawing, "_BASES", type(drawing._BASES)())
    monkeypatch.setattr(drawing, "_DRAWN", type(drawing._DRAWN)())
    codes = municipalities(2017)["gemeente_code"]
    values = pd.Series(np.linspace(1, 5, len(codes)), index=codes.to_numpy())
    first = figures.tile_map(values, "Demo", "Per 1.000 inwoners", highlight=[codes.iloc[3]])
    figures.png_bytes(first)  # draws and keeps the canvas without the frame
    assert len(drawing._BASES) == 1
    second = figures.tile_map(values, "Demo", "Per 1.000 inwoners", highlight=[codes.iloc[20]])
    reused = drawing._draw_pixels(second, figures.FIGURE_DPI, second._rvs_base_key)
    assert len(drawing._BASES) == 1
    whole = _plain_png_pixels(
        figures.tile_map(values, "Demo", "Per 1.000 inwoners", highlight=[codes.iloc[20]])
    )
    assert reused.shape == whole.shape
    assert np.array_equal(reused, whole)
    # and the frame is really there: the kept canvas alone differs from it
    canvas = drawing._BASES[next(iter(drawing._BASES))][0][..., :3]
    assert not np.array_equal(canvas, whole)
    # other values or no highlight (the note changes) are another canvas
    figures.png_bytes(figures.tile_map(values * 2, "Demo", "Per 1.000 inwoners", highlight=[]))
    assert len(drawing._BASES) == 2


def test_equal_figure_calls_are_drawn_once_and_a_changed_figure_anew(monkeypatch):
    monkeypatch.setattr(drawing, "_DRAWN", type(drawing._DRAWN)())
    frame = pd.DataFrame({"year": [2014, 2015, 2016], "value": [3.0, 4.0, 2.0]})
    first = figures.time_series(frame, "year", "value", "Demo", title="Eerste")
    data = figures.png_bytes(first)
    assert len(drawing._DRAWN) == 1
    calls = []
    original = drawing._draw_rgba
    monkeypatch.setattr(drawing, "_draw_rgba", lambda *args: calls.append(args) or original(*args))
    again = figures.time_series(frame.copy(), "year", "value", "Demo", title="Eerste")
    assert figures.png_bytes(again) == data and not calls  # same content: the kept image
    other = figures.time_series(frame.assign(value=[3.0, 4.0, 2.5]), "year", "value", "Demo")
    assert figures.png_bytes(other) != data and len(calls) == 1
    changed = figures.time_series(frame, "year", "value", "Demo", title="Eerste")
    changed.axes[0].set_title("Gewijzigd")  # changed after it was built: stale, drawn anew
    redrawn = figures.png_bytes(changed)
    assert len(calls) == 2 and redrawn != data


def test_a_map_over_a_kept_canvas_quantises_only_its_overlay_and_stays_close(monkeypatch):
    import io

    from PIL import Image

    from rvs_analysis.report import palette

    for cache in ("_BASES", "_DRAWN"):
        monkeypatch.setattr(drawing, cache, type(getattr(drawing, cache))())
    monkeypatch.setattr(palette, "_BASE_PALETTES", type(palette._BASE_PALETTES)())
    codes = list(municipalities(2017)["gemeente_code"])
    values = pd.Series(np.random.default_rng(3).gamma(2, 3, len(codes)), index=codes)
    quantised = []
    original = palette.quantised
    monkeypatch.setattr(
        palette, "quantised", lambda image, n: quantised.append(image.size) or original(image, n)
    )
    for code in codes[:4]:
        fig = figures.tile_map(values, "Demo", "Per 1.000", highlight=[code], title="Kaart")
        shown = Image.open(io.BytesIO(figures.png_bytes(fig)))
        assert shown.mode == "P" and len(shown.getpalette()) <= 3 * 256
        full = _plain_png_pixels(
            figures.tile_map(values, "Demo", "Per 1.000", highlight=[code], title="Kaart")
        )
        ink = pixels.ink(np.dstack([full, np.full(full.shape[:2], 255, np.uint8)]))
        top, bottom, left, right = pixels.inked_box(
            ink, round(matplotlib.rcParams["savefig.pad_inches"] * figures.FIGURE_DPI)
        )
        expected = full[top:bottom, left:right].astype(int)
        assert np.abs(np.asarray(shown.convert("RGB")).astype(int) - expected).max() <= 8
    # the kept canvas once (240 colours), then only the few overlay pixels of each map
    whole = quantised[0][0] * quantised[0][1]
    assert len(quantised) == 5 and all(w * h < whole / 50 for w, h in quantised[1:])


def test_a_funnel_drawn_over_a_kept_canvas_equals_the_whole_funnel_drawn(monkeypatch):
    monkeypatch.setattr(drawing, "_BASES", type(drawing._BASES)())
    monkeypatch.setattr(drawing, "_DRAWN", type(drawing._DRAWN)())
    limits = pd.DataFrame({"n": [10, 100, 1000]})
    limits["lower_95"], limits["upper_95"] = [0, 4, 7], [30, 16, 13]
    limits["lower_99.8"], limits["upper_99.8"] = [0, 2, 6], [40, 19, 14]
    points = pd.DataFrame(
        {
            "naam": ["A", "B", "C", "Uitschieter"],
            "n": [50, 500, 200, 800],
            "pct": [10.0, 10.0, 12.0, 30.0],
        }
    )

    def funnel(highlight):
        return figures.funnel_plot(
            points, "n", "pct", "naam", limits, 10.0, "Politie", highlight=highlight
        )

    figures.png_bytes(funnel(["A"]))
    for highlight in (["B"], ["Uitschieter"], ["B", "C"]):
        second = funnel(highlight)
        reused = drawing._draw_pixels(second, figures.FIGURE_DPI, second._rvs_base_key)
        assert np.array_equal(reused, _plain_png_pixels(funnel(highlight))), highlight
    assert len(drawing._BASES) == 1
    # the area's own names: an outlier keeps its one label, others get theirs
    labels = sorted(text.get_text() for text in funnel(["B", "Uitschieter"]).axes[0].texts)
    assert labels == ["B", "Uitschieter"]


def test_a_long_title_breaks_after_a_comma_and_the_image_keeps_the_figure_width():
    observed = pd.DataFrame({"year": range(2011, 2017), "value": [820, 790, 760, 700, 650, 640]})
    title = "Criminaliteit totaal (misdrijven), Gooi en Vechtstreek, 2011–2023, met doelen tot 2018"
    fig = figures.target_chart(observed, "Demo", title=title, ylabel="Misdrijven")
    shown = fig.axes[0].get_title("left")
    assert shown.replace("\n", " ") == title
    assert shown.split("\n")[0].endswith(",")  # broken after a clause, not inside one
    width, _ = drawing._png_size(figures.png_bytes(fig))
    # nothing drawn past the canvas (the white margin png_bytes keeps around the ink aside)
    pad = round(matplotlib.rcParams["savefig.pad_inches"] * figures.FIGURE_DPI)
    assert width <= fig.get_figwidth() * figures.FIGURE_DPI + 2 * pad
    short = figures.target_chart(observed, "Demo", title="Overvallen, Zeist", ylabel="Aantal")
    assert short.axes[0].get_title("left") == "Overvallen, Zeist"
    assert "\n" not in figures.alt_text(fig)


def test_house_layout_places_one_axes_as_constrained_layout_does_with_one_measurement(
    monkeypatch,
):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    monkeypatch.setattr(figures.HouseLayoutEngine, "_last_places", {})
    measured = []
    place = figures.HouseLayoutEngine.place
    monkeypatch.setattr(
        figures.HouseLayoutEngine,
        "place",
        lambda self, fig, ax: measured.append(ax) or place(self, fig, ax),
    )

    def chart(values, title):
        observed = pd.DataFrame({"year": range(2011, 2011 + len(values)), "value": values})
        goals = pd.DataFrame({"year": [2011, 2018], "value": [values[0], 0.8 * values[0]]})
        goals["kind"] = ["baseline", "target"]
        return figures.target_chart(observed, "Demo", goals, title=title, ylabel="Aantal")

    def placed(fig, engine):
        fig.set_layout_engine(engine)
        FigureCanvasAgg(fig).draw()
        return np.array(fig.axes[0].get_position().extents) * np.tile(fig.bbox.size, 2)

    rect = (0, style.SOURCE_SPACE, 1, 1 - style.SOURCE_SPACE - 0.005)
    for values, title in (
        ([820, 790, 760, 700], "Overvallen, Zeist"),
        ([12, 9, 14, 8], "Overvallen, Urk"),
    ):
        before = len(measured)
        house = placed(chart(values, title), figures.HouseLayoutEngine(rect=rect))
        constrained = placed(chart(values, title), ConstrainedLayoutEngine(rect=rect))
        np.testing.assert_allclose(house, constrained, atol=0.5)  # pixels
        passes = len(measured) - before
    assert passes == 1  # the second chart of the kind: measured once, where the first ended
    # a figure of several axes gets constrained layout itself
    fig, axes = figures.new_figure(ncols=2)
    assert figures.HouseLayoutEngine._single_axes(fig) is None


@pytest.mark.parametrize("year", [2017, 2024])
def test_tile_labels_are_legible_fit_their_tile_and_never_break_mid_word(year):
    """Issue 28 A8: names at least 9 px at the reports' 100 dpi, inside their tile, broken only
    between words or at a hyphenation point of data/regions/tile_grid.csv (not "Noordoostpo /
    lder"); the grid also places the composition after 2019 (Vijfheerenlanden, no Weesp)."""
    grid = figures.tile_grid(year)
    assert set(grid["gemeente_code"]) == set(municipalities(year)["gemeente_code"])
    assert not grid.duplicated(["row", "col"]).any()
    values = pd.Series(1.0, index=grid["gemeente_code"].to_numpy())
    fig = figures.tile_map(values, "Demo", "Label", year=year)
    fig.canvas.draw()
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    names = dict(zip(grid["gemeente_code"], grid["gemeente_name"], strict=True))
    tiles = {(int(r.col), -int(r.row)): names[r.gemeente_code] for r in grid.itertuples()}
    checked = 0
    for text in ax.texts:
        if text.get_position() not in tiles:
            continue
        name = tiles[text.get_position()]
        assert text.get_fontsize() * figures.FIGURE_DPI / 72 >= 9.0
        lines = text.get_text().split("\n")
        # every line ends at a word boundary or a hyphen of the data: joined they give the name
        assert "".join(line if line.endswith("-") else line + " " for line in lines).replace(
            "- ", "-"
        ).strip().replace("-", "") == name.replace("-", "")
        box = text.get_window_extent(renderer)
        x, y = text.get_position()
        (west, south), (east, north) = ax.transData.transform(
            [(x - 0.48, y - 0.48), (x + 0.48, y + 0.48)]
        )
        assert west <= box.x0 and box.x1 <= east and south <= box.y0 and box.y1 <= north, name
        checked += 1
    assert checked == len(grid)


def test_a_forest_plot_keeps_its_title_and_row_names_inside_the_image():
    """Issue 28 A8: the odds-ratio title was cut ("... opheldering (odds") and the longest row
    name touched the image's edge: the title wraps to the room right of the row names, and the
    PNG keeps a white margin on every side."""
    from io import BytesIO

    from PIL import Image

    frame = pd.DataFrame(
        {
            "naam": [
                "Burgernet (+1 deelnemer per 100 inwoners)",
                "Bevolkingsdichtheid (+1.000 inwoners per km²)",
                "District West-Utrecht (t.o.v. Flevoland)",
            ],
            "or": [1.1, 0.98, 0.8],
            "lo": [1.02, 0.9, 0.6],
            "hi": [1.2, 1.1, 1.05],
        }
    )
    title = "Verklarende factoren van opheldering (odds ratio's)"
    fig = figures.forest_plot(frame, "naam", "or", "lo", "hi", "Demo", title=title)
    pixels = np.asarray(Image.open(BytesIO(figures.png_bytes(fig))).convert("L"))
    ax = fig.axes[0]
    title_artist = next(
        artist for artist in (ax.title, ax._left_title, ax._right_title) if artist.get_text()
    )
    assert " ".join(title_artist.get_text().split()) == title
    fig.canvas.draw()
    box = title_artist.get_window_extent(fig.canvas.get_renderer())
    assert box.x1 <= fig.bbox.x1
    ink = pixels < 250
    margin = round(matplotlib.rcParams["savefig.pad_inches"] * figures.FIGURE_DPI) - 1
    assert not ink[:margin].any() and not ink[-margin:].any()
    assert not ink[:, :margin].any() and not ink[:, -margin:].any()


def test_a_funnel_point_at_zero_is_drawn_whole():
    """Issue 28 A8: municipalities with 0% were half cut off by an axis starting at exactly 0."""
    limits = pd.DataFrame({"n": [10, 100, 1000]})
    limits["lower_95"], limits["upper_95"] = [0, 4, 7], [30, 16, 13]
    limits["lower_99.8"], limits["upper_99.8"] = [0, 2, 6], [40, 19, 14]
    points = pd.DataFrame({"naam": ["A", "B"], "n": [12, 500], "pct": [0.0, 10.0]})
    fig = figures.funnel_plot(points, "n", "pct", "naam", limits, 10.0, "Politie")
    ax = fig.axes[0]
    fig.canvas.draw()
    (_, zero), (_, bottom) = ax.transData.transform([(12, 0.0), (12, ax.get_ylim()[0])])
    radius = np.sqrt(42) / 2 * fig.dpi / 72  # the marker's radius in pixels
    assert zero - bottom >= radius


def test_save_writes_print_resolution_by_default_and_takes_a_dpi(tmp_path):
    """Issue 28 A8: figures.save takes a dpi, 300 by default (print)."""
    frame = pd.DataFrame({"year": [2015, 2016, 2017], "value": [3.0, 2.5, 2.0]})
    fig = figures.time_series(frame, "year", "value", "Demo", title="Titel")
    printed = figures.save(fig, tmp_path / "print.png")
    screen = figures.save(fig, tmp_path / "screen.png", dpi=figures.FIGURE_DPI)
    wide_print = drawing._png_size(printed.read_bytes())[0]
    wide_screen = drawing._png_size(screen.read_bytes())[0]
    assert figures.PRINT_DPI == 300 and 2.7 < wide_print / wide_screen < 3.3
    with pytest.raises(ValueError, match="dpi"):
        figures.save(fig, tmp_path / "x.png", dpi=10)


def test_funnel_names_of_neighbouring_points_do_not_overlap_or_hide_points():
    """Zeewolde was printed under Dronten: names of points close together each find a free
    spot beside their point (issue 28 A8), outliers and the area's own names alike."""
    names = ["Dronten", "Zeewolde", "Urk", "Noordoostpolder", "Lelystad", "Almere"]
    points = pd.DataFrame(
        {
            "naam": [*names, "ander"],
            "n": [55, 35, 47, 98, 230, 650, 50],
            "pct": [5.5, 5.8, 10.6, 21.0, 11.6, 10.8, 6.0],
        }
    )
    sizes = np.geomspace(5, 3000, 60)
    limits = pd.DataFrame(
        {
            "denominator": sizes,
            "lower_95": 10 - 40 / np.sqrt(sizes),
            "upper_95": 10 + 40 / np.sqrt(sizes),
            "lower_99.8": 10 - 60 / np.sqrt(sizes),
            "upper_99.8": 10 + 60 / np.sqrt(sizes),
        }
    )
    fig = figures.funnel_plot(points, "n", "pct", "naam", limits, 10.0, "Politie", highlight=names)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    boxes = {text.get_text(): text.get_window_extent(renderer) for text in ax.texts}
    assert set(boxes) == set(names)
    listed = list(boxes.items())
    for position, (name, box) in enumerate(listed):
        for other, other_box in listed[position + 1 :]:
            assert not box.overlaps(other_box), f"{name} overlaps {other}"
    marker = ax.transData.transform(points[["n", "pct"]].to_numpy(dtype=float))
    for name, box in boxes.items():
        for x, y in marker:
            assert not box.contains(x, y), f"{name} hides a point"


def test_forest_plot_draws_an_estimate_without_interval_open_and_says_so():
    frame = pd.DataFrame(
        {"naam": ["met", "zonder"], "or": [1.5, 1.0], "lo": [1.2, np.nan], "hi": [1.9, np.nan]}
    )
    fig = figures.forest_plot(frame, "naam", "or", "lo", "hi", "Demo")
    open_points = [
        line for line in fig.axes[0].lines if line.get_markerfacecolor() in ("white", "w")
    ]
    assert len(open_points) == 1 and open_points[0].get_ydata()[0] == 1
    assert "open punt: geen interval te berekenen" in source_text(fig)
    assert "zonder 1,00 (– tot –)" in figures.alt_text(fig)


@pytest.mark.parametrize(
    "order",
    [
        ["Proeftuinen", "Overige gemeenten", "Midden-Nederland"],
        ["Overige gemeenten", "Midden-Nederland", "Proeftuinen"],
    ],
)
def test_a_group_keeps_its_colour_in_every_figure(order):
    """Proeftuinen were blue on published estimates and orange on microdata (issue 28 A8)."""
    frame = pd.DataFrame(
        [
            {"groep": name, "jaar": year, "pct": 10.0 + year % 3}
            for name in order
            for year in (2015, 2017, 2019)
        ]
    )
    fig = figures.time_series(frame, "jaar", "pct", "CBS", hue="groep")
    colours = {line.get_label(): line.get_color() for line in fig.axes[0].lines}
    assert colours["Proeftuinen"] == figures.GROUP_COLOURS["Proeftuinen"]
    assert colours["Overige gemeenten"] == figures.GROUP_COLOURS["Overige gemeenten"]
    assert colours["Midden-Nederland"] not in figures.GROUP_COLOURS.values()
    plain = figures.time_series(
        frame.replace({"Proeftuinen": "A"}).replace({"Overige gemeenten": "B"}),
        "jaar",
        "pct",
        "CBS",
        hue="groep",
    )
    assert [line.get_color() for line in plain.axes[0].lines][:1] == [figures.PALETTE[0]]
    events = pd.DataFrame(
        {
            "jaar": [2015, 2017, 2019],
            "d": [0.0, -2.0, -3.0],
            "lo": [-1.0, -3.0, -4.0],
            "hi": [1.0, -1.0, -2.0],
        }
    )
    study = figures.event_study_plot(events, "jaar", "d", "lo", "hi", "CBS", start=2017)
    drawn = {matplotlib.colors.to_hex(line.get_color()) for line in study.axes[0].lines}
    assert figures.GROUP_COLOURS["Proeftuinen"].lower() in drawn


@pytest.mark.parametrize("span", [(800, 2_500), (40, 9_000)])
def test_funnel_plot_builds_only_the_minor_ticks_it_shows(monkeypatch, span):
    """A log axis's unlabelled minor ticks draw nothing in the house style: the funnel leaves
    them out (fewer artists) and its image stays the same to the pixel, over less than a decade
    (minor ticks labelled) and over two (none labelled)."""
    from rvs_analysis.report.figures import charts  # noqa: PLC0415

    grid = np.geomspace(*span, 5)
    limits = pd.DataFrame({"n": grid, "lo": 30 - 60 / np.sqrt(grid), "hi": 30 + 60 / np.sqrt(grid)})
    sizes = np.geomspace(span[0] * 1.1, span[1] * 0.9, 6)
    points = pd.DataFrame({"naam": list("ABCDEF"), "n": sizes, "rate": [29, 31, 28, 33, 30, 27]})

    def drawn(keep_all: bool):
        if keep_all:
            monkeypatch.setattr(charts, "_only_labelled_minor_ticks", lambda axis: None)
        fig = figures.funnel_plot(
            points, "n", "rate", "naam", limits, 30.0, "Demo", limit_columns={"G": ("lo", "hi")}
        )
        drawing._DRAWN.clear()
        image = drawing.png_bytes(fig)
        ticks = [label.get_text() for label in fig.axes[0].xaxis.get_ticklabels(minor=True)]
        monkeypatch.undo()
        return image, ticks

    image_all, ticks_all = drawn(keep_all=True)
    image, ticks = drawn(keep_all=False)
    assert image == image_all
    assert len(ticks) < len(ticks_all)
    assert [text for text in ticks_all if text] == [text for text in ticks if text]
