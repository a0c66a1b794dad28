"""Distinct, stable ids for id-less records whose content repeats, and the one warning about them.

One job, shared by the OpenAI chat readers (line by line and vectorised) and the generic JSON
reader: a record without a native id is named by its content hash; the second record with the
same content gets ``<hash>-2``, the third ``<hash>-3`` (in file order, so reloading gives the
same ids), and the load ends with one summary warning naming the first repeat's line.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Repeats:
    """Occurrence numbering of content-hash ids within one file.

    Examples
    --------
    >>> r = Repeats()
    >>> [r.number("openai-ab12", line) for line in (1, 2, 3)]
    ['openai-ab12', 'openai-ab12-2', 'openai-ab12-3']
    >>> r.lines
    [2, 3]
    """

    seen: dict[str, int] = field(default_factory=dict)
    lines: list[int | None] = field(default_factory=list)  # where a repeat was numbered

    def number(self, content_id: str, line: int | None) -> str:
        """The id of the record at ``line`` whose content hash gives ``content_id``."""
        k = self.seen.get(content_id, 0) + 1
        self.seen[content_id] = k
        if k == 1:
            return content_id
        self.lines.append(line)
        return f"{content_id}-{k}"

    def warn(self, file: str, *, unit: str = "line", stacklevel: int = 2) -> None:
        """One :class:`~evalkit.errors.TraceWarning` if any content repeated (else nothing)."""
        if not self.lines:
            return
        import warnings

        from evalkit.errors import TraceWarning

        first = "" if self.lines[0] is None else f" (first at line {self.lines[0]})"
        warnings.warn(
            f"{file}: {len(self.lines)} {unit}(s) repeat the content of an earlier {unit}"
            f"{first}; each got a distinct, stable id (content hash + '-<occurrence>')",
            TraceWarning,
            stacklevel=stacklevel + 1,
        )
