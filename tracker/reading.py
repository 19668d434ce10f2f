"""What a worker process does with a page that changed: read its text, and compare it.

Kept apart from the check so that the forkserver preloads only this, the
extractors and the engine (processes.ENGINE), not the fetching side.
"""

from tracker.extract import extract


def read(content: bytes, kind: str, charset: str | None, select: tuple[str, ...], remove: tuple[str, ...],
         lang: str | None) -> tuple[str, str]:
    """The normalized text of a fetched document, and its language (`lang` if given)."""
    from tracker.compare import detect_language

    text = extract(content, kind, charset, select, remove)
    return text, lang or detect_language(text)


def read_against(content: bytes, kind: str, charset: str | None, select: tuple[str, ...],
                 remove: tuple[str, ...], lang: str | None, old_text: str | None) -> tuple[str, str, list[dict] | None]:
    """`read`, and the changes since `old_text` when the text differs from it (None when
    there is no earlier text or it is the same): one round trip to the pool process, not two."""
    text, lang = read(content, kind, charset, select, remove, lang)
    if old_text is None or text == old_text:
        return text, lang, None
    return text, lang, changes_between(old_text, text, lang)


def changes_between(old_text: str, new_text: str, lang: str) -> list[dict]:
    """The pledge changes between two versions, as recorded in the archive."""
    from tracker.compare import compare

    return [change.to_dict() for change in compare(old_text, new_text, lang)]
