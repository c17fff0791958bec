"""The storefront's client-side routes, read from web/src/store/App.tsx, for tests that check where a link leads.

The gateway answers index.html for any path (the SPA decides), so an HTTP GET cannot tell a page from the 404
page; these helpers can: `route_of(path)` is the App.tsx route that renders a path (None: the catch-all
NotFound), `page_source(route)` the source of the component that route renders.
"""
from __future__ import annotations

import re
from pathlib import Path

STORE = Path(__file__).resolve().parent.parent / "web" / "src" / "store"


def _app() -> str:
    return (STORE / "App.tsx").read_text(encoding="utf-8")


def routes() -> dict[str, str]:
    """path pattern → the page component of each <Route> in App.tsx."""
    found = dict(re.findall(r'<Route path="([^"]+)" element=\{<(\w+) />\}', _app()))
    assert found, "no <Route path=… element={<Page />}> found in App.tsx"
    return found


def route_of(path: str) -> str | None:
    """The App.tsx route pattern (`/orders/:id`) that renders `path`, if any (the catch-all `*` does not count)."""
    for pattern in routes():
        if pattern != "*" and re.match("^" + re.sub(r":\w+", "[^/]+", pattern) + "$", path):
            return pattern
    return None


def page_source(pattern: str) -> str:
    """The source of the component App.tsx renders for a route (found through its lazy import)."""
    app, component = _app(), routes()[pattern]
    found = re.search(rf"const {component} = page\((\w+|\(\) => import\(\"([^\"]+)\"\)), \(m\) => m\.(\w+)\)", app)
    assert found, f"{component} is not a lazy page of App.tsx"
    module = found.group(2) or re.search(rf'const {found.group(1)} = \(\) => import\("([^"]+)"\)', app).group(1)
    source = (STORE / f"{module}.tsx").read_text(encoding="utf-8")
    body = re.search(rf"export function {found.group(3)}\(.*?\n}}\n", source, re.S)
    assert body, f"{found.group(3)} not found in {module}.tsx"
    return body.group(0)


def reads_query(pattern: str, name: str) -> bool:
    """Whether the route's page reads the query parameter `name` (useSearchParams: params.get("name"))."""
    return f'params.get("{name}")' in page_source(pattern)
