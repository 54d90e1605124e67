"""`hotich report OUT`: one self-contained HTML file (inline CSS and SVG, images as data:
URIs, no script, no external URL), rendered from an autoescaped Jinja template."""
from __future__ import annotations

import json

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import jinja2
import numpy as np
from babel.numbers import format_decimal, format_percent
from markupsafe import Markup

from pipeline import i18n
from pipeline.export.common import volumes
from pipeline.report import charts
from pipeline.report.collect import CONF_BINS, ReportData, collect
from pipeline.report.thumbs import worst_pages
from schemas.atomic import atomic_path

TEMPLATES = Path(__file__).resolve().parent / "templates"
MAX_HEATMAP_ROWS = 40
MAX_BAR_VOLUMES = 30


@dataclass(frozen=True)
class Tile:
    label: str
    value: str
    note: str = ""
    tone: str = ""


class Numbers:
    """Counts and shares written the way the report's language writes them
    (vi: 12.345 and 3,4 %; en: 12,345 and 3.4%)."""

    def __init__(self, lang: str):
        self.lang = lang

    def n(self, x: int) -> str:
        return format_decimal(x, locale=self.lang)

    def pct(self, a: int, b: int) -> str:
        return format_percent(a / b, "#,##0.0%", locale=self.lang) if b else "–"


def _calibration(out: Path) -> dict | None:
    """The calibration `hotich eval` wrote to OUT/eval.json (None without one)."""
    try:
        return json.loads((Path(out) / "eval.json").read_text(encoding="utf-8")).get("calibration")
    except (OSError, ValueError, AttributeError):
        return None


def _low_confidence() -> float:
    try:
        from configs.loader import load_config

        return load_config().low_confidence
    except Exception:  # the report must not fail on a config problem; 0.8 is the default
        return 0.8


def _heatmap(data: ReportData, _: charts.Tr) -> tuple[str | None, int]:
    """The page heatmap, worst volumes first when there are too many to show."""
    rates = {v: p for v, p in data.page_rates.items() if p}
    if not rates:
        return None, 0
    order = sorted(rates, key=lambda v: -sum(f for _, f in rates[v].values()) / max(1, sum(r for r, _ in rates[v].values())))
    shown = sorted(order[:MAX_HEATMAP_ROWS])
    row_of = {v: i for i, v in enumerate(shown)}
    failed = sorted({(row_of[f.volume_id], int(f.page)) for f in data.failed
                     if f.volume_id in row_of and isinstance(f.page, int) and f.page > 0})
    n_pages = max([max(rates[v]) for v in shown] + [p for _, p in failed])
    grid = np.full((len(shown), n_pages), np.nan)
    for i, v in enumerate(shown):
        for page, (recs, fl) in rates[v].items():
            if recs:
                grid[i, page - 1] = fl / recs
    return charts.page_heatmap(shown, grid, failed, _), len(rates) - len(shown)


def build_context(data: ReportData, out: Path, version: str, lang: str = "en") -> dict:
    """Everything the template shows: tiles, chart SVGs, tables, thumbnails, in `lang`."""
    _ = i18n.gettext_for(lang)
    num = Numbers(lang)
    vols = data.volumes
    records = sum(v.records for v in vols)
    flagged = sum(v.flagged for v in vols)
    pages = sum(v.pages for v in vols)
    failed = len({(f.volume_id, f.page, f.source_file) for f in data.failed})
    waiting = data.review.by_status.get("unreviewed", 0)
    tiles = [Tile(_("volumes"), num.n(len(vols))),
             Tile(_("pages read"), num.n(pages),
                  _("%(n)s failed") % {"n": num.n(failed)} if failed else _("none failed"),
                  "bad" if failed else "good"),
             Tile(_("records"), num.n(records)),
             Tile(_("flagged"), num.pct(flagged, records), _("%(n)s records") % {"n": num.n(flagged)},
                  "warn" if flagged else "good"),
             Tile(_("waiting for review"), num.n(waiting),
                  _("%(share)s of flagged") % {"share": num.pct(waiting, flagged)} if flagged else "",
                  "warn" if waiting else "good")]
    if data.dedup:
        tiles.append(Tile(_("duplicate groups"), num.n(data.dedup.multi_clusters),
                          _("%(n)s records") % {"n": num.n(data.dedup.records_in_multi)}))
    ctx: dict = {"tiles": tiles, "data": data, "version": version, "lang": lang, "num": num,
                 "generated": dt.datetime.now().strftime("%Y-%m-%d %H:%M"), "out": str(out)}
    if vols:
        # Many books: chart those with most entries waiting for review (the table lists all).
        shown = sorted(vols, key=lambda v: (-(v.flagged - v.reviewed), v.volume_id))[:MAX_BAR_VOLUMES]
        shown = [v for v in vols if v in shown]
        ctx["volumes_hidden"] = len(vols) - len(shown)
        ctx["volumes_svg"] = Markup(charts.volumes_chart(
            [v.volume_id for v in shown], [v.records - v.flagged for v in shown],
            [v.reviewed for v in shown], [v.flagged - v.reviewed for v in shown], _))
        svg, hidden = _heatmap(data, _)
        ctx["heatmap_svg"] = Markup(svg) if svg else None
        ctx["heatmap_hidden"] = hidden
        groups: dict[str, list] = {}
        spreads: dict[str, list] = {}
        for f in data.fields:
            groups.setdefault(f.register_type, []).append((f.field, f.flagged / f.records if f.records else 0.0, f.flagged))
            if f.conf_quantiles:
                spreads.setdefault(f.register_type, []).append((f.field, f.conf_quantiles))
        ctx["fields_svg"] = Markup(charts.field_chart(groups, _)) if groups else None
        ctx["conf_svg"] = Markup(charts.confidence_chart(data.conf_hist, CONF_BINS, data.low_confidence,
                                                         spreads, _)) if data.conf_hist else None
        ctx["thumbs"] = worst_pages(out, volumes(out), data.page_rates)
    cal = _calibration(out)
    if cal:
        ctx["calibration_svg"] = Markup(charts.calibration_chart(cal, _))
    if data.slowest:
        ctx["slowest_svg"] = Markup(charts.slowest_chart(
            [f"{p.volume_id} · {_('page %(n)s') % {'n': p.page}}" for p in data.slowest],
            [p.stages or {"total": p.seconds} for p in data.slowest], _))
    if data.failed:
        reasons: dict[str, int] = {}
        for f in data.failed:
            key = f"{f.stage}: {f.reason[:60]}"
            reasons[key] = reasons.get(key, 0) + 1
        top = sorted(reasons.items(), key=lambda kv: -kv[1])[:12]
        ctx["failed_svg"] = Markup(charts.bar_chart([k for k, _n in top], [v for _k, v in top], "why pages failed",
                                                    _("Why pages failed"), _("pages"), charts.FAILED))
    if data.dedup:
        d = data.dedup
        ngettext = i18n.ngettext_for(lang)
        sizes = [(ngettext("%(n)s record", "%(n)s records", k) % {"n": num.n(k)}, v)
                 for k, v in d.cluster_sizes.items()]
        ctx["cluster_svg"] = Markup(charts.bar_chart([s for s, _v in sizes], [v for _s, v in sizes], "groups by size",
                                                     _("Groups by size"), _("groups")))
        ctx["scores_svg"] = Markup(charts.histogram(list(d.scores), "duplicate pair scores", _("Duplicate pair scores"),
                                                    _("score"), _("count"))) if d.scores else None
    ctx["review_svg"] = Markup(charts.review_chart(data.review.by_status, data.review.per_day, _))
    return ctx


def render_report(ctx: dict) -> str:
    """The HTML text, in the context's language."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.ChainableUndefined)
    i18n.install(env, ctx.get("lang", "en"))
    return env.get_template("report.html.j2").render(**ctx)


def write_report(out: Path, report_file: Path | None = None, version: str = "0",
                 lang: str = "en") -> Path:
    """Write the report of OUT (default OUT/report.html), atomically.

    Args:
        out: the output folder.
        report_file: where to write it.
        version: hotich's version, shown in the footer.
        lang: "vi" or "en" (pipeline.i18n.LANGS).
    Returns:
        The file written.
    """
    out = Path(out)
    path = Path(report_file) if report_file else out / "report.html"
    i18n.check_lang(lang)
    data = collect(out, low_confidence=_low_confidence())
    html = render_report(build_context(data, out, version, lang))
    with atomic_path(path) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return path
