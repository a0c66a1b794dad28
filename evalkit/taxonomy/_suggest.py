"""Offline, deterministic suggestions: group notes and open codes into candidate failure modes.

Notes (and open codes) of failing traces are turned into TF-IDF vectors of character n-grams
(robust to the spelling and wording of hand-written notes), reduced by a seeded truncated SVD
(latent semantic analysis, 20 dimensions), length-normalised, and grouped by agglomerative
clustering (Ward linkage; on unit vectors this follows cosine similarity). Each candidate comes
with a representative note, its top terms and its member traces. A team can plug in its own
grouping (an LLM, say) with ``suggest=``. Nothing is applied until a person decides on every
candidate with :meth:`Suggestions.accept`.
"""

from __future__ import annotations

import html
import math
import warnings
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evalkit.stats._common import RNGLike, as_rng
from evalkit.taxonomy._errors import TaxonomyError
from evalkit.taxonomy._labels import label_table
from evalkit.taxonomy._model import Taxonomy
from evalkit.taxonomy._parts import Change, Mode, _name, _when

#: ``suggest(notes, *, n_modes, rng) -> one group label per note``.
SuggestFn = Callable[..., Sequence[Hashable]]


@dataclass(frozen=True, slots=True, kw_only=True)
class Candidate:
    """One suggested failure mode.

    Attributes
    ----------
    id : int
        Position in :attr:`Suggestions.candidates`.
    name : str
        Suggested name (top terms, or the label a ``suggest=`` callable gave).
    representative : str
        The member note closest to the group's centre.
    terms : tuple of str
        Top terms of the group.
    notes : tuple of str
        Member notes (distinct, most frequent first).
    trace_ids : tuple of str
        Member traces.
    size : int
        Number of member notes (with repeats).
    """

    id: int
    name: str
    representative: str
    terms: tuple[str, ...]
    notes: tuple[str, ...]
    trace_ids: tuple[str, ...]
    size: int


@dataclass(frozen=True, slots=True, kw_only=True, eq=False, repr=False)
class Suggestions:
    """Candidate failure modes for a person to accept, rename, merge or reject.

    Attributes
    ----------
    candidates : tuple of Candidate
        Largest first.
    assignments : pandas.DataFrame
        ``trace_id, annotator, note, candidate``: which candidate each note went to.
    method : str
    n_notes : int
    """

    candidates: tuple[Candidate, ...]
    assignments: pd.DataFrame
    method: str
    n_notes: int

    def __repr__(self) -> str:
        names = [c.name for c in self.candidates]
        return f"Suggestions({len(names)} candidates from {self.n_notes} notes: {names})"

    def to_frame(self) -> pd.DataFrame:
        """One row per candidate: ``id, name, size, n_traces, representative, terms``."""
        return pd.DataFrame(
            [
                {"id": c.id, "name": c.name, "size": c.size, "n_traces": len(c.trace_ids),
                 "representative": c.representative, "terms": ", ".join(c.terms)}
                for c in self.candidates
            ]
        )  # fmt: skip

    def _repr_html_(self) -> str:
        body = self.to_frame().to_html(index=False, escape=True)
        return (
            f"<div class='evalkit-suggestions'><b>{len(self.candidates)} suggested modes</b> "
            f"from {self.n_notes} notes ({html.escape(self.method)}); accept, rename, merge or "
            f"reject each with <code>.accept()</code>.{body}</div>"
        )

    def evaluate(self, truth: Mapping[str, str] | pd.Series) -> pd.DataFrame:
        """Compare candidates with known modes per trace (e.g. planted ground truth).

        Returns one row per candidate: ``id, name, size, majority, purity``; ``.attrs`` holds
        the overall ``purity`` (share of notes in their candidate's majority mode) and
        ``recovered`` (known modes that are the majority of some candidate).
        """
        t = self.assignments.assign(truth=self.assignments["trace_id"].map(dict(truth)))
        t = t[t["truth"].notna()]
        rows = []
        for cid, part in t.groupby("candidate", sort=True):
            counts = part["truth"].value_counts()
            name = self.candidates[int(str(cid))].name
            rows.append(
                {"id": cid, "name": name, "size": len(part), "majority": counts.index[0],
                 "purity": counts.iloc[0] / len(part)}
            )  # fmt: skip
        out = pd.DataFrame(rows, columns=["id", "name", "size", "majority", "purity"])
        hits = (out["purity"] * out["size"]).sum()
        out.attrs["purity"] = float(hits / out["size"].sum()) if len(out) else math.nan
        out.attrs["recovered"] = sorted(set(out["majority"]))
        return out

    def accept(
        self,
        decisions: Mapping[int, str | None],
        *,
        name: str = "taxonomy",
        definitions: Mapping[str, str] | None = None,
        who: str | None = None,
        why: str = "",
        when: Any = None,
    ) -> Taxonomy:
        """Build version 1 of a taxonomy from a decision on *every* candidate.

        Parameters
        ----------
        decisions : mapping candidate id -> mode name or None
            A name accepts (or renames) the candidate; several candidates with one name are
            merged; ``None`` rejects it. Every candidate needs a decision.
        name : str
            Name of the taxonomy.
        definitions : mapping mode -> str, optional
            One-sentence definitions (default: the representative note).

        Raises
        ------
        TaxonomyError
            A candidate is undecided, or an id is unknown.
        """
        ids = {c.id for c in self.candidates}
        unknown = sorted(set(decisions) - ids, key=str)
        if unknown:
            raise TaxonomyError(
                f"`decisions` names unknown candidates {unknown}; ids: {sorted(ids)}."
            )
        missing = sorted(ids - set(decisions))
        if missing:
            raise TaxonomyError(
                f"every suggestion needs a decision (a mode name, or None to reject); "
                f"undecided candidates: {missing}."
            )
        defs = dict(definitions or {})
        modes: dict[str, Mode] = {}
        codes: dict[str, str] = {}
        for c in self.candidates:
            mode = decisions[c.id]
            if mode is None:
                continue
            mode = _name(f"decisions[{c.id}]", mode)
            prev = modes.get(mode)
            examples = (*(prev.fail_examples if prev else ()), *c.trace_ids[:3])
            modes[mode] = Mode(
                name=mode,
                definition=defs.get(mode, prev.definition if prev else c.representative),
                fail_examples=tuple(dict.fromkeys(examples)),
            )
            codes[c.name] = mode
        rejected = sum(v is None for v in decisions.values())
        change = Change(
            version=1, op="create", into=tuple(modes),
            who=_name("who", who or "unknown"), when=_when(when),
            why=why or f"accepted {len(self.candidates) - rejected} of "
            f"{len(self.candidates)} suggestions ({self.method})",
        )  # fmt: skip
        return Taxonomy(name=name, modes=tuple(modes.values()), codes=codes, changelog=(change,))

    def labels(self, taxonomy: Taxonomy) -> pd.DataFrame:
        """Draft ``failure_modes`` per (trace, annotator) from the accepted candidates.

        A draft to confirm in a relabel pass, not a final label.
        """
        code_map = taxonomy.code_map
        a = self.assignments
        mode = a["candidate"].map(lambda i: code_map.get(self.candidates[int(i)].name))
        draft = a.assign(mode=mode).dropna(subset=["mode"])
        out = draft.groupby(["trace_id", "annotator"], sort=False)["mode"].agg(
            lambda s: list(dict.fromkeys(s))
        )
        return out.rename("failure_modes").reset_index()


def _units(labels: Any, annotator: str | None) -> pd.DataFrame:
    wide = label_table(labels)
    if annotator is not None:
        wide = wide[wide["annotator"] == annotator]
    if "verdict" in wide.columns:
        wide = wide[wide["verdict"].astype(object) != "pass"]
    rows: list[tuple[str, str, str]] = []
    notes = wide["note"] if "note" in wide.columns else pd.Series([None] * len(wide))
    for tid, ann, note, codes in zip(
        wide["trace_id"], wide["annotator"], notes, wide["open_codes"], strict=True
    ):
        if isinstance(note, str) and note.strip():
            rows.append((tid, str(ann), note.strip()))
        rows.extend((tid, str(ann), c) for c in codes)
    return pd.DataFrame(rows, columns=["trace_id", "annotator", "note"])


def _default_k(n: int) -> int:
    return int(min(20, max(2, round(math.sqrt(n)))))


def _builtin(notes: list[str], n_modes: int, rng: np.random.Generator) -> tuple[np.ndarray, Any]:
    from scipy.cluster.hierarchy import fcluster, linkage
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import normalize

    x = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, lowercase=True
    ).fit_transform(notes)
    dims = min(20, x.shape[1] - 1, len(notes) - 1)
    seed = int(rng.integers(2**31 - 1))
    with warnings.catch_warnings():  # identical notes: 0/0 in explained_variance_ratio_ (unused)
        warnings.simplefilter("ignore", RuntimeWarning)
        z = TruncatedSVD(dims, random_state=seed).fit_transform(x) if dims >= 2 else x.toarray()
    z = normalize(z)
    tree = linkage(z, method="ward", metric="euclidean")
    return fcluster(tree, n_modes, criterion="maxclust"), z


def _terms(notes: list[str], groups: np.ndarray, top: int = 3) -> dict[Any, tuple[str, ...]]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    try:
        vec = TfidfVectorizer(stop_words="english", token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z]+\b")
        x = vec.fit_transform(notes)
    except ValueError:  # only stop words
        return dict.fromkeys(set(groups.tolist()), ())
    vocab = np.asarray(vec.get_feature_names_out())
    out: dict[Any, tuple[str, ...]] = {}
    for g in dict.fromkeys(groups.tolist()):
        mean = np.asarray(x[groups == g].mean(axis=0)).ravel()
        order = np.lexsort((vocab, -mean))[:top]
        out[g] = tuple(str(vocab[i]) for i in order if mean[i] > 0)
    return out


def suggest_modes(
    labels: Any,
    *,
    n_modes: int | None = None,
    suggest: SuggestFn | None = None,
    rng: RNGLike = 0,
    annotator: str | None = None,
) -> Suggestions:
    r"""Group notes and open codes of failing traces into candidate failure modes (offline).

    Parameters
    ----------
    labels : LabelStore or DataFrame
        Labels with ``note`` and/or ``open_codes`` (see :func:`evalkit.taxonomy.label_table`);
        traces with verdict ``'pass'`` are left out.
    n_modes : int, optional
        Number of candidates. Default :math:`\sqrt{n}` for ``n`` notes, from 2 to 20: more
        candidates than final modes, since merging is easier than splitting.
    suggest : callable, optional
        ``suggest(notes, *, n_modes, rng) -> one group label per note`` (e.g. an LLM); string
        labels become candidate names.
    rng : numpy Generator, int or None, default 0
        Seeds the SVD (the same input and seed give the same candidates).
    annotator : str, optional
        Only this annotator's notes.

    Returns
    -------
    Suggestions

    Examples
    --------
    >>> import pandas as pd
    >>> notes = ["refused a valid refund", "wrongly refused request", "refused to help",
    ...          "no next step given", "no next step for the user", "left without a next step"]
    >>> labels = pd.DataFrame({"trace_id": [f"t{i}" for i in range(6)], "note": notes})
    >>> s = suggest_modes(labels, n_modes=2)
    >>> sorted(len(c.trace_ids) for c in s.candidates)
    [3, 3]
    """
    if n_modes is not None and (
        isinstance(n_modes, bool) or not isinstance(n_modes, int) or n_modes < 1
    ):
        raise TaxonomyError(f"`n_modes` must be a positive integer or None; got {n_modes!r}.")
    gen = as_rng(rng)
    units = _units(labels, annotator)
    notes = units["note"].tolist()
    if len(notes) < 2:
        raise TaxonomyError(f"need at least 2 notes or open codes to group; got {len(notes)}.")
    k = min(n_modes or _default_k(len(notes)), len(notes))
    if suggest is None:
        groups, z = _builtin(notes, k, gen)
        method = "tfidf (char 3-5) + svd(20) + agglomerative (ward)"
    else:
        got = list(suggest(list(notes), n_modes=k, rng=gen))
        if len(got) != len(notes):
            raise TaxonomyError(
                f"`suggest` must return one group per note ({len(notes)}); got {len(got)}."
            )
        try:
            pd.factorize(pd.Series(got, dtype=object))
        except TypeError as exc:
            raise TaxonomyError(f"`suggest` returned unhashable groups: {exc}.") from None
        groups, z = np.asarray(got, dtype=object), None
        method = f"custom: {getattr(suggest, '__name__', type(suggest).__name__)}"
    terms = _terms(notes, groups)
    sizes = pd.Series(groups).value_counts(sort=False)
    order = sorted(sizes.index, key=lambda g: (-sizes[g], str(g)))
    candidates: list[Candidate] = []
    used: set[str] = set()
    cand_of: dict[Any, int] = {}
    for cid, g in enumerate(order):
        idx = np.flatnonzero(groups == g)
        if z is not None:
            centre = z[idx].mean(axis=0)
            rep = notes[int(idx[np.argmax(z[idx] @ centre)])]
            base = "_".join(terms[g]) or f"cluster_{cid}"
        else:
            counts = pd.Series([notes[i] for i in idx]).value_counts()
            rep = str(counts.index[0])
            base = (
                g if isinstance(g, str) and g.strip() else ("_".join(terms[g]) or f"cluster_{cid}")
            )
        label = base
        n = 2
        while label in used:
            label, n = f"{base}_{n}", n + 1
        used.add(label)
        member_notes = pd.Series([notes[i] for i in idx]).value_counts()
        candidates.append(
            Candidate(
                id=cid,
                name=label,
                representative=rep,
                terms=terms[g],
                notes=tuple(map(str, member_notes.index)),
                trace_ids=tuple(dict.fromkeys(units["trace_id"].iloc[idx])),
                size=len(idx),
            )
        )
        cand_of[g] = cid
    assignments = units.assign(candidate=[cand_of[g] for g in groups.tolist()])
    return Suggestions(
        candidates=tuple(candidates), assignments=assignments, method=method, n_notes=len(notes)
    )
