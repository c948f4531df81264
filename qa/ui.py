"""The browser UI (Gradio 6): ask, read the cited sentences, open them in their documents.

Nothing below this module imports it. Heavy work (loading the model) starts in a background
thread after the server is up, so the page answers at once; the first question waits for it.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import tempfile
import threading
import unicodedata
from pathlib import Path, PurePath, PurePosixPath
from typing import Any

from qa.answer import Answer, Citation, answerer
from qa.config import DEFAULT_INDEX_DIR, ConfigError, Settings, default_corpus_dir
from qa.documents import (
    SUPPORTED_KINDS,
    SUPPORTED_SUFFIXES,
    Document,
    SkipFile,
    load_file,
    max_file_mb,
    too_big,
)
from qa.embedding import Embedder
from qa.index import Index, IndexProblem, build, differences, recorded_source
from qa.retrieval import Hit, QueryError, open_searcher, say

_DOC_WINDOW = 20_000  # characters of a long document shown around the cited span

EXAMPLES = [
    "Who was known as the Lion of Panjshir?",
    "Where did President Ashraf Ghani flee to?",
    "Which newspaper published Massoud's op-ed?",
    "What did the Taliban claim to have captured?",
]

CSS = """
.qa-answer {font-size: 1.1rem; line-height: 1.6}
.qa-answer mark.qa-short {background: #fde68a; font-weight: 600; padding: 0 2px}
.qa-answer strong.qa-reply {margin-right: 0.3em}
.qa-notfound {border-left: 4px solid #9ca3af; padding-left: .8rem}
a.qa-cite {font-weight: 600; text-decoration: none; cursor: pointer; color: #2563eb}
.qa-source {border: 1px solid #e5e7eb; border-radius: 8px; padding: .6rem .8rem; margin: .5rem 0}
.qa-file {color: #6b7280; font-family: monospace; font-size: .85rem}
.qa-also {color: #6b7280; font-size: .85rem}
.qa-passage {margin: .4rem 0; white-space: pre-wrap}
.qa-passage mark.qa-hl, .qa-doctext mark.qa-cited {background: #fef08a}
.qa-doctext {white-space: pre-wrap; max-height: 24rem; overflow-y: auto; padding: .5rem;
             background: #f9fafb; border-radius: 6px}
mark.qa-flash {outline: 2px solid #f59e0b}
"""

JS = """
() => {
  document.addEventListener('click', (event) => {
    const link = event.target.closest('a.qa-cite');
    if (!link) return;
    event.preventDefault();
    const n = link.dataset.n;
    const mark = document.getElementById('qa-cite-' + n);
    const doc = mark && mark.closest('details');  // a card's document holds all its marks
    if (doc) doc.open = true;
    if (mark) {
      mark.scrollIntoView({block: 'center'});
      document.querySelectorAll('mark.qa-flash').forEach((m) => m.classList.remove('qa-flash'));
      mark.classList.add('qa-flash');
    }
  });
}
"""


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _marked(text: str, start: int | None, end: int | None, cls: str, mark_id: str = "") -> str:
    """``text`` escaped, with ``text[start:end]`` in a <mark>."""
    if start is None or end is None:
        return _e(text)
    return _marked_all(text, [(start, end, mark_id)], cls)


def _marked_all(text: str, spans: list[tuple[int, int, str]], cls: str) -> str:
    """``text`` escaped, each ``text[start:end]`` of ``spans`` in a <mark> (with the id
    given, if any); spans out of range or overlapping an earlier one are left unmarked."""
    out, at = [], 0
    for start, end, mark_id in sorted(spans):
        if not at <= start < end <= len(text):
            continue
        ident = f' id="{mark_id}"' if mark_id else ""
        out.append(f'{_e(text[at:start])}<mark class="{cls}"{ident}>{_e(text[start:end])}</mark>')
        at = end
    return "".join(out) + _e(text[at:])


def _cite(n: int) -> str:
    return f'<a class="qa-cite" data-n="{n}" href="#qa-cite-{n}">[{n}]</a>'


def _asked(answer: Answer) -> str:
    """The question this answer is to (the box may have been edited since)."""
    read = ""
    if answer.read_as:  # a misspelt word was read as the documents' nearest word
        read = f' <span class="qa-read-as">(read as: {_e(answer.read_as)})</span>'
    return f'<p class="qa-file qa-asked">{_e(answer.question.strip())}{read}</p>'


def render_answer(answer: Answer) -> str:
    if answer.abstained:  # say how close the best reading came, not that nothing answers
        closest = _e(answer.why_not_found())
        return (
            f'<div class="qa-answer qa-notfound">{_asked(answer)}<p><strong>Not found in these '
            f"documents.</strong></p><p>{closest}</p></div>"
        )
    parts = [
        _marked(s.text, s.short_start, s.short_end, "qa-short") + " " + _cite(s.citation)
        for s in answer.sentences
    ]
    if answer.short_answer and all(s.short_start is None for s in answer.sentences):
        # a reply no word of the sentence shows ("No", read off "is not related"): said first
        parts.insert(0, f'<strong class="qa-reply">{_e(answer.short_answer)}.</strong>')
    return (
        f'<div class="qa-answer">{_asked(answer)}<p>{" ".join(parts)}</p>'
        f'<p class="qa-file">confidence {answer.confidence:.2f}</p></div>'
    )


def render_sources(answer: Answer, documents: dict[str, Document]) -> str:
    if answer.abstained:
        items = "".join(_closest(hit) for hit in answer.hits)
        return f'<div class="qa-sources"><h4>Closest passages</h4>{items}</div>'
    cards: dict[tuple[str, int, int], list[Citation]] = {}
    for c in answer.citations:  # the citations of one passage share its card
        cards.setdefault((c.path, c.passage.start, c.passage.end), []).append(c)
    return (
        '<div class="qa-sources"><h4>Sources</h4>'
        + "".join(_source(group, documents) for group in cards.values())
        + "</div>"
    )


def _changed_note(stale: dict[str, list[str]], corpus: Path, index_dir: Path) -> str:
    """Say which shown documents changed on disk, or were deleted, after indexing
    (``Index.stale``): what is shown (and where it is highlighted) is the text as indexed."""
    said = []
    for what, paths in stale.items():
        if paths:
            since = "since it was" if len(paths) == 1 else "since they were"
            said.append(f"{', '.join(Path(p).name for p in paths)} {what} {since} indexed")
    if not said:
        return ""
    other = index_dir != DEFAULT_INDEX_DIR
    command = f"qa index {corpus}" + (f" --index-dir {index_dir}" if other else "")
    return (
        f'<p class="qa-file qa-changed">{_e("; ".join(said))}: the text shown is the indexed '
        f"version. To update, run <code>{_e(command)}</code> and ask again.</p>"
    )


def _closest(hit: Hit) -> str:
    src = hit.sources[0]
    also = _also(hit.sources[1:])
    page = _pages(src.page, src.page_end)
    return (
        f'<div class="qa-source"><div><b>{_e(src.title)}</b> '
        f'<span class="qa-file">{_e(Path(src.path).name)}{page}</span>{also}</div>'
        f'<div class="qa-passage">{_e(hit.text)}</div></div>'
    )


def _pages(page: int | None, page_end: int | None) -> str:
    """ " · page 3", or " · pages 3–4" for a passage running onto the next; "" without pages."""
    if not page:
        return ""
    return f" · pages {page}–{page_end}" if page_end and page_end != page else f" · page {page}"


def _also(sources: Any) -> str:
    names = [Path(s.path).name for s in sources]
    return f' <span class="qa-also">also in: {_e(", ".join(names))}</span>' if names else ""


def _viewer(doc: Document, marks: list[tuple[str, int, int]], label: str) -> str:
    """The whole document (a window of a long one), the cited spans marked, collapsed until
    a citation link is clicked (``marks``: citation key, start, end)."""
    lo = max(0, min(start for _, start, _ in marks) - _DOC_WINDOW)
    hi = min(len(doc.text), max(end for _, _, end in marks) + _DOC_WINDOW)
    spans = [(start - lo, end - lo, f"qa-cite-{key}") for key, start, end in marks]
    body = _marked_all(doc.text[lo:hi], spans, "qa-cited")
    body = ("… " if lo else "") + body + (" …" if hi < len(doc.text) else "")
    return (
        f'<details class="qa-doc" id="qa-doc-{marks[0][0]}"><summary>{_e(label)}: '
        f'{_e(doc.title)}</summary><div class="qa-doctext">{body}</div></details>'
    )


def _source(group: list[Citation], documents: dict[str, Document]) -> str:
    """One card per passage: the citations found in it are marked in it together (a UI
    audit saw the same passage shown twice, once for each of two sentences of it)."""
    c = group[0]
    doc = documents.get(c.path)
    passage = doc.text[c.passage.start : c.passage.end] if doc else ""
    page = _pages(c.page, c.page_end)
    marks = [(str(g.number), g.start, g.end) for g in group]
    viewers = [_viewer(doc, marks, "Whole document")] if doc else []
    copies = []
    for g in group:
        for j, other in enumerate(g.also_in, 1):  # each copy opens in its own document
            key = f"{g.number}-{j}"
            name = _e(Path(other.path).name)
            copies.append(f'<a class="qa-cite" data-n="{key}" href="#qa-cite-{key}">{name}</a>')
            if other.path in documents:
                mark = [(key, other.start, other.end)]
                viewers.append(_viewer(documents[other.path], mark, "Also in"))
    also = f' <span class="qa-also">also in: {", ".join(copies)}</span>' if copies else ""
    lit = [(g.start - c.passage.start, g.end - c.passage.start, "") for g in group]
    return (
        f'<div class="qa-source" id="qa-source-{c.number}"><div>'
        f"{' '.join(_cite(g.number) for g in group)} "
        f'<b>{_e(c.title)}</b> <span class="qa-file">{_e(Path(c.path).name)}{page}</span>'
        f"{also}</div>"
        f'<div class="qa-passage">{_marked_all(passage, lit, "qa-hl")}</div>'
        f"{''.join(viewers)}</div>"
    )


def safe_name(name: str) -> str:
    """A file name that stays inside the corpus folder: no path, no odd characters.

    NFKC first, so fullwidth "．．／" cannot become "../" after the path is dropped; then only
    letters, digits, "_-. " survive (NUL, RTL overrides and other format characters do not);
    the stem is cut to 150 UTF-8 bytes, as Linux refuses names over 255.
    """
    text = unicodedata.normalize("NFKC", name).replace("\\", "/")
    base = re.sub(r"[^\w.\- ]", "_", PurePosixPath(text).name)
    base = re.sub(r"\.{2,}", ".", base).strip(" .")
    stem, dot, suffix = base.rpartition(".")
    stem = stem.encode()[:150].decode(errors="ignore").strip(" .")
    if not dot or not stem or not suffix:
        raise ValueError(f"{name!r} has no usable file name")
    return f"{stem}.{suffix.lower()[:10]}"


class App:
    """The state behind the page: settings, corpus folder, and a lock for index writes."""

    def __init__(self, settings: Settings, corpus: Path) -> None:
        self.settings = settings
        self.corpus = corpus
        self.write_lock = threading.Lock()

    def warm_up(self) -> None:
        """Load the index and the models before the first question."""
        try:
            searcher = open_searcher(self.settings)
            searcher.search("What warms up the model?", k=1)  # a question: loads the reader
            answerer(self.settings).ask("Who warmed up the model?", k=1)
        except Exception as exc:  # shown on the first question instead
            say(f"warm-up failed: {exc}")

    def ask(self, question: str, k: float) -> tuple[str, str, str, str]:
        if not isinstance(k, int | float) or not float(k).is_integer() or k < 1:
            message = f"Passages to read must be a whole number, 1 or more, not {k!r}."
            return f'<div class="qa-answer qa-notfound">{_e(message)}</div>', "", "", "{}"
        try:
            settings = self.settings.with_(k=int(k))
            answer = answerer(settings).ask(question, k=settings.k)
        except QueryError as exc:
            message = f"{str(exc).capitalize()}: type a question about your documents."
            return f'<div class="qa-answer qa-notfound">{_e(message)}</div>', "", "", "{}"
        except IndexProblem as exc:
            return f'<div class="qa-answer qa-notfound">{_e(str(exc))}</div>', "", "", "{}"
        index = open_searcher(settings).index
        changed = _changed_note(index.stale(answer.paths()), self.corpus, settings.index_dir)
        sources = render_sources(answer, index.by_path) + changed
        n = len(answer.hits)
        timing = f"Answered in {answer.seconds:.2f} s from {n} passage{'' if n == 1 else 's'}."
        raw = json.dumps(answer.to_json(), ensure_ascii=False, indent=1)
        html = render_answer(answer)
        return html, sources, timing, raw

    def add(self, files: list[str] | None) -> str:
        """Save uploaded files into the corpus folder and index them; the status as HTML."""
        if not files:
            return _e(f"Choose a file first ({SUPPORTED_KINDS}).")
        messages: list[str] = []
        added = 0
        with self.write_lock:
            for upload in files:
                try:
                    message, saved = self._save(Path(upload))
                    messages.append(message)
                    added += saved
                except (ValueError, SkipFile, OSError) as exc:
                    messages.append(f"Not added: {exc}")
            if added:
                index = build(self.corpus, self.settings, progress=True, rebuild=False, warn=say)
                counts = index.manifest["counts"]
                documents = counts["documents"]
                messages.append(
                    f"Indexed: {documents} document{'' if documents == 1 else 's'}, "
                    f"{counts['chunks']} passages. The next question can use it."
                )
        return "<br>".join(_e(m) for m in messages)  # one line per file

    def _save(self, upload: Path) -> tuple[str, bool]:
        """Copy an upload into the corpus: never over another file (a different one with the
        same name is saved as name-2.txt); the same file again is not copied twice."""
        name = safe_name(upload.name)
        if Path(name).suffix not in SUPPORTED_SUFFIXES:
            raise ValueError(f"{name}: only {SUPPORTED_KINDS} files can be added")
        reason = too_big(upload.stat().st_size, max_file_mb())  # the indexer's limit too
        if reason:
            raise ValueError(f"{name}: {reason}")
        with tempfile.TemporaryDirectory() as tmp:
            staged = Path(tmp, name)
            shutil.copyfile(upload, staged)
            try:
                load_file(staged, Path(tmp), tmp)  # refuse what the indexer would skip
            except SkipFile as exc:
                raise ValueError(f"{name}: {exc}") from None
            self.corpus.mkdir(parents=True, exist_ok=True)
            target, data = self.corpus / name, staged.read_bytes()
            stem, suffix, n = target.stem, target.suffix, 1
            while target.exists():
                if target.is_file() and target.read_bytes() == data:
                    return f"{target.name} is already in the documents.", False
                n += 1
                target = self.corpus / f"{stem}-{n}{suffix}"
            if target.resolve().parent != self.corpus.resolve():
                raise ValueError(f"{name}: not a plain file name")
            partial = self.corpus / f".{target.name}.part"
            shutil.copyfile(staged, partial)
            os.replace(partial, target)
        if target.name != name:
            return f"Added {name} as {target.name} (another {name} is already there).", True
        return f"Added {name}.", True


def build_ui(app: App) -> Any:
    import gradio as gr

    # Uploads land in Gradio's cache first (refused ones too): clear anything older than an
    # hour, every hour; accepted files have been copied into the corpus by then.
    with gr.Blocks(
        title="qa — ask your documents", analytics_enabled=False, delete_cache=(3600, 3600)
    ) as demo:
        gr.Markdown(
            "## qa — ask your documents\nAnswers come only from your files, with citations."
        )
        with gr.Row():
            question = gr.Textbox(
                label="Question",
                placeholder="Ask something your documents answer…",
                scale=5,
                elem_id="qa-question",
                autofocus=True,
            )
            ask = gr.Button("Ask", variant="primary", scale=1, elem_id="qa-ask")
        # labels name the outputs for gradio_client's view_api; the page does not show them
        answer_html = gr.HTML(
            label="answer", show_label=False, elem_id="qa-answer", js_on_load=None
        )
        sources_html = gr.HTML(
            label="sources", show_label=False, elem_id="qa-sources", js_on_load=None
        )
        with gr.Accordion("Settings", open=False):
            k = gr.Slider(1, 10, value=app.settings.k, step=1, label="Passages to read")
            timing = gr.Markdown(label="timing", elem_id="qa-timing")
            if app.corpus.resolve() == default_corpus_dir().resolve():  # about the seeds only
                gr.Examples(EXAMPLES, inputs=[question], label="Example questions (seeds)")
            with gr.Accordion("Answer as JSON (as qa ask --json)", open=False):
                # a string, not gr.JSON: gradio_client takes {"path": …} for files to download
                raw = gr.Code(language="json", label="json", show_label=False)
        with gr.Accordion("Add documents", open=False):
            files = gr.File(
                label=f"Upload {SUPPORTED_KINDS} files (up to {max_file_mb():g} MB each)",
                file_count="multiple",
                file_types=sorted(SUPPORTED_SUFFIXES),
                type="filepath",
                elem_id="qa-upload",
            )
            add = gr.Button("Add to the index", elem_id="qa-add")
            status = gr.HTML(elem_id="qa-upload-status")  # file names are not Markdown
        outputs = [answer_html, sources_html, timing, raw]
        # one spinner, on the answer: the sources' own sat over the Settings bar
        # the button, Enter and the API share one pool of answering workers (measured size)
        workers = app.settings.concurrency
        ask.click(
            app.ask,
            [question, k],
            outputs,
            api_name="ask",
            show_progress_on=answer_html,
            concurrency_limit=workers,
            concurrency_id="ask",
            trigger_mode="always_last",  # a question asked while one runs is answered next
        )
        question.submit(
            app.ask,
            [question, k],
            outputs,
            api_visibility="private",
            show_progress_on=answer_html,
            concurrency_limit=workers,
            concurrency_id="ask",
            trigger_mode="always_last",  # a question asked while one runs is answered next
        )

        def add_files(
            paths: list[str] | None,
            progress: Any = gr.Progress(track_tqdm=True),  # noqa: B008 - Gradio's idiom
        ) -> str:
            return app.add(paths)

        added = add.click(add_files, [files], [status], api_name="add")
        # the chosen files are cleared, so the next add sends only what is chosen then
        added.then(lambda: None, None, [files], api_visibility="private")
    return demo


def _check_corpus(corpus: Path, recorded: Path, index_dir: Path) -> None:
    """Refuse to serve ``corpus`` over an index of another folder when documents indexed
    there are not in it: the first upload re-indexes ``corpus`` and would drop them (a UI
    audit lost an index's documents this way). A copy of the folder is fine."""
    index = Index.open(index_dir)
    given = PurePath(index.manifest.get("source", {}).get("path") or recorded)
    missing = []
    for doc in index.documents.values():
        try:
            here = corpus / PurePath(doc.path).relative_to(given)
        except ValueError:
            here = corpus / Path(doc.path).name
        if not here.exists():
            missing.append(doc.path)
    if missing:
        raise ConfigError(
            f"{index_dir}/ indexes the documents of {recorded}/, and {len(missing)} of them "
            f"(e.g. {missing[0]}) are not in {corpus}/: an upload would index {corpus}/ alone "
            f"and drop them. Leave out --corpus to serve {recorded}/, or give {corpus}/ an "
            "index of its own (--index-dir)."
        )


def _outdated(settings: Settings) -> list[str] | None:
    """How the index differs from what the current code and settings build (None: it fits,
    or it cannot be opened, which the first question reports)."""
    try:
        manifest = json.loads((settings.index_dir / "manifest.json").read_text(encoding="utf-8"))
        found = differences(manifest, settings, Embedder(settings).identity())
    except (OSError, ValueError, AttributeError):  # no manifest, or not one: reported later
        return None
    return found or None


def serve(
    settings: Settings, host: str = "127.0.0.1", port: int = 7860, corpus: Path | None = None
) -> None:
    """Build the index if there is none (with progress), then start the UI."""
    recorded = recorded_source(settings.index_dir)
    if corpus is not None and recorded is not None and corpus.resolve() != recorded.resolve():
        _check_corpus(corpus, recorded, settings.index_dir)
    corpus = corpus or recorded or default_corpus_dir()
    if not (settings.index_dir / "manifest.json").exists():
        say(f"no index in {settings.index_dir}/ yet: building it from {corpus}/")
        build(corpus, settings, progress=True, warn=say)
    elif (changed := _outdated(settings)) is not None:
        # now, with progress, rather than on the first question behind a silent spinner
        say(f"the index in {settings.index_dir}/ was built with other settings "
            f"({'; '.join(changed)}): rebuilding it from {corpus}/")  # fmt: skip
        build(corpus, settings, progress=True, warn=say)
    app = App(settings, corpus)
    demo = build_ui(app)
    if host not in {"127.0.0.1", "localhost", "::1"}:
        say(
            f"listening on {host}:{port}: anyone who can reach this address can read your documents"
        )
    threading.Thread(target=app.warm_up, daemon=True).start()
    demo.queue(default_concurrency_limit=4, max_size=settings.queue_size or None).launch(
        server_name=host,
        server_port=port,
        ssr_mode=False,
        css=CSS,
        js=JS,
        theme="soft",
        max_file_size=int(max_file_mb() * 2**20),  # Gradio refuses bigger uploads itself
        footer_links=["api"],
        quiet=False,
    )
