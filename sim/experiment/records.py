"""Run records as stored on disk: each names the job it answers and carries a checksum.

A run file is one JSON object::

    {"format": "salesim-run/1",
     "job": {"spec": ..., "id": ..., "label": ..., "point": ..., "replication": ..., "seed": ...},
     "record": {...what the worker returned...},
     "sha256": "<hex>"}

``job`` says which run of which experiment the file answers (``spec`` is the
hash of the experiment's spec); ``sha256`` is the SHA-256 of the canonical
JSON (sorted keys, no spaces) of the other three fields. :func:`decode`
accepts a file only if it parses, its checksum matches and it answers the job
it is read for; otherwise it raises :class:`RecordError` saying why, and the
store sets the file aside and runs the job again.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sim.experiment.jobs import Job

FORMAT = "salesim-run/1"
KEY_FIELDS = ("id", "label", "point", "replication", "seed")  # what a record and its job must agree on


class RecordError(Exception):
    """A run file that cannot be used; the message says why in a few words."""


def canonical(obj: Any) -> bytes:
    """The canonical JSON bytes of ``obj``: sorted keys, no whitespace, floats as Python's exact repr."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def spec_hash(spec: dict[str, Any]) -> str:
    """Short hash of an experiment's spec, stamped on each of its run records."""
    return hashlib.sha256(canonical(spec)).hexdigest()[:16]


def job_key(job: Job, spec: str) -> dict[str, Any]:
    """What a run file must answer: the experiment (spec hash) and the job's identity and seed."""
    return {"spec": spec, "id": job.id, "label": job.label, "point": job.point,
            "replication": job.replication, "seed": job.seed}


def encode(record: dict[str, Any], key: dict[str, Any]) -> str:
    """The text of a run file for ``record``, answering the job ``key``.

    Raises:
        RecordError: the record itself is not the answer to ``key`` (a runner bug, never written).
    """
    _check_fields(record, key)
    body = {"format": FORMAT, "job": key, "record": record}
    return json.dumps({**body, "sha256": _digest(body)}, separators=(",", ":"))


def decode(text: str | bytes, key: dict[str, Any]) -> dict[str, Any]:
    """The record in a run file, if the file is intact and answers the job ``key``.

    Raises:
        RecordError: the file is truncated or not JSON, not a run record, fails its checksum,
            or answers another job or experiment.
    """
    try:
        obj = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        raise RecordError("not valid JSON (truncated or garbage)") from None
    if not isinstance(obj, dict) or obj.get("format") != FORMAT or set(obj) != {"format", "job", "record", "sha256"}:
        raise RecordError(f"not a {FORMAT} record (written by another version, or not a run file)")
    body = {k: obj[k] for k in ("format", "job", "record")}
    if obj["sha256"] != _digest(body):
        raise RecordError("checksum mismatch (the file was edited or damaged)")
    job = obj["job"]
    if not isinstance(job, dict) or not isinstance(obj["record"], dict):
        raise RecordError("malformed run record")
    if job.get("spec") != key["spec"]:
        raise RecordError("belongs to another experiment (spec hash differs)")
    _check_fields(obj["record"], key)
    wrong = [k for k in KEY_FIELDS if job.get(k) != key[k]]
    if wrong:
        raise RecordError(f"answers another job ({_differences(job, key, wrong)})")
    return obj["record"]


def _digest(body: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(body)).hexdigest()


def _check_fields(record: dict[str, Any], key: dict[str, Any]) -> None:
    wrong = [k for k in KEY_FIELDS if record.get(k) != key[k]]
    if wrong:
        raise RecordError(f"holds the record of another job ({_differences(record, key, wrong)})")


def _differences(got: dict[str, Any], want: dict[str, Any], fields: list[str]) -> str:
    shown = [k for k in fields if k != "id"] or fields  # the id repeats the others; name it only if alone
    return ", ".join(f"{k} {got.get(k)!r} instead of {want[k]!r}" for k in shown)
