"""A site export folder as a crawl (``crawl_folder``): its .html and .md files, each a
regular file inside the folder, at most --max-bytes, read within --time-budget in all."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

from crawl.extract import Extracted, extract_html, extract_markdown, to_record
from crawl.report import CrawlReport
from pipeline.clock import now
from pipeline.config import CrawlOptions
from pipeline.errors import CrawlError
from pipeline.progress import ProgressCallback, ProgressEvent

PAGE_SUFFIXES = (".html", ".htm", ".md", ".markdown")


def _display(name: str) -> str:
    """A file name as recorded: bytes that are not UTF-8 (a name from another system) shown
    as U+FFFD, so that the record can be written."""
    return os.fsencode(name).decode("utf-8", "replace")


def _read_page_file(path: Path, root: str, max_bytes: int) -> tuple[str | None, str]:
    """A page file's text, or None and why it is skipped: only regular files whose real path
    lies inside the folder (a link may point elsewhere inside it), at most ``max_bytes``."""
    real = os.path.realpath(path)
    if real != root and not real.startswith(root.rstrip(os.sep) + os.sep):
        return None, "a link to outside the folder: not read"
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(real, flags)
    except OSError as exc:
        return None, f"unreadable ({exc.strerror or exc})"
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fh.fileno())
        if not stat.S_ISREG(info.st_mode):
            return None, "not a regular file"
        if info.st_size > max_bytes:
            return None, f"larger than {max_bytes} bytes"
        try:
            data = fh.read(max_bytes + 1)
        except OSError as exc:
            return None, f"unreadable ({exc.strerror or exc})"
    if len(data) > max_bytes:
        return None, f"larger than {max_bytes} bytes"
    return data.decode("utf-8", "replace"), ""


def _page_files(folder: Path, deadline: float, report: CrawlReport) -> list[Path]:
    """The page files of ``folder`` and its subfolders, sorted; links to folders are recorded,
    not followed."""
    files: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        if time.monotonic() >= deadline:
            break
        for name in dirnames:
            if os.path.islink(os.path.join(dirpath, name)):
                rel = Path(dirpath, name).relative_to(folder).as_posix()
                report.skip(_display(rel), "a link to a folder: not followed")
        files.extend(Path(dirpath, n) for n in filenames if Path(n).suffix.lower() in PAGE_SUFFIXES)
    files.sort()
    return files


def _read_page(
    path: Path, rel: str, root: str, opts: CrawlOptions, report: CrawlReport
) -> Extracted | None:
    """The copy of one page file; None when it is skipped (recorded)."""
    source, why = _read_page_file(path, root, opts.max_bytes)
    if source is None:
        report.skip(rel, why)
        return None
    started = time.monotonic()
    page: Extracted = (
        extract_markdown(source)
        if path.suffix.lower() in (".md", ".markdown")
        else extract_html(source, url=rel)
    )
    report.extract_seconds += time.monotonic() - started
    if page.plain:
        report.warnings.append(f"{rel}: read as plain text ({page.plain})")
    if not page.text.strip():
        report.skip(rel, "no text")
        return None
    return page


def crawl_folder(
    folder: Path, opts: CrawlOptions, report: CrawlReport, on_progress: ProgressCallback
) -> None:
    """A site export: its .html and .md files, within --max-bytes each and --time-budget in
    all. Links to folders are not followed; links to files outside the folder, and anything
    but a regular file, are skipped and recorded."""
    deadline = time.monotonic() + opts.time_budget
    root = os.path.realpath(folder)
    files = _page_files(folder, deadline, report)
    if not files:
        raise CrawlError(
            f"{folder}: no .html or .md files found; pass a site export folder or a URL"
        )
    on_progress(ProgressEvent("total", total=len(files)))
    for i, path in enumerate(files, start=1):
        if time.monotonic() >= deadline:
            report.stopped = f"time budget ({opts.time_budget:g} s) used up"
            break
        rel = _display(path.relative_to(folder).as_posix())
        page = _read_page(path, rel, root, opts, report)
        if page is None:
            continue
        report.pages.append(to_record(rel, rel, 200, page, now(), source_file=_display(str(path))))
        on_progress(ProgressEvent("advance", done=i, total=len(files), item=rel))
