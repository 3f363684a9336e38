"""Helpers of the privacy tests: documents on file, an assessment and a collective decision over HTTP."""

from __future__ import annotations

import httpx

from support import clock


def attachment(http: httpx.Client, headers: dict, name: str = "minutes.pdf") -> int:
    """Upload a small document and return its attachment id."""
    r = http.post(
        "/api/v1/privacy/attachments",
        files={"file": (name, b"%PDF-1.4 minutes of the meeting", "application/pdf")},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    return r.json()["id"]


def assess(
    http: httpx.Client, headers: dict, dataset: str, element: str, conclusion: str = "necessary"
) -> httpx.Response:
    return http.post(
        "/api/v1/privacy/assessments",
        json={
            "dataset": dataset,
            "element": element,
            "necessity": "资助评定须核实家庭经济状况",
            "scientific_basis": "依据教育部资助政策文件",
            "ethics": "仅用于资助评定，不作他用",
            "impact": "泄露可能造成歧视，已加密存储",
            "conclusion": conclusion,
            "assessed_on": clock.iso(),
        },
        headers=headers,
    )


def decide(
    http: httpx.Client,
    headers: dict,
    assessment_id: int,
    outcome: str = "approved",
    attachment_id: int | None = None,
) -> httpx.Response:
    return http.post(
        f"/api/v1/privacy/assessments/{assessment_id}/decisions",
        json={
            "body": "学生工作部党政联席会",
            "meeting": "2026 年第 5 次党政联席会",
            "meeting_date": clock.iso(),
            "outcome": outcome,
            "attendees": "部长、副部长、书记",
            "attachment_id": attachment_id if attachment_id is not None else attachment(http, headers),
        },
        headers=headers,
    )


def approve(http: httpx.Client, headers: dict, dataset: str, element: str) -> None:
    r = assess(http, headers, dataset, element)
    assert r.status_code == 201, r.text
    r = decide(http, headers, r.json()["id"])
    assert r.status_code == 201, r.text
