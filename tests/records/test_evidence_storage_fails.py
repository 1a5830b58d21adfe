"""The evidence folder full or read-only: adding CPD with a file fails with a clear message on the form
(the error summary, the person's input kept), nothing is recorded, no ledger entry names a file that is
not there, and once there is room again the same form goes through, once.

As root (CI runs as root), the folder is a real tmpfs of its own, filled up or remounted read-only, so
the error comes from the kernel. Without the right to mount, read-only is a folder without write
permission, and full is the disk's "no space" error (ENOSPC) raised by os.fsync, where a full disk
reports it; the test prints which it used.
"""

from __future__ import annotations

import errno
import io
import os
import re
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import EvidenceFile, LedgerEntry, Role
from app.records import evidence_files
from app.records.ledger import verify_person
from tests.conftest import csrf_token_from, sign_in

PDF = b"%PDF-1.4\n" + b"0" * 20000 + b"\n%%EOF\n"


def _run(*command: str) -> bool:
    return subprocess.run(command, capture_output=True, check=False).returncode == 0  # noqa: S603


@contextmanager
def small_tmpfs(folder: Path) -> Iterator[bool]:
    """A 64 KB tmpfs at `folder` while the block runs; yields False when mounting is not allowed."""
    folder.mkdir(parents=True)
    mounted = os.geteuid() == 0 and _run("mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", str(folder))
    try:
        yield mounted
    finally:
        if mounted:
            _run("umount", "-l", str(folder))


@pytest.fixture(params=["full", "read-only"])
def failing_storage(request, app, tmp_path, monkeypatch) -> Iterator[tuple[str, str, callable]]:
    """The evidence folder, failing as asked; yields (how, what it is, a function that mends it)."""
    folder = tmp_path / f"evidence-{uuid.uuid4().hex[:6]}"
    monkeypatch.setitem(app.config, "EVIDENCE_DIR", str(folder))
    with small_tmpfs(folder) as mounted:
        if mounted and request.param == "full":
            filler = folder / "filler"
            with open(filler, "wb", buffering=0) as out, pytest.raises(OSError) as full:
                while True:
                    out.write(b"0" * 4096)
            assert full.value.errno == errno.ENOSPC
            yield request.param, "a 64 KB tmpfs filled up (the kernel's ENOSPC)", lambda: filler.unlink()
        elif mounted:
            assert _run("mount", "-o", "remount,ro", str(folder))
            yield (
                request.param,
                "a tmpfs remounted read-only (the kernel's EROFS)",
                lambda: _run("mount", "-o", "remount,rw", str(folder)),
            )
        elif request.param == "read-only":
            if os.geteuid() == 0:
                pytest.skip("as root without the right to mount, a folder cannot be made read-only")
            folder.chmod(0o500)
            yield request.param, "a folder without write permission (EACCES)", lambda: folder.chmod(0o700)
        else:
            full = [True]
            real_fsync = os.fsync

            def fsync_on_a_full_disk(descriptor):
                if full[0]:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                real_fsync(descriptor)

            monkeypatch.setattr(evidence_files.os, "fsync", fsync_on_a_full_disk)
            yield request.param, "os.fsync raising ENOSPC", lambda: full.__setitem__(0, False)


def test_a_full_or_read_only_evidence_folder_refuses_the_upload_clearly(app, make_school, make_person, failing_storage):
    how, simulated, mend = failing_storage
    person = make_person(make_school(), Role.TEACHER)
    client = app.test_client()
    sign_in(client, person)
    page = client.get("/cpd/external/new")
    once_key = re.search(r'name="once_key"[^>]*value="([^"]+)"', page.get_data(as_text=True)).group(1)
    form = {
        "csrf_token": csrf_token_from(page),
        "once_key": once_key,
        "title": "Makaton level 1",
        "provider": "The Makaton Charity",
        "activity_date": ["3", "11", "2025"],
        "hours": "6",
        "category": "course",
        "reflection": "Signing with the class every morning.",
    }

    response = client.post(
        "/cpd/external/new",
        data={**form, "evidence": (io.BytesIO(PDF), "makaton.pdf")},
        content_type="multipart/form-data",
    )
    page_text = response.get_data(as_text=True)
    print(f"\n[fault test] evidence folder {how} ({simulated}): answered {response.status_code}")
    assert response.status_code == 503
    assert "govuk-error-summary" in page_text
    storage_word = "full" if how == "full" else "not available"
    assert f"The evidence file could not be saved because the service&#39;s storage is {storage_word}" in page_text
    assert 'href="#evidence"' in page_text
    assert 'value="Makaton level 1"' in page_text and 'value="The Makaton Charity"' in page_text
    db.session.expire_all()
    assert db.session.scalars(select(LedgerEntry).where(LedgerEntry.user_id == person.id)).all() == []
    assert db.session.scalars(select(EvidenceFile)).all() == []
    assert not [path for path in Path(app.config["EVIDENCE_DIR"]).rglob("*.pdf")], "a partial file was left"

    # Room again: the same form, sent again, is recorded once, with its file.
    mend()
    for _ in range(2):
        again = client.post(
            "/cpd/external/new",
            data={**form, "evidence": (io.BytesIO(PDF), "makaton.pdf")},
            content_type="multipart/form-data",
        )
        assert again.status_code == 302
    db.session.expire_all()
    [entry] = db.session.scalars(select(LedgerEntry).where(LedgerEntry.user_id == person.id)).all()
    evidence = db.session.get(EvidenceFile, entry.payload["evidence"]["file_id"])
    assert (Path(app.config["EVIDENCE_DIR"]) / evidence.storage_path).read_bytes() == PDF
    assert verify_person(person.id) is None
