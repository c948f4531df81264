"""Load a folder of documents (txt, md, html, pdf) into immutable `Document` records.

Every character offset used elsewhere (chunks, citations) refers to `Document.text`, so
loaders only ever normalise line endings, drop a leading BOM and trim the *tail*.
"""

from __future__ import annotations

import bisect
import codecs
import hashlib
import io
import logging
import os
import re
import stat
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

import charset_normalizer
import lxml.etree
import lxml.html
import pypdf
import trafilatura
from tqdm import tqdm

from qa.config import ConfigError


@dataclass(frozen=True)
class Document:
    """One loaded file; `text` is the exact string all offsets refer to."""

    id: str
    path: str
    title: str
    text: str
    content_hash: str
    format: str
    pages: tuple[int, ...] = ()

    def page_at(self, offset: int) -> int | None:
        """1-based page holding `offset`, so answers can cite "p. 3"; None without pages."""
        if not self.pages:
            return None
        return max(1, bisect.bisect_right(self.pages, offset))


class SkipFile(Exception):
    """A file we deliberately do not index; the reason (str(exc)) is shown to the user."""


for _noisy in ("pypdf", "trafilatura"):  # a broken file gets our one-line warning, not theirs
    logging.getLogger(_noisy).setLevel(logging.CRITICAL)

#: bumped whenever the text read from a file changes (2: a PDF's running header and footer
#: are dropped; 3: a justified line's widened spaces are single), so indexes holding the
#: older text are rebuilt
TEXT_VERSION = 3

_FORMATS = {
    ".txt": "txt",
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
}
SUPPORTED_SUFFIXES: frozenset[str] = frozenset(_FORMATS)
SUPPORTED_KINDS = ", ".join(sorted(SUPPORTED_SUFFIXES))  # for messages: ".htm, .html, …"

#: Files larger than this are skipped with a warning (and refused as uploads): every
#: character is embedded, so one huge log or data dump would hold up the whole index for
#: a long time on a small CPU. ``QA_MAX_FILE_MB`` changes it.
DEFAULT_MAX_FILE_MB = 20.0

_TITLE_MAX = 200
_SHORT_LINE_WORDS = 10  # boilerplate lines ("Leave a Reply", "Back to top") are this short
#: lines of page chrome: how sharing, comment, navigation, legal and sign-up lines begin,
#: or a share button's whole line
_CHROME = re.compile(
    r"(related (articles?|posts?|stories|news|content)|leave a (reply|comment)|share this|"
    r"follow us|subscribe|sign (up|in)\b|log ?in to|newsletter|back to top|skip to|"
    r"read (more|next)\b|more from|you may also like|tags?:|categor(y|ies):|filed under|"
    r"posted in|advertisement|sponsored|your email address|copyright|©|all rights reserved|"
    r"privacy policy|cookie (policy|settings|preferences)|terms (of (use|service)|and conditions)|"
    r"contact us|about us|(previous|next) (article|post)|"
    r"((share (on|via) )?(facebook|twitter|x|linkedin|whatsapp|pinterest|reddit|telegram|email|"
    r"print|home|menu|search)|(\d+ )?comments?)\W*$)",
    re.IGNORECASE,
)
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)  # UTF-32-LE first: its BOM starts like UTF-16-LE's
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")  # Cc minus \t \n \f \r
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
# Tag names, space-separated. Dropped: page chrome and code; block: ends a line of text.
_DROP_TAGS = "script style nav header footer aside noscript form template iframe svg button"
_BLOCK_TAGS = "p div br li tr td th pre blockquote section article main h1 h2 h3 h4 h5 h6 dd dt"


def boilerplate_start(text: str) -> int:
    """Offset where trailing web boilerplate begins, len(text) if there is none.

    Rule: walk non-blank lines from the end while they are short (under 10 words); stop at
    the first longer line. That trailing run is cut from its first line that reads like page
    chrome ("Related Articles", "Leave a Reply", "Share this:", "Back to top": a chrome
    phrase and at most two words more), and only if at least 2 of its lines do: short
    closing lines of a note ("Treasurer: Maria Lopez", "Next meeting: 14 March") are text,
    and one short last line is often a sign-off. Nothing is cut from a text made only of
    short lines (a list or a poem).
    """
    run: list[tuple[int, str]] = []  # (start, line), last line first
    end = len(text)
    while end > 0:
        start = text.rfind("\n", 0, end) + 1
        line = text[start:end]
        if line.strip():
            if len(line.split()) >= _SHORT_LINE_WORDS:
                chrome = [at for at, words in run if _is_chrome(words.strip())]
                return min(chrome) if len(chrome) >= 2 else len(text)
            run.append((start, line))
        end = start - 1
    return len(text)


def _is_chrome(line: str) -> bool:
    """A line of page chrome: it opens with a chrome phrase and says little more ("Back to
    top button", "Contact us: mail@…"). "Newsletter editor: Thomas Hale" or "Follow us on
    the notice board by the gate" open like chrome but are text."""
    found = _CHROME.match(line)
    return found is not None and len(line[found.end() :].split()) <= 2


def _mostly_utf8(data: bytes) -> str | None:
    """UTF-8 with a few stray bytes (a pasted cp1252 quote) as UTF-8, each stray byte shown as
    U+FFFD, rather than the whole file guessed as another encoding, or lost. "A few": up to
    4 (a pasted pair of quotes), no more than the real multi-byte characters, or 1 in 1,000
    characters; a legacy file (no real multi-byte character) is left to detection."""
    text = data.decode("utf-8", errors="replace")
    stray = text.count("\ufffd")
    decoded = sum(ord(ch) > 0x7F for ch in text) - stray  # real multi-byte characters
    return text if decoded > 0 and stray <= max(4, decoded, len(text) // 1000) else None


def _bomless_utf16(data: bytes) -> str | None:
    """UTF-16 written without a BOM (some Windows tools and exports do): in text that is mostly
    Latin script, every other byte is NUL. Binary data that happens to decode is still caught
    by the control-character check in ``_decode``."""
    head = data[:8192]
    if len(data) % 2 or len(head) < 4:
        return None
    for encoding, high in (("utf-16-le", head[1::2]), ("utf-16-be", head[0::2])):
        low = head[0::2] if encoding == "utf-16-le" else head[1::2]
        if high.count(0) >= 0.6 * len(high) and low.count(0) <= 0.05 * len(low):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                return None
    return None


def _decode(data: bytes, declared: str | None = None) -> str:
    """Bytes to text: BOM, then BOM-less UTF-16, strict UTF-8, the declared charset, detection."""
    text = next(
        (data.decode(enc, errors="replace") for bom, enc in _BOMS if data.startswith(bom)), None
    )
    if text is None and b"\x00" in data[:8192]:
        text = _bomless_utf16(data)
        if text is None:
            raise SkipFile("looks binary")
    if text is None:
        for encoding in ("utf-8", declared):
            try:
                text = data.decode(encoding) if encoding else None
            except (UnicodeDecodeError, LookupError):
                continue
            if text is not None:
                break
        if text is None:
            text = _mostly_utf8(data)
        if text is None:
            matches = charset_normalizer.from_bytes(data)
            best = matches.best()
            if best is None:
                raise SkipFile("unknown text encoding")
            # The detector often ranks cp775/cp857/cp1250 above cp1252 for French or German
            # (a "€" read as "Ć"), and on short texts may not list cp1252 at all; when cp1252
            # reads the bytes (nearly) as cleanly, the common Western legacy encoding wins.
            western = next((m for m in matches if m.encoding == "cp1252"), None)
            if western is None and best.encoding != "cp1252":
                western = charset_normalizer.from_bytes(data, cp_isolation=["cp1252"]).best()
            clean = western is not None and western.chaos <= best.chaos + 0.05
            text = str(western if clean else best)
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise SkipFile("empty file")
    sample = text[:65536]
    if len(_CONTROL.findall(sample)) > 0.05 * len(sample):
        raise SkipFile("looks binary")
    return text


def _first_line_title(text: str, markdown: bool = False) -> str:
    """First line with a letter or digit (skips "---" rules), whitespace collapsed."""
    for raw in text.split("\n"):
        line = " ".join((raw.lstrip().lstrip("#") if markdown else raw).split())
        if any(ch.isalnum() for ch in line):
            return line[:_TITLE_MAX].rstrip()
    return ""


_FIRST_SENTENCE = re.compile(r"^.{8,}?[.!?](?=\s+[A-Z])")


def _pdf_title(text: str) -> str:
    """A PDF without a title in its metadata: its first line, unless that is the start of a
    paragraph of wrapped text (a UI audit saw "Harbor Authority Annual Report 2023. Page one
    is the introduction. The harbor authority manages"): then its first sentence, if it
    ends on that line, else none (the file name is used)."""
    line = _first_line_title(text)
    lines = text.lstrip().split("\n", 2)  # the first two lines are all it looks at
    wrapped = len(lines) > 1 and bool(lines[1].strip()) and len(line) >= 60
    if not wrapped:
        return line
    first = _FIRST_SENTENCE.match(line)
    return first.group() if first else ""


def _html_title(tree: Any) -> str:
    """<title>, else og:title, else the first <h1>."""
    for found in (
        tree.xpath("string(//title)"),
        tree.xpath("string(//meta[@property='og:title']/@content)"),
        tree.xpath("string(//h1)"),
    ):
        title = " ".join(str(found).split())
        if title:
            return title[:_TITLE_MAX].rstrip()
    return ""


def _html_fallback_text(tree: Any) -> str:
    """Block text of the page minus scripts and chrome, for pages trafilatura rejects."""
    lxml.etree.strip_elements(tree, lxml.etree.Comment, *_DROP_TAGS.split(), with_tail=False)
    lxml.etree.strip_elements(tree, "head", with_tail=False)  # the title is not page text
    for el in tree.iter(*_BLOCK_TAGS.split()):
        el.text, el.tail = "\n" + (el.text or ""), "\n" + (el.tail or "")
    body = tree.find("body")
    lines = (
        " ".join(line.split())
        for line in str((tree if body is None else body).text_content()).split("\n")
    )
    return "\n".join(line for line in lines if line)


def _read_html(data: bytes) -> tuple[str, str]:
    """Main text (trafilatura, lxml fallback) and title of an HTML page."""
    match = _META_CHARSET.search(data[:4096])
    html = _XML_DECL.sub("", _decode(data, match.group(1).decode() if match else None), 1)
    try:
        tree = lxml.html.document_fromstring(html)
    except (lxml.etree.LxmlError, ValueError) as exc:
        raise SkipFile(f"unreadable HTML: {exc}") from exc
    title = _html_title(tree)
    try:
        text = trafilatura.extract(
            html,
            output_format="txt",
            include_comments=False,
            include_tables=True,
            deduplicate=False,
        )
    except Exception:  # trafilatura fails in many internal ways; the fallback copes
        text = None
    whole = _html_fallback_text(tree)
    if not text or _squeezed(text) == _squeezed(whole):
        # nothing to leave out: the page's own blocks, where trafilatura's small-page
        # fallback puts each <b> or <i> on a line of its own
        text = whole
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise SkipFile("no text in HTML")
    return text, title


def _squeezed(text: str) -> str:
    return "".join(text.split())


def _read_pdf(data: bytes) -> tuple[str, str, tuple[int, ...]]:
    """Pages joined by blank lines (a newline where one stops mid-sentence), title, and each
    page's start offset."""
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                opened = bool(reader.decrypt(""))
            except Exception:  # e.g. AES without the optional crypto backend
                opened = False
            if not opened:
                raise SkipFile("encrypted PDF")
        texts = [
            (page.extract_text() or "").replace("\r\n", "\n").replace("\r", "\n").strip()
            for page in reader.pages
        ]
        title = str((reader.metadata.title if reader.metadata else None) or "")
    except SkipFile:
        raise
    except Exception as exc:  # pypdf raises far more than PyPdfError on broken files
        raise SkipFile(f"unreadable PDF: {exc}") from exc
    if not any(t.strip() for t in texts):
        raise SkipFile("no text layer (scanned PDF?)")
    texts = [_unjustified(t) for t in _without_running_lines(texts)]
    starts: list[int] = []
    parts: list[str] = []
    pos = 0
    for n, page_text in enumerate(texts):
        if n:  # a page that stops mid-sentence ("… founder was" / "Captain Eleanor Voss, …")
            # goes on over the break, which the chunker may join as a wrapped line
            last = texts[n - 1][-1:]
            parts.append("\n" if last.isalnum() or last in ",-" else "\n\n")
            pos += len(parts[-1])
        starts.append(pos)
        parts.append(page_text)
        pos += len(page_text)
    return "".join(parts), " ".join(title.split())[:_TITLE_MAX], tuple(starts)


_DIGITS = re.compile(r"\d+")
_GAP = re.compile(r"(?<=\S)( +)(?=\S)")


def _unjustified(text: str) -> str:
    """``text`` with the widened spaces of justified lines as single ones: pypdf gives
    "Fens.  This  report  covers  the  year", which spaCy did not split into sentences and
    answers kept ("40  percent"). A line is justified when it has four gaps or more, each
    of two or three spaces; a table's columns ("Lock 9  3.1 m  1801"), where some gaps are
    single spaces and others wider, are left alone."""
    lines = text.split("\n")
    for n, line in enumerate(lines):
        gaps = [len(g) for g in _GAP.findall(line)]
        if len(gaps) >= 4 and all(g in (2, 3) for g in gaps):
            lines[n] = _GAP.sub(" ", line)
    return "\n".join(lines)


def _without_running_lines(texts: list[str]) -> list[str]:
    """Each page without its running header and footer: a line among the first or last two
    of a page whose wording starts or ends half the pages or more (at least two), its
    numbers the same on every page or counting the pages ("page 3", "3 of 10"). Left in,
    "Annual report 2024 — page 3" sat inside the sentence that ran over the page break,
    which then read and was cited as two. A table's rows, whose numbers change otherwise
    ("Lock 5 2.1 1798"), are no running line; the first page keeps its header lines, the
    document's title as often as not."""
    if len(texts) < 2:
        return texts
    pages = [t.split("\n") for t in texts]
    edges = [(n, line) for n, lines in enumerate(pages) for line in lines[:2] + lines[-2:]]
    seen: dict[str, list[tuple[int, list[int]]]] = {}
    for n, line in edges:
        shape = _shape(line)
        if shape.strip() and n not in {m for m, _ in seen.get(shape, [])}:
            seen.setdefault(shape, []).append((n, [int(d) for d in _DIGITS.findall(line)]))
    need = max(2, (len(pages) + 1) // 2)
    running = {shape for shape, found in seen.items() if len(found) >= need and _paged(found)}

    def chrome(line: str) -> bool:
        return _shape(line) in running

    out = []
    for n, lines in enumerate(pages):
        for _ in range(2):
            if n and lines and chrome(lines[0]):
                lines = lines[1:]
            if lines and chrome(lines[-1]):
                lines = lines[:-1]
        out.append("\n".join(lines).strip())
    return out if any(out) else texts  # all chrome: keep what there is


def _shape(line: str) -> str:
    """A line's wording with its numbers as "#": what a running line keeps from page to page."""
    return _DIGITS.sub("#", " ".join(line.split()).casefold())


def _paged(found: list[tuple[int, list[int]]]) -> bool:
    """Whether each number of a line repeated on several pages is the same on every page or
    moves with the page (page n shows n + a constant)."""
    if len({len(numbers) for _, numbers in found}) != 1:
        return False
    for column in zip(*(numbers for _, numbers in found), strict=True):
        same = len(set(column)) == 1
        counting = len({value - n for value, (n, _) in zip(column, found, strict=True)}) == 1
        if not (same or counting):
            return False
    return True


def _content_hash(data: bytes = b"") -> hashlib.blake2b:
    """The hash a document's ``content_hash`` records: blake2b-128 of the file's bytes."""
    return hashlib.blake2b(data, digest_size=16)


def file_hash(path: Path) -> str:
    """A file's ``content_hash`` as it is now, read in 1 MiB blocks (``Index.changed``)."""
    digest = _content_hash()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _display_path(path: Path, root: Path, display_root: str) -> str:
    """The path as the user would type it: their root plus the relative path."""
    return PurePath(display_root, path.relative_to(root)).as_posix()


def max_file_mb(env: dict[str, str] | None = None) -> float:
    """The size limit in MB (MiB, as Gradio counts): ``QA_MAX_FILE_MB`` or the default."""
    raw = (os.environ if env is None else env).get("QA_MAX_FILE_MB", "").strip()
    if not raw:
        return DEFAULT_MAX_FILE_MB
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise ConfigError(f"QA_MAX_FILE_MB must be a positive number of megabytes, not {raw!r}")
    return value


def too_big(size: int, limit_mb: float) -> str | None:
    """The one-line reason a file of ``size`` bytes is refused, or None if it is not."""
    if size <= limit_mb * 2**20:
        return None
    mb = size / 2**20
    shown = f"{mb:.1f}" if mb >= 0.1 else f"{mb:.2g}"
    return f"{shown} MB is over the {limit_mb:g} MB limit (QA_MAX_FILE_MB)"


def _unreadable(path: Path, exc: OSError) -> SkipFile:
    if isinstance(exc, FileNotFoundError):
        if path.is_symlink():
            return SkipFile("broken link (its target does not exist)")
        return SkipFile("gone (deleted or moved while indexing)")
    return SkipFile(f"unreadable: {exc.strerror or exc}")


def load_file(path: Path, root: Path, display_root: str, max_mb: float | None = None) -> Document:
    """Load one file; raises SkipFile (never OSError) so one bad file never stops a run.

    Files over ``max_mb`` (default: :func:`max_file_mb`) are skipped before being read.
    """
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise SkipFile(f"unsupported format {path.suffix or '(no extension)'}")
    try:
        path.relative_to(root).as_posix().encode("utf-8")
    except UnicodeEncodeError:  # bytes the file system gave that are not UTF-8
        raise SkipFile("its name is not valid UTF-8; rename the file to index it") from None
    limit = max_file_mb() if max_mb is None else max_mb
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):  # a FIFO would block read_bytes forever
            raise SkipFile("not a regular file")
        reason = too_big(info.st_size, limit)
        if reason:
            raise SkipFile(reason)
        with path.open("rb") as fh:  # read no more than the limit, should the file grow
            data = fh.read(int(limit * 2**20) + 1)
    except OSError as exc:
        raise _unreadable(path, exc) from exc
    reason = too_big(len(data), limit)
    if reason:
        raise SkipFile(reason)
    if not data.strip():
        raise SkipFile("empty file")
    pages: tuple[int, ...] = ()
    if fmt == "pdf":
        text, title, pages = _read_pdf(data)
    else:
        text, title = _read_html(data) if fmt == "html" else (_decode(data), "")
        text = text[: boilerplate_start(text)].rstrip()
    rel = path.relative_to(root).as_posix()
    return Document(
        id=hashlib.blake2b(rel.encode(), digest_size=8).hexdigest(),
        path=_display_path(path, root, display_root),
        title=title
        or (_pdf_title(text) if fmt == "pdf" else _first_line_title(text, markdown=fmt == "md"))
        or path.stem,
        text=text,
        content_hash=_content_hash(data).hexdigest(),
        format=fmt,
        pages=pages,
    )


def iter_files(
    root: Path,
    skipped: Callable[[Path, str], None] | None = None,
    leave_out: Path | None = None,
) -> list[Path]:
    """All non-hidden files under root, sorted, except those in the folder ``leave_out``
    (the index, when it lies among the documents).

    Links to folders are not followed (they can loop, or pull in a whole disk); each one,
    and each folder that cannot be listed, is reported to ``skipped(path, reason)``.
    """
    left_out = leave_out.resolve() if leave_out is not None else None
    report = skipped or (lambda _path, _reason: None)
    found: list[Path] = []

    def unlisted(exc: OSError) -> None:
        report(Path(exc.filename), f"unreadable folder: {exc.strerror or exc}")

    for dirpath, dirnames, filenames in os.walk(root, onerror=unlisted, followlinks=False):
        kept = []
        for name in dirnames:
            path = Path(dirpath, name)
            if name.startswith(".") or (left_out is not None and path.resolve() == left_out):
                continue
            if path.is_symlink():
                report(path, _folder_link_reason(path))
            else:
                kept.append(name)
        dirnames[:] = kept
        found.extend(Path(dirpath, f) for f in filenames if not f.startswith("."))
    return sorted(found)


def _folder_link_reason(link: Path) -> str:
    target = link.resolve()
    if link.parent.resolve().is_relative_to(target):
        return "link loop (points back to a folder that contains it); not followed"
    return "link to a folder; not followed (index that folder itself, or copy it in)"


def _print_warning(message: str) -> None:
    """Default warn: one line on stderr, written around any progress bar."""
    tqdm.write(f"warning: {message}", file=sys.stderr)


def load_folder(
    root: str | Path,
    warn: Callable[[str], None] | None = None,
    progress: bool = False,
    leave_out: Path | None = None,
) -> list[Document]:
    """Load every supported file under root (or the single file root) but those in the folder
    ``leave_out``; warn about the rest.

    Each file that is not indexed gets exactly one one-line warning naming it and why.
    """
    warn = warn or _print_warning
    given = Path(root)
    limit = max_file_mb()  # read once: a bad QA_MAX_FILE_MB fails before any file is read
    if given.is_dir():
        base, display_root = given, str(root)
        files = iter_files(
            given,
            lambda path, reason: warn(
                f"skipped {_display_path(path, base, display_root)}: {reason}"
            ),
            leave_out,
        )
    elif given.is_file():
        base, display_root, files = given.parent, str(PurePath(root).parent), [given]
    elif given.exists():
        raise NotADirectoryError(f"not a folder or a document file: {root}")
    else:
        raise FileNotFoundError(f"document folder not found: {root}")
    docs: list[Document] = []
    bar = tqdm(
        files,
        desc="loading documents",
        unit="file",
        file=sys.stderr,
        disable=None if progress else True,
    )
    for path in bar:
        try:
            docs.append(load_file(path, base, display_root, limit))
        except SkipFile as exc:
            warn(f"skipped {_display_path(path, base, display_root)}: {exc}")
        except OSError as exc:  # belt and braces: a race with a deleted file must not abort
            warn(f"skipped {_display_path(path, base, display_root)}: unreadable: {exc}")
    return docs
