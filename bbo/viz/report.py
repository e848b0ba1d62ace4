"""``bbo report``: one self-contained HTML page (no network, no external files).

The page holds a summary, the best trial (or the Pareto set), every plot of
:mod:`bbo.viz.plots` as an inline base64 PNG, and the table of trials. Everything is
escaped; the CSS is inline; the page renders the same offline and in a mail attachment.
"""

from __future__ import annotations

import base64
import html
import io
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bbo.study import Study, Trial, TrialState

MAX_ROWS = 1000  # trial-table rows; a bigger study links to `bbo export`
MAX_FAILED = 10  # failed trials whose reason and stderr/traceback the report shows

_TITLES = {
    "history": "Optimization history",
    "parallel": "Parallel coordinates",
    "slices": "Slices per parameter",
    "pareto": "Pareto front",
    "contour": "Surrogate model (GP)",
    "importance": "Parameter importance (PED-ANOVA)",
    "learning-curves": "Learning curves",
}

_CSS = """
:root { --fg: #1f2328; --muted: #59636e; --line: #d8dee4; --accent: #0072B2; --best: #D55E00; }
* { box-sizing: border-box; }
body { font: 14px/1.5 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: var(--fg);
       margin: 0; background: #f6f8fa; }
main { max-width: 1120px; margin: 0 auto; padding: 28px 32px 48px; background: #fff; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 36px 0 12px; padding-bottom: 6px;
     border-bottom: 1px solid var(--line); }
.meta { color: var(--muted); margin: 0 0 20px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 12px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
.card .k { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card .v { font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; }
.card.best .v { color: var(--best); }
table { border-collapse: collapse; width: 100%; font-size: 13px;
        font-variant-numeric: tabular-nums; }
th, td { padding: 5px 10px; border-bottom: 1px solid var(--line); text-align: right;
         white-space: nowrap; }
th { background: #f6f8fa; position: sticky; top: 0; font-weight: 600; }
td.l, th.l { text-align: left; }
tr.best td { background: #fff1e8; font-weight: 600; }
td.COMPLETED { color: #1a7f37; } td.FAILED, td.INFEASIBLE { color: #cf222e; }
td.ABANDONED, td.RUNNING { color: var(--muted); }
.scroll { max-height: 560px; overflow: auto; border: 1px solid var(--line); border-radius: 6px; }
figure { margin: 0 0 28px; }
figure img { max-width: 100%; height: auto; display: block; margin: 0 auto;
             border: 1px solid var(--line); border-radius: 6px; }
.note { color: var(--muted); font-size: 13px; }
.failure { margin: 0 0 14px; }
.failure pre { margin: 4px 0 0; padding: 8px 10px; background: #f6f8fa; border-radius: 6px;
               border: 1px solid var(--line); font-size: 12px; white-space: pre-wrap;
               overflow-wrap: anywhere; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
.card .s { color: var(--muted); font-size: 11px; }
/* printed (or saved as PDF): every trial on paper, the header repeated on each page */
@media print {
  @page { margin: 12mm; }
  body { background: #fff; font-size: 11px; }
  main { max-width: none; padding: 0; }
  .scroll { max-height: none; overflow: visible; border: none; }
  table { font-size: 9.5px; page-break-inside: auto; }
  thead { display: table-header-group; }
  th { position: static; }
  tr, figure, .card, .failure { break-inside: avoid; page-break-inside: avoid; }
  th, td { padding: 2px 5px; white-space: normal; }
  h2 { break-after: avoid; page-break-after: avoid; }
  figure img { max-width: 100% !important; }
}
"""


# after load, the page records how many of its images decoded (checked by the browser test)
_SELF_CHECK = (
    "<script>addEventListener('load', () => { document.body.dataset.imagesDecoded = "
    "[...document.images].filter(i => i.complete && i.naturalWidth > 0).length; });</script>"
)


def _e(v: Any) -> str:
    return html.escape(str(v), quote=True)


def _num(v: Any) -> str:
    if v is None:
        return ""
    return f"{v:.6g}" if isinstance(v, float) else _e(v)


def _png(fig: Any) -> tuple[str, int]:
    """Base64 PNG (150 dpi) and its CSS width (the pixel width at 1.5 device pixels per CSS
    pixel, so text in the figure reads at about the page's size)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", facecolor="white", dpi=150)
    width = round(fig.get_figwidth() * 150 / 1.5)
    return base64.b64encode(buf.getvalue()).decode("ascii"), width


def _best_rows(study: Study) -> list[Trial]:
    best = study.best
    if best is None:
        return []
    return best if isinstance(best, list) else [best]


def _trial_table(study: Study, trials: Sequence[Trial], best_ids: set[int], tid: str) -> str:
    metrics = [o.name for o in study.objectives] + [c.metric for c in study.constraints]
    params = list(study.space)
    head = ["trial", "state", *metrics, *params, "source", "seconds"]
    out = [f'<table id="{tid}"><thead><tr>']
    out += [f'<th class="{"l" if h in ("state", "source") else ""}">{_e(h)}</th>' for h in head]
    out.append("</tr></thead><tbody>")
    for t in trials:
        cls = ' class="best"' if t.id in best_ids else ""
        secs = t.finished_at - t.created_at if t.finished_at is not None else None
        cells = [f"<td>{t.id}</td>", f'<td class="l {t.state.value}">{t.state.value}</td>']
        cells += [f"<td>{_num(t.values.get(m))}</td>" for m in metrics]
        cells += [f"<td>{_num(t.params.get(p))}</td>" for p in params]
        cells.append(f'<td class="l">{_e(t.attrs.get("source", ""))}</td>')
        cells.append(f"<td>{_num(secs)}</td>")
        out.append(f"<tr{cls}>{''.join(cells)}</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _space_section(study: Study) -> list[str]:
    """The space table (parameter, type, domain, active when) of a space with conditional
    parameters (:mod:`bbo.space.conditions`); nothing for a flat space."""
    from bbo.space.conditions import describe

    conds = study.space.conditions
    if not conds:
        return []
    rows = ['<h2>Search space</h2><table id="space"><thead><tr>']
    rows += [f'<th class="l">{h}</th>' for h in ("parameter", "type", "domain", "active when")]
    rows.append("</tr></thead><tbody>")
    for name, p in study.space.items():
        d = {k: v for k, v in p.to_dict().items() if k != "when"}
        kind = d.pop("type")
        domain = ", ".join(f"{k}={v}" for k, v in d.items())
        when = describe(conds.when[name]) if name in conds.when else "always"
        cells = [name, kind, domain, when]
        rows.append("<tr>" + "".join(f'<td class="l">{_e(c)}</td>' for c in cells) + "</tr>")
    rows.append("</tbody></table>")
    return rows


def _edits_section(study: Study) -> list[str]:
    """The history of the study's space edits (:mod:`bbo.study.edits`); nothing when its
    space was never edited."""
    edits = getattr(study, "space_edits", [])
    if not edits:
        return []
    rows = ['<h2>Space edits</h2><table id="space-edits"><thead><tr>']
    rows += [f'<th class="l">{h}</th>' for h in ("edit", "when", "changes")]
    rows.append("</tr></thead><tbody>")
    for i, e in enumerate(edits, 1):
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(e.created_at))
        cells = [str(i), when, "; ".join(e.changes)]
        rows.append("<tr>" + "".join(f'<td class="l">{_e(c)}</td>' for c in cells) + "</tr>")
    rows.append("</tbody></table>")
    return rows


def _failed_section(study: Study, trials: Sequence[Trial]) -> list[str]:
    """The last :data:`MAX_FAILED` failed trials: reason, params and the last lines of their
    stderr (or Python traceback)."""
    from bbo.run.tables import short_tail

    failed = [t for t in trials if t.state == TrialState.FAILED]
    if not failed:
        return []
    parts = [f'<h2>Failed trials ({len(failed)})</h2><div id="failed">']
    if len(failed) > MAX_FAILED:
        parts.append(
            f'<p class="note">The last {MAX_FAILED}; <code>bbo trials {_e(study.name)} '
            f"--failed --storage {_e(study.storage.url)}</code> lists them all.</p>"
        )
    for t in failed[-MAX_FAILED:]:
        params = ", ".join(f"{k}={_num(v)}" for k, v in t.params.items())
        parts.append(
            f'<div class="failure"><b>trial {t.id}</b>: {_e(t.reason or "")} '
            f'<span class="note">({params})</span>'
        )
        tail = short_tail(t)
        if tail:
            parts.append(f"<pre>{_e(chr(10).join(tail))}</pre>")
        parts.append("</div>")
    parts.append("</div>")
    return parts


def _figure(kind: str, image: tuple[str, int]) -> str:
    return (
        f'<figure id="plot-{kind}"><img alt="{_e(_TITLES[kind])}" style="width: {image[1]}px" '
        f'src="data:image/png;base64,{image[0]}"></figure>'
    )


def _curves_section(
    study: Study, trials: Sequence[Trial], image: tuple[str, int] | None
) -> list[str]:
    """The "Learning curves" section: the plot and a line on the pruned trials (nothing for
    a study without reports)."""
    if image is None:
        return []
    pruned = [t for t in trials if t.state == TrialState.PRUNED]
    last = {r.trial: r.step for r in study.reports()}  # in step order: the last one wins
    steps = sorted(last[t.id] for t in pruned if t.id in last)
    note = (
        f"Each trial's reported {_e(study.objectives[0].name)} against the step; "
        f"{len(pruned)} trial(s) pruned (dashed, a cross where they stopped)"
    )
    if steps:
        note += f", at steps {steps[0]} to {steps[-1]} (median {steps[len(steps) // 2]})"
    note += "; the best completed trial in red. <code>bbo export</code> writes every report."
    return [
        '<h2 id="learning-curves">Learning curves</h2>',
        f'<p class="note">{note}</p>',
        _figure("learning-curves", image),
    ]


def _count_cards(study: Study, trials: Sequence[Trial]) -> list[tuple[str, object, str, str]]:
    """``(label, value, css class, note)`` of the summary cards: trials by state, ABANDONED
    included, and the infeasible ones (told INFEASIBLE, or COMPLETED with a violated outcome
    constraint)."""
    counts = Counter(t.state for t in trials)
    told = counts[TrialState.INFEASIBLE]
    violated = sum(
        1 for t in trials if t.state == TrialState.COMPLETED and not t.feasible(study.constraints)
    )
    note = f"{told} told infeasible, {violated} violate a constraint" if study.constraints else ""
    cards: list[tuple[str, object, str, str]] = [
        ("trials", len(trials), "", ""),
        ("completed", counts[TrialState.COMPLETED], "", ""),
        ("failed", counts[TrialState.FAILED], "", ""),
        ("infeasible", told + violated, "", note),
        ("abandoned", counts[TrialState.ABANDONED], "", "worker stopped; the point is retried"),
    ]
    if counts[TrialState.PRUNED]:
        cards.append(("pruned", counts[TrialState.PRUNED], "", "stopped early by the pruner"))
    if counts[TrialState.RUNNING]:
        cards.append(("running", counts[TrialState.RUNNING], "", ""))
    return cards


def render(study: Study, contour_params: Sequence[str] | None = None) -> str:
    """The report of ``study`` as an HTML string."""
    import matplotlib.pyplot as plt

    from bbo.viz import PLOTS, figures

    trials = study.trials
    best = _best_rows(study)
    best_ids = {t.id for t in best}
    figs, skipped = figures(study, contour_params)
    images = {}
    for kind, fig in figs.items():
        images[kind] = _png(fig)
        plt.close(fig)
    objs = ", ".join(f"{o.direction} <b>{_e(o.name)}</b>" for o in study.objectives)
    cons = ", ".join(_e(c) for c in study.constraints)
    single = len(study.objectives) == 1
    cards = _count_cards(study, trials)
    if single and best:
        cards.append((f"best {study.objectives[0].name}", _num(best[0].value), "best", ""))
    elif best:
        cards.append(("Pareto set", len(best), "best", ""))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>bbo report: {_e(study.name)}</title><style>{_CSS}</style></head>",
        "<body><main>",
        f'<h1 id="title">Study {_e(study.name)}</h1>',
        f'<p class="meta">{objs}{"; constraints " + cons if cons else ""} · strategy '
        f"<b>{_e(study.spec.strategy)}</b> · {len(study.space)} parameter(s) · storage "
        f"<code>{_e(study.storage.url)}</code></p>",
        '<div class="cards" id="summary">',
    ]
    for k, v, cls, note in cards:
        sub = f'<div class="s">{_e(note)}</div>' if note else ""
        parts.append(
            f'<div class="card {cls}" id="count-{_e(k.split()[0])}"><div class="k">{_e(k)}</div>'
            f'<div class="v">{v}</div>{sub}</div>'
        )
    parts.append("</div>")
    parts += _space_section(study)
    parts += _edits_section(study)
    parts.append(f"<h2>{'Best trial' if single else 'Pareto set'}</h2>")
    if best:
        parts.append(_trial_table(study, best, set(), "best"))
    else:
        parts.append('<p class="note" id="best">No completed feasible trial yet.</p>')
    parts.append("<h2>Plots</h2>")
    for kind in PLOTS:
        if kind == "learning-curves":
            continue
        if kind in images:
            parts.append(_figure(kind, images[kind]))
        elif kind in skipped:
            parts.append(
                f'<p class="note">{_e(_TITLES[kind])}: not drawn ({_e(skipped[kind])}).</p>'
            )
    parts += _curves_section(study, trials, images.get("learning-curves"))
    parts += _failed_section(study, trials)
    shown = trials[:MAX_ROWS]
    parts.append(f"<h2>All trials ({len(trials)})</h2>")
    if len(trials) > len(shown):
        parts.append(
            f'<p class="note">The first {MAX_ROWS} of {len(trials)}; <code>bbo export '
            f"{_e(study.name)} trials.csv</code> writes them all.</p>"
        )
    parts.append(f'<div class="scroll">{_trial_table(study, shown, best_ids, "trials")}</div>')
    stamp = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    parts.append(
        f"<footer>Generated by bbo on {_e(stamp)}.</footer></main>{_SELF_CHECK}</body></html>"
    )
    return "\n".join(parts)


def write_report(study: Study, path: Path, contour_params: Sequence[str] | None = None) -> Path:
    """Write :func:`render` to ``path`` (parent folders created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(study, contour_params), encoding="utf-8")
    return path


__all__ = ["render", "write_report"]
