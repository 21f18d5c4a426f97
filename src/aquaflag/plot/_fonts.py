"""Hangul in figures: a font with Hangul glyphs, used as a fallback on the texts that need it.

Korean (Hangul) column names render with the NanumGothic font bundled with
``koreanize-matplotlib`` (or any installed Nanum / Noto Sans CJK / Malgun
font), used as a *fallback* after the user's usual font and only on the texts
that need it. The global rcParams are left as they are, so the minus sign
(``axes.unicode_minus``) keeps rendering with the default font.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re
import warnings
from typing import Any

import matplotlib
from matplotlib import font_manager

__all__ = ["korean_font", "font_kw", "needs_cjk"]

_CJK = re.compile(
    "[\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\uac00-\ud7af\ud7b0-\ud7ff"  # Hangul
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"  # CJK ideographs (Hanja)
)
_FALLBACK_FONT_HINTS = ("NanumGothic", "Nanum", "Noto Sans CJK", "Noto Sans KR", "Malgun")


@functools.lru_cache(maxsize=None)
def korean_font() -> str | None:
    """The family name of an installed font with Hangul glyphs, registered with matplotlib.

    Tried in order: the NanumGothic font bundled with ``koreanize-matplotlib``
    (imported inside :func:`matplotlib.rc_context`, so the rcParams it sets
    on import — font family, ``axes.unicode_minus`` — are undone and the
    user's settings stay as they were); the same font file located without
    importing the package; any font known to matplotlib whose name contains
    "Nanum", "Noto Sans CJK" or "Malgun". Cached: the search runs once, and
    when nothing is found a single warning is emitted.

    Returns
    -------
    str or None
        The font family name, or None when no Hangul font is available.
    """
    path = None
    try:
        with matplotlib.rc_context(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # its distutils import is deprecated
            import koreanize_matplotlib  # registers the font with the font manager

        path = koreanize_matplotlib.get_font_ttf_path()
    except Exception:
        spec = importlib.util.find_spec("koreanize_matplotlib")
        if spec is not None and spec.submodule_search_locations:
            for loc in spec.submodule_search_locations:
                candidate = os.path.join(loc, "fonts", "NanumGothic.ttf")
                if os.path.isfile(candidate):
                    try:
                        font_manager.fontManager.addfont(candidate)
                        path = candidate
                    except Exception:  # pragma: no cover - corrupt font file
                        path = None
                    break
    if path is not None and os.path.isfile(path):
        try:
            return font_manager.FontProperties(fname=path).get_name()
        except Exception:  # pragma: no cover
            pass
    names = {f.name for f in font_manager.fontManager.ttflist}
    for hint in _FALLBACK_FONT_HINTS:
        for name in sorted(names):
            if hint.lower() in name.lower():
                return name
    warnings.warn(
        "no font with Hangul glyphs found: Korean column names will show as empty boxes. "
        "Install one with `pip install koreanize-matplotlib` (or a Nanum / Noto Sans CJK font)",
        UserWarning,
        stacklevel=3,
    )
    return None


def needs_cjk(*texts: Any) -> bool:
    return any(_CJK.search(str(t)) for t in texts if t is not None)


def font_kw(*texts: Any) -> dict[str, Any]:
    """Text keywords that make ``texts`` render: the default family, then a Hangul fallback."""
    if not needs_cjk(*texts):
        return {}
    korean = korean_font()
    if korean is None:
        return {}
    families = list(matplotlib.rcParams["font.family"])
    if korean not in families:
        families.append(korean)  # fallback: Latin, digits and U+2212 stay in the default font
    return {"fontfamily": families}
