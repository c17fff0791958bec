"""The one path matcher: API Gateway (and Chalice) path templates against a request's path.

A template is a path whose segments are literals or parameters: `{name}` takes one segment,
`{name+}` (greedy, API Gateway's proxy) takes one or more. A path matches a template with or
without a trailing slash; parameter values are percent-decoded. When several templates match,
the most specific wins, segment by segment from the left: a literal beats `{name}`, which beats
`{name+}` (`/products/internal` before `/products/{id}` before `/products/{proxy+}`), as API
Gateway picks a resource.

ServiceApp (meridian.api) resolves a request against its Chalice routes with it, and the local
Lambda runtime (infra/localaws/runtime/events.py) picks the API resource of template.yaml with it. It
imports nothing but the standard library: the runtime loads this file by its path, never the
`meridian` package.

    router = Router(["/api/v1/products/{product_id}", "/api/v1/products/internal"])
    router.match("/api/v1/products/abc%20d")   # ("/api/v1/products/{product_id}", {"product_id": "abc d"})
"""
from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from urllib.parse import unquote

_LITERAL, _PARAMETER, _GREEDY = 2, 1, 0


class PathTemplate:
    """One compiled template (use `compile_template`, which keeps them)."""

    __slots__ = ("path", "regex", "rank")

    def __init__(self, path: str):
        self.path = path
        parts: list[str] = []
        rank: list[int] = []
        segments = path.strip("/").split("/")
        for segment in segments if segments != [""] else []:
            if segment.startswith("{") and segment.endswith("}"):
                name = segment[1:-1]
                if name.endswith("+"):
                    parts.append(f"(?P<{name[:-1]}>.+)")
                    rank.append(_GREEDY)
                else:
                    parts.append(f"(?P<{name}>[^/]+)")
                    rank.append(_PARAMETER)
            else:
                parts.append(re.escape(segment))
                rank.append(_LITERAL)
        self.regex = re.compile("^/" + "/".join(parts) + "/?$" if parts else "^/$")
        self.rank = tuple(rank)   # compared left to right: the greater is the more specific

    def match(self, path: str) -> dict[str, str] | None:
        """The path's parameters (decoded) when it matches, else None."""
        found = self.regex.match(path)
        return {k: unquote(v) for k, v in found.groupdict().items()} if found else None


@functools.lru_cache(maxsize=1024)
def compile_template(path: str) -> PathTemplate:
    return PathTemplate(path)


def best_match(templates: Iterable[str], path: str) -> tuple[str, dict[str, str]] | None:
    """(template, parameters) of the most specific template matching `path`, else None.
    Of equally specific templates, the first given wins."""
    best: tuple[PathTemplate, dict[str, str]] | None = None
    for template in map(compile_template, templates):
        if best is not None and template.rank <= best[0].rank:
            continue
        params = template.match(path)
        if params is not None:
            best = (template, params)
    return (best[0].path, best[1]) if best else None


class Router:
    """A fixed set of templates, ordered once from the most specific."""

    def __init__(self, templates: Iterable[str]):
        compiled = [compile_template(t) for t in dict.fromkeys(templates)]
        self._templates = sorted(compiled, key=lambda t: t.rank, reverse=True)   # stable: ties keep their order

    def match(self, path: str) -> tuple[str, dict[str, str]] | None:
        """(template, parameters) of the most specific template matching `path`, else None."""
        for template in self._templates:
            params = template.match(path)
            if params is not None:
                return template.path, params
        return None
