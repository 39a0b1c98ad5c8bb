"""preflight export: every assessment with its answers, scores and gaps, as CSV, JSON or Markdown."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from typing import Any

from conversations.answers import describe
from conversations.ports import Change, Loaded
from conversations.questions import QUESTIONS
from conversations.scoring import GAP_LABELS, score

FORMATS = ("csv", "json", "md")


def records(assessments: list[Loaded], *, histories: Mapping[int, list[Change]] | None = None) -> list[dict[str, Any]]:
    """Plain dictionaries, one per assessment, for every format; with each one's change history when given."""
    out = []
    for item in assessments:
        state = item.state
        card = score(state.values)
        out.append(
            {
                "id": item.id,
                "platform": item.place.platform,
                "workspace": item.place.workspace,
                "channel": item.place.channel,
                "project": state.project,
                "sponsor": state.sponsor.name if state.sponsor else None,
                "owner": state.owner.name if state.owner else None,
                "stage": state.stage.value,
                "started_at": state.started_at.isoformat(),
                "finished_at": state.finished_at.isoformat() if state.finished_at else None,
                "answered": card.answered,
                "score": card.total,
                "percent": card.percent,
                "level": card.level.value,
                "weakest_pillar": card.weakest.value,
                "gaps": list(card.gaps),
                "explanation": card.explanation(),
                "answers": {
                    q.key: {
                        "number": q.number,
                        "title": q.title,
                        "score": card.scores[q.key],
                        "answer": describe(q, state.answers[q.key].values) if q.key in state.answers else None,
                        "values": dict(state.answers[q.key].values) if q.key in state.answers else None,
                        "by": state.answers[q.key].by.name if q.key in state.answers else None,
                        "at": state.answers[q.key].at.isoformat() if q.key in state.answers else None,
                        "skipped": q.key in state.skipped and q.key not in state.answers,
                    }
                    for q in QUESTIONS
                },
                "recommendations": [{"question": w.question, "recommendation": w.recommendation} for w in card.weaknesses],
                "history": [
                    {
                        "question": c.question,
                        "old": dict(c.old_value) if c.old_value is not None else None,
                        "new": dict(c.new_value) if c.new_value is not None else None,
                        "by": c.by.name,
                        "at": c.changed_at.isoformat(),
                    }
                    for c in (histories or {}).get(item.id, [])
                ],
            }
        )
    return out


def to_json(rows: list[dict[str, Any]]) -> str:
    return json.dumps(rows, indent=2, ensure_ascii=False, default=str) + "\n"  # amounts are Decimals: written as strings


def to_csv(rows: list[dict[str, Any]]) -> str:
    base = [
        "id",
        "platform",
        "workspace",
        "channel",
        "project",
        "sponsor",
        "owner",
        "stage",
        "answered",
        "score",
        "percent",
        "level",
        "gaps",
        "history",
    ]
    per_question = [f"{q.number}_{q.key}_{part}" for q in QUESTIONS for part in ("score", "answer", "by")]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(base + per_question)
    for row in rows:
        cells = [row[c] for c in base[:-2]] + [" ".join(row["gaps"]), json.dumps(row["history"], ensure_ascii=False, default=str)]
        for q in QUESTIONS:
            a = row["answers"][q.key]
            cells += [a["score"], a["answer"] or ("skipped" if a["skipped"] else ""), a["by"] or ""]
        writer.writerow(["" if c is None else c for c in cells])
    return buffer.getvalue()


def to_markdown(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "# Preflight assessments\n\nNo assessments yet.\n"
    lines = ["# Preflight assessments", ""]
    for row in rows:
        gaps = ", ".join(GAP_LABELS[g] for g in row["gaps"]) or "none"
        lines += [
            f"## {_md(row['project'])} — {row['percent']}%, {row['level']}",
            "",
            f"{row['platform']} · {_md(row['channel'])} · {row['stage']} · sponsor: {_md(row['sponsor'] or '—')} · "
            f"owner: {_md(row['owner'] or '—')} · blocking gaps: {gaps}",
            "",
            "| # | question | score | answer | by |",
            "|---|---|---|---|---|",
        ]
        for a in row["answers"].values():
            answer = a["answer"] or ("skipped" if a["skipped"] else "not answered")
            lines.append(f"| {a['number']} | {a['title']} | {a['score']:g} | {_md(answer)} | {_md(a['by'] or '')} |")
        if row["recommendations"]:
            lines += ["", "Next steps:"] + [f"- {_md(r['recommendation'])}" for r in row["recommendations"]]
        if row["history"]:
            lines += ["", "Changes:"] + [
                f"- {c['at']} · {c['question']} · {_md(c['by'])}: {_md(json.dumps(c['old'], default=str))} → {_md(json.dumps(c['new'], default=str))}"
                for c in row["history"]
            ]
        lines.append("")
    return "\n".join(lines)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(rows: list[dict[str, Any]], *, fmt: str) -> str:
    return {"csv": to_csv, "json": to_json, "md": to_markdown}[fmt](rows)
