"""The review web application (Flask, server-rendered, autoescaped Jinja templates).

Pages: volumes (/), a volume's queue (/v/T/V), a record (/r/T/ID), the spot check of a
volume (/v/T/V/spot), search (/search), a whole page (/page/T/V/N). Images are served only
through /img/..., by volume id and page number checked against the record index.
"""
from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from flask import (Flask, Response, abort, g, redirect, render_template, request, send_file,
                   session, url_for)

from pipeline import i18n
from pipeline.i18n import N_
from pipeline.review import sampling
from pipeline.review.corrections import refresh_volume
from pipeline.review.images import ImageCache, ImageRefused, safe_page_path
from pipeline.review.index import RecordIndex
from pipeline.review.layout import (THUMB_WIDTH, layout_png, page_layout, save_profile,
                                    set_column_fields, volume_profile)
from pipeline.review.security import (CSRF_FIELD, TOKEN_COOKIE, check_token, csrf_token,
                                      is_loopback, same_origin, tokens_match, without_token)
from pipeline.review.settings import ReviewSettings
from pipeline.review.source import VolumeTables
from pipeline.review.store import ConflictError, ReviewStore
from pipeline.review.views import (InvalidValue, check_value, field_views, record_year,
                                   split_flags)
from schemas.content_hash import signoff_state, volume_hash
from schemas.errors import BadInputError, ConfigError
from schemas.fields import REGISTER_TYPES, all_fields

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")


@dataclass(frozen=True)
class Context:
    """What every request handler uses (one per app)."""

    out: Path
    settings: ReviewSettings
    index: RecordIndex
    store: ReviewStore
    tables: VolumeTables
    images: ImageCache


def _ctx() -> Context:
    return g.ctx


def create_app(out: Path, settings: ReviewSettings | None = None) -> Flask:
    """Build the review app over output folder `out` (indexes OUT/records on the way).

    Raises:
        BadInputError: OUT has no records folder.
        TokenError: the settings' token is shorter than 16 characters.
    """
    out = Path(out)
    if not (out / "records").is_dir():
        raise BadInputError(f"{out}: no records/ folder (run `hotich run ... --out {out}` first)")
    settings = settings or ReviewSettings()
    check_token(settings.token)
    app = Flask(__name__, template_folder="templates", static_folder="static")
    app.secret_key = settings.secret_key or secrets.token_bytes(32)
    app.config.update(SESSION_COOKIE_NAME="hotich_session", SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Lax", MAX_CONTENT_LENGTH=256 * 1024)
    app.jinja_env.autoescape = True  # every template, whatever its name: OCR text can be anything
    i18n.install(app.jinja_env, settings.lang)  # raises ValueError for a language hotich lacks
    index = RecordIndex(out)
    index.sync(force=True)
    ctx = Context(out, settings, index, ReviewStore(out), VolumeTables(out), ImageCache())

    @app.before_request
    def _guard():
        g.ctx = ctx
        if not settings.token and not is_loopback(request.host.rsplit(":", 1)[0].strip("[]")):
            # Without a token the server is for this machine only; a page elsewhere that
            # points its own host name at 127.0.0.1 (DNS rebinding) must not read it.
            return _plain(N_("hotich review: only http://127.0.0.1 or localhost addresses are "
                             "served without a token"), 400)
        if settings.token:
            in_url = request.args.get("token")
            if in_url is not None:
                if not tokens_match(settings.token, in_url):
                    return _plain(TOKEN_NEEDED, 403)
                # the token moves into the cookie: off the address bar, history and Referer
                resp = redirect(without_token(request.path, request.args), 303)
                resp.set_cookie(TOKEN_COOKIE, settings.token, httponly=True, samesite="Lax")
                return resp
            if not tokens_match(settings.token, request.cookies.get(TOKEN_COOKIE)):
                return _plain(TOKEN_NEEDED, 403)
        if request.method == "POST":
            if not same_origin(request.headers.get("Origin"), request.host_url):
                return _plain(N_("cross-site request refused"), 403)
            if not tokens_match(session.get(CSRF_FIELD), request.form.get(CSRF_FIELD)):
                return _plain(N_("form expired or forged (CSRF token missing or wrong): reload the "
                                 "page and try again"), 400)
        ctx.index.sync()

    @app.after_request
    def _headers(resp: Response):
        resp.headers["Content-Security-Policy"] = CSP
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["Referrer-Policy"] = "same-origin"  # no-referrer would make POSTs send "Origin: null"
        return resp

    @app.context_processor
    def _globals():
        return {"csrf": csrf_token(session), "reviewer": _reviewer(), "settings": settings,
                "pct": _pct, "lang": settings.lang}

    @app.errorhandler(ImageRefused)
    def _refused(e):
        return Response(f"{e.message}\n", 404, mimetype="text/plain")

    _routes(app)
    return app


# values the pages show through _(...): register types, review statuses, verdicts
SHOWN_VALUES = (N_("birth"), N_("death"), N_("marriage"), N_("unreviewed"), N_("accepted"),
                N_("corrected"), N_("right"), N_("wrong"))


def _tr():
    """gettext in the page's language (--lang)."""
    return i18n.gettext_for(_ctx().settings.lang)


TOKEN_NEEDED = N_("hotich review: a valid token is required (see the address the server printed)")


def _plain(msgid: str, status: int, **args) -> Response:
    """A one-line plain-text refusal in the page's language."""
    text = _tr()(msgid)
    return Response((text % args if args else text) + "\n", status, mimetype="text/plain")


def _pct(x: float | None, digits: int = 1) -> str:
    return "–" if x is None else f"{100 * x:.{digits}f}%"


def _reviewer() -> str:
    return session.get("reviewer") or _ctx().settings.reviewer


def _rtype(rt: str) -> str:
    if rt not in REGISTER_TYPES:
        abort(404)
    return rt


def _estimate(store: ReviewStore, rt: str, vol: str):
    """The latest sample of a volume, its items and the estimate (or Nones)."""
    s = store.latest_sample(rt, vol)
    if s is None:
        return None, [], sampling.wilson_interval(0, 0)
    items = store.sample_items(s.id)
    judged = [i for i in items if i.verdict]
    est = sampling.wilson_interval(sum(i.verdict == "wrong" for i in judged), len(judged), s.confidence)
    return s, items, est


def _signoff(rt: str, vol: str, so) -> dict | None:
    """A sign-off as the pages show it, with `state`: fresh, stale (the records changed
    since, e.g. a rerun) or unknown (signed before hashes were recorded)."""
    if so is None:
        return None
    so = dict(so)
    so["state"] = signoff_state(so.get("records_sha256"), volume_hash(_ctx().out, rt, vol))
    return so


def _routes(app: Flask) -> None:  # noqa: C901 - a flat list of small handlers
    @app.get("/")
    def volumes():
        c = _ctx()
        summary = c.store.all_samples_summary()
        rows = []
        for v in c.index.volumes():
            s = summary.get((v["register_type"], v["volume_id"]), {})
            est = sampling.wilson_interval(s.get("wrong", 0), s.get("judged", 0))
            first = page_layout(c.out, v["volume_id"])
            rows.append({"v": v, "s": s, "est": est, "layout_page": first[0] if first else None,
                         "signoff": _signoff(v["register_type"], v["volume_id"], s.get("signoff"))})
        return render_template("volumes.html", rows=rows)

    @app.get("/v/<rt>/<vol>")
    def queue(rt, vol):
        c = _ctx()
        v = c.index.volume(_rtype(rt), vol) or abort(404)
        show_all = request.args.get("all") == "1"
        recs = c.index.queue(rt, vol, limit=200, include_reviewed=show_all)
        return render_template("queue.html", v=v, recs=recs, show_all=show_all,
                               signoff=_signoff(rt, vol, c.store.latest_signoff(rt, vol)),
                               first=c.index.next_in_queue(rt, vol, None),
                               split_flags=split_flags)

    @app.get("/r/<rt>/<rid>")
    def record(rt, rid):
        return _record_page(_rtype(rt), rid)

    @app.post("/r/<rt>/<rid>/field/<field>")
    def save_field(rt, rid, field):
        c = _ctx()
        rt, idx, row = _field_row(rt, rid, field)
        version, base = _int(request.form.get("version")), request.form.get("base", "")
        typed = request.form.get("value", "")
        override = request.form.get("override") == "1"
        try:
            checked = check_value(field, typed, record_year(row, field))
        except InvalidValue as e:
            return _record_page(rt, rid, error={"field": field, "messages": [_tr()(str(e))], "typed": typed}), 400
        if not checked.ok and not (override and checked.can_override):
            # refused with the reason; an override (where the format allows one) is offered
            return _record_page(rt, rid, error={
                "field": field, "messages": checked.messages(_tr()), "typed": typed,
                "override": checked.forced if checked.can_override else None}), 400
        new = checked.value if checked.ok else checked.forced
        note = None if checked.ok else "override: " + ", ".join(checked.reasons)
        current = row.get(field)
        state = c.store.state(rt, rid)
        if state.version != version or (current or "") != base:
            return _conflict(rt, rid, field, typed, state.version)
        fields = list(all_fields(rt))
        nxt = fields[min(fields.index(field) + 1, len(fields) - 1)]
        sid = _int(request.form.get("sample"), None)  # stay in spot-check mode
        if new == current and field not in _stale(rt, row):  # nothing to record
            return redirect(_record_url(rt, rid, f=nxt, sample=sid))
        try:
            c.store.correct(rt, idx["volume_id"], rid, field, current, new, row.get("image_sha256"),
                            _reviewer(), version, note)
        except ConflictError as e:
            return _conflict(rt, rid, field, typed, e.current_version)
        _rewrite(rt, idx["volume_id"])
        return redirect(_record_url(rt, rid, f=nxt, sample=sid))

    @app.get("/r/<rt>/<rid>/check/<field>")
    def check_field(rt, rid, field):
        """What a typed value would be stored as (the page shows it while typing)."""
        rt, _, row = _field_row(rt, rid, field)
        try:
            checked = check_value(field, request.args.get("value", ""), record_year(row, field))
        except InvalidValue as e:
            return {"ok": False, "value": None, "reasons": [_tr()(str(e))], "override": None}
        return {"ok": checked.ok, "value": checked.value, "reasons": checked.messages(_tr()),
                "override": checked.forced if checked.can_override else None}

    @app.post("/r/<rt>/<rid>/accept")
    def accept(rt, rid):
        c = _ctx()
        rt = _rtype(rt)
        idx = c.index.record(rt, rid) or abort(404)
        row = c.tables.row(rt, idx["volume_id"], rid, idx["pos"]) or abort(404)
        stale = {f: row.get(f) for f in _stale(rt, row)}
        try:
            c.store.accept(rt, idx["volume_id"], rid, row.get("image_sha256"), _reviewer(),
                           _int(request.form.get("version")), stale)
        except ConflictError as e:
            return _conflict(rt, rid, None, None, e.current_version)
        _rewrite(rt, idx["volume_id"])
        return redirect(_next_url(rt, idx))

    @app.get("/r/<rt>/<rid>/go")
    def go(rt, rid):
        c = _ctx()
        idx = c.index.record(_rtype(rt), rid) or abort(404)
        sid = _int(request.args.get("sample"), None)
        if sid is not None:
            return redirect(_next_sample_url(sid, rid, backwards=request.args.get("to") == "prev"))
        nxt = c.index.next_in_queue(rt, idx["volume_id"], idx, backwards=request.args.get("to") == "prev")
        return redirect(_record_url(rt, nxt["record_id"]) if nxt
                        else url_for("queue", rt=rt, vol=idx["volume_id"]))

    @app.get("/v/<rt>/<vol>/spot")
    def spot(rt, vol):
        c = _ctx()
        v = c.index.volume(_rtype(rt), vol) or abort(404)
        s, items, est = _estimate(c.store, rt, vol)
        st = c.settings
        n = sampling.sample_size(v["unflagged"], st.precision, st.expected_rate, st.confidence)
        labels = {}
        _ = i18n.gettext_for(c.settings.lang)
        for i in items:
            r = c.index.record(rt, i.record_id)
            labels[i.record_id] = r["label"] if r else _("(no longer in the records)")
        can = (sampling.can_sign_off(est, s.size, st.signoff_limit) if s and s.size
               else bool(s) and v["unflagged"] == 0)
        return render_template("spot.html", v=v, s=s, items=items, est=est, planned=n,
                               labels=labels, can_sign_off=can,
                               signoff=_signoff(rt, vol, c.store.latest_signoff(rt, vol)),
                               next_item=next((i for i in items if not i.verdict), None))

    @app.post("/v/<rt>/<vol>/spot")
    def draw(rt, vol):
        c = _ctx()
        v = c.index.volume(_rtype(rt), vol) or abort(404)
        st = c.settings
        ids = c.index.unflagged_ids(rt, vol)
        n = sampling.sample_size(len(ids), st.precision, st.expected_rate, st.confidence)
        seed = secrets.randbits(31)
        c.store.create_sample(rt, vol, sampling.draw_sample(ids, n, seed), seed=seed,
                              population=len(ids), precision=st.precision,
                              expected_rate=st.expected_rate, confidence=st.confidence,
                              reviewer=_reviewer())
        return redirect(url_for("spot", rt=rt, vol=v["volume_id"]))

    @app.post("/spot/<int:sid>/verdict")
    def verdict(sid):
        c = _ctx()
        s = c.store.sample(sid) or abort(404)
        rid, verdict_ = request.form.get("record_id", ""), request.form.get("verdict")
        idx = c.index.record(s.register_type, rid) or abort(404)
        try:
            c.store.set_verdict(sid, rid, verdict_, _reviewer())
        except ValueError as e:
            return Response(f"{e}\n", 400, mimetype="text/plain")
        if verdict_ == "wrong":
            return redirect(_record_url(s.register_type, rid, sample=sid))
        row = c.tables.row(s.register_type, idx["volume_id"], rid, idx["pos"]) or abort(404)
        try:
            c.store.accept(s.register_type, idx["volume_id"], rid, row.get("image_sha256"),
                           _reviewer(), _int(request.form.get("version")))
        except ConflictError as e:
            return _conflict(s.register_type, rid, None, None, e.current_version)
        _rewrite(s.register_type, idx["volume_id"])
        return redirect(_next_sample_url(sid, rid))

    @app.post("/v/<rt>/<vol>/signoff")
    def sign_off(rt, vol):
        c = _ctx()
        v = c.index.volume(_rtype(rt), vol) or abort(404)
        s, _, est = _estimate(c.store, rt, vol)
        if s is None:
            return _plain(N_("draw and check a sample first"), 400)
        ok = (sampling.can_sign_off(est, s.size, c.settings.signoff_limit) if s.size
              else v["unflagged"] == 0)
        if not ok:
            return _plain(N_("cannot sign off: the sample is not fully checked or the upper bound "
                             "is not under %(limit)s"), 400, limit=_pct(c.settings.signoff_limit))
        c.store.sign_off(s, est.judged, est.wrong, est.low or 0.0, est.high or 0.0,
                         c.settings.signoff_limit, _reviewer(), volume_hash(c.out, rt, vol))
        return redirect(url_for("spot", rt=rt, vol=vol))

    @app.get("/search")
    def search():
        q = request.args.get("q", "")
        return render_template("search.html", q=q, recs=_ctx().index.search(q) if q.strip() else [])

    @app.post("/reviewer")
    def set_reviewer():
        name = " ".join(unicodedata.normalize("NFC", request.form.get("name", "")).split())[:80]
        if name:
            session["reviewer"] = name
        return redirect(request.form.get("back") if _local_path(request.form.get("back")) else "/")

    @app.get("/page/<rt>/<vol>/<int:page>")
    def page_view(rt, vol, page):
        c = _ctx()
        path = _checked_page(vol, page)
        t = c.tables.table(_rtype(rt), vol)
        rows = [r for r in t.select(["record_id", "page", "row", "bbox"]).to_pylist() if r["page"] == page]
        w, h = c.images.size(path)
        return render_template("page.html", rt=rt, vol=vol, page=page, rows=rows, w=w, h=h,
                               hl=request.args.get("hl"))

    @app.get("/layout/<rt>/<vol>")
    def layout_view(rt, vol):
        c = _ctx()
        c.index.volume(_rtype(rt), vol) or abort(404)
        found = page_layout(c.out, vol, _int(request.args.get("page"), None))
        return render_template("layout.html", rt=rt, vol=vol, found=found,
                               profile=volume_profile(c.out, vol), fields=all_fields(_rtype(rt)),
                               saved=_int(request.args.get("saved"), None),
                               changes=c.store.profile_changes(vol))

    @app.get("/img/layout/<vol>/<int:page>.png")
    def layout_image(vol, page):
        c = _ctx()
        _checked_page(vol, page)
        data = layout_png(c.out, vol, page, THUMB_WIDTH if request.args.get("thumb") else None)
        if data is None:
            abort(404)
        return Response(data, mimetype="image/png", headers={"Cache-Control": "max-age=60"})

    @app.post("/layout/<rt>/<vol>/profile")
    def save_layout_profile(rt, vol):
        c = _ctx()
        c.index.volume(_rtype(rt), vol) or abort(404)
        prof = volume_profile(c.out, vol) or abort(404)
        asked = {i: request.form.get(f"col{i + 1}") for i in range(len(prof.columns))}
        try:
            new, changes = set_column_fields(prof, {i: v or None for i, v in asked.items() if v is not None})
            if changes:
                save_profile(c.out, vol, new)
        except ConfigError as e:
            return _plain(N_("profile not saved: %(why)s"), 400, why=e.message)
        for col, old, field in changes:
            c.store.log_profile_change(_reviewer(), _rtype(rt), vol, col, old, field)
        return redirect(url_for("layout_view", rt=rt, vol=vol, saved=len(changes)))

    @app.get("/img/page/<vol>/<int:page>.png")
    def page_image(vol, page):
        return send_file(_checked_page(vol, page), mimetype="image/png", max_age=60)

    @app.get("/img/cell/<rt>/<rid>/<field>.png")
    def cell_image(rt, rid, field):
        """The field's own cell (F_bbox), enlarged so its text is at least the page's text size."""
        c = _ctx()
        if field not in all_fields(_rtype(rt)):
            abort(404)
        idx = c.index.record(rt, rid) or abort(404)
        row = c.tables.row(rt, idx["volume_id"], rid, idx["pos"]) or abort(404)
        box = row.get(field + "_bbox") or []
        if len(box) != 4:
            abort(404)  # a record file from before F_bbox: the page shows the entry instead
        path = _checked_page(idx["volume_id"], idx["page"])
        try:
            data = c.images.cell_png(path, tuple(box))
        except BadInputError as e:
            return Response(f"{e.message}\n", 500, mimetype="text/plain")
        return Response(data, mimetype="image/png", headers={"Cache-Control": "max-age=60"})

    @app.get("/img/crop/<rt>/<rid>.png")
    def crop_image(rt, rid):
        c = _ctx()
        idx = c.index.record(_rtype(rt), rid) or abort(404)
        row = c.tables.row(rt, idx["volume_id"], rid, idx["pos"]) or abort(404)
        path = _checked_page(idx["volume_id"], idx["page"])
        bbox = row.get("bbox") or []
        if len(bbox) != 4:
            abort(404)
        try:
            data = c.images.crop_png(path, tuple(bbox))
        except BadInputError as e:
            return Response(f"{e.message}\n", 500, mimetype="text/plain")
        return Response(data, mimetype="image/png", headers={"Cache-Control": "max-age=60"})


# ---- helpers used by the handlers -----------------------------------------------------------
def _int(text, default: int | None = -1):
    try:
        return int(text)
    except (TypeError, ValueError):
        return default


def _local_path(url: str | None) -> bool:
    return bool(url) and url.startswith("/") and not url.startswith("//") and "\\" not in url


def _record_url(rt: str, rid: str, **params) -> str:
    params = {k: v for k, v in params.items() if v is not None}
    return url_for("record", rt=rt, rid=rid) + (f"?{urlencode(params)}" if params else "")


def _next_url(rt: str, idx) -> str:
    """After accepting: a spot-check item goes to the next unjudged item; a queue record to
    the next pending record after it, wrapping to the first pending one."""
    sid = _int(request.form.get("sample"), None)
    if sid is not None:
        return _next_sample_url(sid, idx["record_id"])
    c = _ctx()
    nxt = (c.index.next_in_queue(rt, idx["volume_id"], idx)
           or c.index.next_in_queue(rt, idx["volume_id"], None))
    return _record_url(rt, nxt["record_id"]) if nxt else url_for("queue", rt=rt, vol=idx["volume_id"])


def _next_sample_url(sid: int, rid: str, backwards: bool = False) -> str:
    c = _ctx()
    s = c.store.sample(sid) or abort(404)
    items = c.store.sample_items(sid)
    ids = [i.record_id for i in items]
    if backwards:
        k = ids.index(rid) if rid in ids else len(ids)
        return _record_url(s.register_type, ids[k - 1], sample=sid) if k > 0 else \
            url_for("spot", rt=s.register_type, vol=s.volume_id)
    after = ids.index(rid) + 1 if rid in ids else 0
    for i in items[after:] + items[:after]:
        if not i.verdict and i.record_id != rid:
            return _record_url(s.register_type, i.record_id, sample=sid)
    return url_for("spot", rt=s.register_type, vol=s.volume_id)


def _checked_page(vol: str, page: int) -> Path:
    """A page image path after the index confirms the page belongs to a known volume."""
    c = _ctx()
    path = safe_page_path(c.out, vol, page)
    if not c.index.page_exists(vol, page) or not path.is_file():
        abort(404)
    return path


def _rewrite(rt: str, vol: str) -> None:
    """Mirror the database into the volume's record file, then the index."""
    c = _ctx()
    refresh_volume(c.out, rt, vol)
    c.index.reindex(rt, vol)


def _stale(rt: str, row: dict) -> dict[str, str | None]:
    """Corrections of this record made on another page image: field -> corrected value."""
    corr = _ctx().store.corrections(rt, row["volume_id"]).get(row["record_id"], {})
    return {f: c.value for f, c in corr.items() if c.image_sha256 != row.get("image_sha256")}


def _field_row(rt: str, rid: str, field: str) -> tuple[str, dict, dict]:
    """The register type, index entry and record row a field URL names (404 otherwise)."""
    c = _ctx()
    rt = _rtype(rt)
    if field not in all_fields(rt):
        abort(404)
    idx = c.index.record(rt, rid) or abort(404)
    return rt, idx, c.tables.row(rt, idx["volume_id"], rid, idx["pos"]) or abort(404)


def _conflict(rt, rid, field, typed, current_version):
    return _record_page(rt, rid, conflict={"field": field, "typed": typed,
                                           "version": current_version}), 409


def _record_page(rt: str, rid: str, error: dict | None = None, conflict: dict | None = None):
    c = _ctx()
    idx = c.index.record(rt, rid) or abort(404)
    row = c.tables.row(rt, idx["volume_id"], rid, idx["pos"]) or abort(404)
    state = c.store.state(rt, rid)
    fields = field_views(rt, row, _stale(rt, row))
    _, bare = split_flags(row.get("flags"))
    sid = _int(request.values.get("sample"), None)
    sample = c.store.sample(sid) if sid is not None else None
    item = None
    if sample:
        item = next((i for i in c.store.sample_items(sample.id) if i.record_id == rid), None)
        if item is None:
            sample = None
    focus = request.args.get("f") or next((f.name for f in fields if f.flagged), fields[0].name)
    if error:
        focus = error["field"]
    elif conflict and conflict.get("field"):
        focus = conflict["field"]
    return render_template(
        "record.html", rt=rt, idx=idx, row=row, fields=fields, bare=bare, state=state,
        history=c.store.history(rt, rid), sample=sample, item=item, focus=focus,
        edit=request.args.get("edit") == "1" or bool(error), error=error, conflict=conflict,
        volume=c.index.volume(rt, idx["volume_id"]))
