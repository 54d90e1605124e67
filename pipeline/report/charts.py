"""The report's charts, drawn with matplotlib and returned as inline SVG text.

Each function takes plain numbers and returns one `<svg ...>` element (no XML prolog, no
external references), so the HTML stays a single self-contained file. Text stays text
(svg.fonttype none): smaller files, and the browser's fonts render the accents.
"""
from __future__ import annotations

import html
import io
import math
import re
from collections.abc import Callable

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")  # no display; must precede any pyplot import elsewhere
import numpy as np  # noqa: E402
from matplotlib.colors import LinearSegmentedColormap  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

Tr = Callable[[str], str]  # a gettext function: the report's language (pipeline.i18n)


def _same(s: str) -> str:
    return s

CLEAN, FLAGGED, REVIEWED, FAILED, INK = "#4c9f70", "#e4572e", "#f3a712", "#8e3b46", "#29335c"
STAGE_COLOURS = ["#29335c", "#4c9f70", "#f3a712", "#e4572e", "#669bbc", "#8e3b46", "#a8c686"]
_RC = {"svg.fonttype": "none", "font.size": 9, "axes.spines.top": False,
       "axes.spines.right": False, "axes.titlesize": 10, "axes.titleweight": "bold"}
_PROLOG = re.compile(r"^.*?(?=<svg)", re.S)


def _svg(fig: Figure, name: str, label: str | None = None) -> str:
    """The figure as one <svg>: `name` is its stable id (data-chart, for tests and links),
    `label` its accessible name in the report's language."""
    for i, ax in enumerate(fig.axes):
        ax.patch.set_gid(f"plotarea_{i}")  # the drawing areas a legend must stay out of
    buf = io.StringIO()
    with matplotlib.rc_context({**_RC, "svg.hashsalt": name}):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = _PROLOG.sub("", buf.getvalue(), count=1)
    label = html.escape(label or name, quote=True)
    # Give the chart an accessible name and let CSS size it.
    return text.replace("<svg ", f'<svg role="img" aria-label="{label}" data-chart="{name}" class="chart" ', 1)


def _legend_below(fig: Figure, ncols: int) -> None:
    """The legend under the axes, outside every drawing area: a legend inside the axes
    ("best", "lower right") sits on bars or curves as soon as the data fill the corner."""
    fig.legend(loc="outside lower center", frameon=False, fontsize=8, ncols=max(1, ncols))


def _gid_bars(bars, prefix: str) -> None:
    for i, b in enumerate(bars):
        b.set_gid(f"{prefix}_{i}")


def _fig(w: float, h: float) -> Figure:
    with matplotlib.rc_context(_RC):
        return Figure(figsize=(w, h), layout="constrained")


def volumes_chart(names: list[str], clean: list[int], reviewed: list[int], unreviewed: list[int],
                  _: Tr = _same) -> str:
    """Records per volume: clean, flagged-and-reviewed, flagged-and-waiting (stacked bars)."""
    with matplotlib.rc_context(_RC):
        fig = _fig(7.5, max(1.9, 0.32 * len(names) + 1.2))
        ax = fig.subplots()
        y = np.arange(len(names))
        left = np.zeros(len(names))
        for k, (vals, colour, label) in enumerate((
                (clean, CLEAN, _("clean")), (reviewed, REVIEWED, _("flagged, reviewed")),
                (unreviewed, FLAGGED, _("flagged, waiting for review")))):
            _gid_bars(ax.barh(y, vals, left=left, color=colour, label=label, height=0.7), f"bar_{k}")
            left += np.asarray(vals, dtype=float)
        ax.set_yticks(y, names)
        ax.invert_yaxis()
        ax.set_xlabel(_("records"))
        _legend_below(fig, 3)
        ax.set_title(_("Records per volume"))
    return _svg(fig, "records per volume", _("Records per volume"))


def page_heatmap(rows: list[str], rates: np.ndarray, failed: list[tuple[int, int]] = (),
                 _: Tr = _same) -> str:
    """Flagged rate per page: one row per volume, one cell per page (grey: no records;
    a cross: the page failed). `failed` holds (row index, page number) cells."""
    with matplotlib.rc_context(_RC):
        n_pages = rates.shape[1]
        fig = _fig(min(11, max(5.5, 0.12 * n_pages + 2.5)), max(1.4, 0.3 * len(rows) + 1.0))
        ax = fig.subplots()
        cmap = LinearSegmentedColormap.from_list(
            "flags", ["#f7f7f2", REVIEWED, FLAGGED, "#7a1e0e"]).with_extremes(bad="#d9d9d9")
        im = ax.imshow(np.ma.masked_invalid(rates), aspect="auto", cmap=cmap, vmin=0, vmax=1,
                       interpolation="nearest", extent=(0.5, n_pages + 0.5, len(rows) - 0.5, -0.5))
        if failed:
            ax.scatter([p for _r, p in failed], [r for r, _p in failed], marker="X", s=60,
                       color=FAILED, zorder=3)
        ax.set_yticks(range(len(rows)), rows)
        ax.set_xlabel(_("page (position in the volume)"))
        ax.xaxis.get_major_locator().set_params(integer=True)
        bar = fig.colorbar(im, ax=ax, fraction=0.04, pad=0.01)
        bar.set_label(_("share of entries flagged"))
        bar.ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
        ax.set_title(_("Flagged entries per page"))
    return _svg(fig, "flagged rate per page", _("Flagged entries per page"))


def field_chart(groups: dict[str, list[tuple[str, float, int]]], _: Tr = _same) -> str:
    """Flagged rate per field, one panel per register type: (field, rate, flagged count).
    Field names stay as the record columns call them (what the loaders and flags use)."""
    with matplotlib.rc_context(_RC):
        n = max(len(v) for v in groups.values())
        fig = _fig(3.4 * len(groups), 0.26 * n + 1.0)
        axes = np.atleast_1d(fig.subplots(1, len(groups), squeeze=False)[0])
        for k, (ax, (rtype, items)) in enumerate(zip(axes, groups.items())):
            items = sorted(items, key=lambda x: x[1])
            y = np.arange(len(items))
            rates = [r for _f, r, _c in items]
            _gid_bars(ax.barh(y, rates, color=[FLAGGED if r >= 0.1 else REVIEWED if r > 0 else CLEAN
                                              for r in rates]), f"bar_{k}")
            ax.set_yticks(y, [f for f, _r, _c in items])
            for yi, (_f, r, c) in zip(y, items):
                if c:
                    ax.text(r, yi, f" {c}", va="center", fontsize=7)
            ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
            ax.set_xlim(0, max(0.05, max(rates) * 1.25))
            ax.set_title(_(rtype))
        fig.suptitle(_("Flagged rate per field"), fontweight="bold", fontsize=10)
    return _svg(fig, "flagged rate per field", _("Flagged rate per field"))


def confidence_chart(hists: dict[str, list[int]], bins: np.ndarray, threshold: float,
                     spreads: dict[str, list[tuple[str, tuple[float, ...]]]], _: Tr = _same) -> str:
    """Confidence distributions: the histogram of all field confidences per register type
    (left), and per field the spread p5-p25-median-p75-p95 (right), with the threshold below
    which a field is flagged."""
    with matplotlib.rc_context(_RC):
        n_fields = sum(len(v) for v in spreads.values())
        fig = _fig(10, max(3.3, 0.2 * n_fields + 1.5))
        ax, bx = fig.subplots(1, 2, width_ratios=[1, 1.3])
        for (rtype, counts), colour in zip(hists.items(), STAGE_COLOURS):
            total = max(1, sum(counts))
            ax.stairs(np.asarray(counts) / total, bins, color=colour, label=_(rtype), lw=1.6)
        ax.axvline(threshold, color=FLAGGED, ls="--", lw=1, label=_("flagged below this confidence"))
        ax.set_xlabel(_("recognition confidence"))
        ax.set_ylabel(_("share of field values"))
        _legend_below(fig, len(hists) + 1)
        ax.set_title(_("All fields"))
        stats, labels = [], []
        for rtype, items in spreads.items():
            for fname, q in items:
                stats.append({"whislo": q[0], "q1": q[1], "med": q[2], "q3": q[3], "whishi": q[4],
                              "fliers": [], "label": f"{rtype[0]}·{fname}"})
                labels.append(f"{_(rtype)}: {fname}")
        if stats:
            bx.bxp(stats, orientation="horizontal", showfliers=False, widths=0.6,
                   boxprops={"color": INK}, medianprops={"color": FLAGGED})
            bx.set_yticks(range(1, len(labels) + 1), labels, fontsize=7)
            bx.invert_yaxis()
        bx.axvline(threshold, color=FLAGGED, ls="--", lw=1)
        bx.set_xlim(0, 1.01)
        bx.set_xlabel(_("confidence (box: quartiles, whiskers: 5th-95th percentile)"))
        bx.set_title(_("Per field"))
    return _svg(fig, "confidence distributions", _("Recognition confidence"))


def calibration_chart(cal: dict, _: Tr = _same) -> str:
    """`hotich eval`'s calibration of F_perr: per bin, predicted against observed error with
    its 95% interval (left; on the diagonal when calibrated), and the risk-coverage curve:
    share of fields flagged against share wrong and unflagged (right)."""
    with matplotlib.rc_context(_RC):
        fig = _fig(10, 3.6)
        ax, bx = fig.subplots(1, 2)
        bins = cal["bins"]
        pred = np.array([b["predicted"] for b in bins])
        obs = np.array([b["observed"] for b in bins])
        lo = obs - np.array([b["ci"][0] for b in bins])
        hi = np.array([b["ci"][1] for b in bins]) - obs
        ax.plot([0, 1], [0, 1], color="#999999", lw=1, ls=":")
        ax.errorbar(pred, obs, yerr=[lo, hi], fmt="o", color=INK, ms=4, capsize=3,
                    label=_("observed error (95% interval)"))
        ax.set_xscale("symlog", linthresh=0.01)
        ax.set_yscale("symlog", linthresh=0.01)
        ax.set_xlabel(_("predicted probability of error"))
        ax.set_ylabel(_("observed share wrong"))
        ax.set_title(_("Reliability (ECE %(ece)s points)") % {"ece": f"{100 * cal['ece']:.2f}"})
        curve = cal["risk_coverage"]
        bx.plot([100 * c["flagged"] for c in curve], [100 * c["silent"] for c in curve], color=INK, lw=1.6)
        op = cal["operating_point"]
        bx.plot([100 * op["flagged"]], [100 * op["silent"]], "o", color=FLAGGED, label=_("flags as set"))
        bx.set_xlabel(_("fields flagged (%)"))
        bx.set_ylabel(_("wrong and not flagged (%)"))
        bx.set_title(_("Risk and coverage"))
        _legend_below(fig, 2)
    return _svg(fig, "calibration", _("Calibration of error probabilities"))


def slowest_chart(labels: list[str], stages: list[dict], _: Tr = _same) -> str:
    """The slowest pages, each bar split by stage (stage names as the run manifests write them)."""
    names = sorted({s for st in stages for s in st}, key=lambda s: -sum(st.get(s, 0) for st in stages))
    with matplotlib.rc_context(_RC):
        fig = _fig(7.5, 0.28 * len(labels) + 1.4)
        ax = fig.subplots()
        y = np.arange(len(labels))
        left = np.zeros(len(labels))
        for k, (name, colour) in enumerate(zip(names, STAGE_COLOURS * 3)):
            vals = np.array([st.get(name, 0.0) for st in stages])
            _gid_bars(ax.barh(y, vals, left=left, color=colour, label=name, height=0.7), f"bar_{k}")
            left += vals
        ax.set_yticks(y, labels)
        ax.invert_yaxis()
        ax.set_xlabel(_("seconds"))
        _legend_below(fig, min(6, len(names)))
        ax.set_title(_("Slowest pages"))
    return _svg(fig, "slowest pages", _("Slowest pages"))


def bar_chart(labels: list[str], values: list[float], name: str, title: str, xlabel: str,
              colour: str = INK) -> str:
    """A plain horizontal bar chart (failure reasons, cluster sizes...); `name` is its id,
    `title` and `xlabel` are already in the report's language."""
    with matplotlib.rc_context(_RC):
        fig = _fig(6.5, 0.3 * len(labels) + 1.0)
        ax = fig.subplots()
        y = np.arange(len(labels))
        _gid_bars(ax.barh(y, values, color=colour, height=0.65), "bar_0")
        ax.set_yticks(y, labels)
        ax.invert_yaxis()
        ax.set_xlabel(xlabel)
        ax.set_title(title)
        ax.xaxis.get_major_locator().set_params(integer=True)
    return _svg(fig, name, title)


def histogram(values: list[float], name: str, title: str, xlabel: str, ylabel: str,
              lo: float = 0.0, hi: float = 1.0) -> str:
    """A histogram of values in lo..hi (dedup pair scores)."""
    with matplotlib.rc_context(_RC):
        fig = _fig(5.5, 2.4)
        ax = fig.subplots()
        ax.hist(values, bins=20, range=(lo, hi), color=INK)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.yaxis.get_major_locator().set_params(integer=True)
    return _svg(fig, name, title)


def review_chart(by_status: dict[str, int], per_day: dict[str, int], _: Tr = _same) -> str:
    """Review progress: flagged records by status (donut, its key below it) and review
    actions per day."""
    with matplotlib.rc_context(_RC):
        fig = _fig(8, 3.0)
        ax, bx = fig.subplots(1, 2, width_ratios=[1, 1.6])
        order = [("accepted", CLEAN), ("corrected", "#669bbc"), ("unreviewed", FLAGGED)]
        vals = [(k, by_status.get(k, 0), c) for k, c in order] + \
               [(k, v, "#999999") for k, v in by_status.items() if k not in dict(order)]
        vals = [v for v in vals if v[1] > 0]
        total = sum(v[1] for v in vals)
        if total:
            # The key goes under the donut: labels beside thin wedges run into each other.
            wedges, _t = ax.pie([v[1] for v in vals], colors=[v[2] for v in vals], startangle=90,
                                counterclock=False, wedgeprops={"width": 0.38, "edgecolor": "white"})
            ax.legend(wedges, [f"{_(k)} {n}" for k, n, _c in vals], loc="upper center",
                      bbox_to_anchor=(0.5, 0.0), frameon=False, fontsize=8, ncols=min(3, len(vals)))
            done = total - by_status.get("unreviewed", 0)
            ax.text(0, 0, f"{done / total:.0%}\n{_('reviewed')}", ha="center", va="center",
                    fontsize=10, fontweight="bold")
        else:
            ax.text(0.5, 0.5, _("nothing flagged"), ha="center", va="center")
            ax.axis("off")
        ax.set_title(_("Flagged records"))
        if per_day:
            days = list(per_day)
            _gid_bars(bx.bar(range(len(days)), list(per_day.values()), color="#669bbc"), "bar_1")
            step = max(1, math.ceil(len(days) / 10))
            bx.set_xticks(range(0, len(days), step), days[::step], rotation=30, ha="right", fontsize=7)
            bx.set_ylabel(_("review actions"))
            bx.yaxis.get_major_locator().set_params(integer=True)
            bx.set_title(_("Review work per day"))
        else:
            bx.text(0.5, 0.5, _("no review database yet"), ha="center", va="center", color="#666")
            bx.axis("off")
    return _svg(fig, "review progress", _("Review progress"))
