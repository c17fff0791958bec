"""The catalog's structure as data: categories (a tree, names and slugs per locale) and the shop-wide attribute
dictionary (attribute and variant-option names, and their values' labels, per locale).

* A category is {key, parent (a key or None), position, names{locale: name}, slugs{locale: slug}}; `key` is
  the slug products store (`product.category`). Every text follows the served locale's fallback chain
  (`meridian.locales.pick`); with no text at all a category's name and slug are its key.
* Rules of a category write (`put_category`): `names.en` is required (every chain ends in en); the parent must
  exist and may not be the category itself or one of its descendants (no cycles); a localized slug is unique
  among categories in its locale and is not another category's key (filters take either). 400 naming the field.
* A category is deleted only when no product (of any status) and no child category uses it (409 otherwise).
* A product's category need not be a managed one (products written before categories were data): it is then
  shown by its key. Filters (`?category=`) take the key or a localized slug of the served locale's chain.
* The attribute dictionary: one entry per attribute key (`material`, or a variant option such as `size`):
  names{locale: label} and values{raw value: {locale: label}}. A product's `attributes` (and its variants')
  keep their raw values; views add `attribute_labels` {key: {name, value}} in the served locale, the raw key
  and value where the dictionary has nothing. One entry serves every product with that attribute.
* Reads: `load()` is ONE Query of gsi1 partition TAXONOMY (both kinds). Writes are last-writer-wins per item;
  two concurrent category writes could together make a cycle (each checked alone): `tree()` then drops the
  categories of the cycle from the tree (they are still listed flat), and the next write of either is checked.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any

from meridian import audit, locales
from meridian.clock import iso, utcnow
from meridian.errors import Conflict, NotFound, ValidationFailed

from . import repository
from .models import ATTRIBUTE_KIND, CATEGORY_KIND, PRODUCT_STATUSES, TaxonomyItem, taxonomy_pk

BASE_LOCALE = "en"


@dataclass(frozen=True)
class Category:
    key: str
    parent: str | None
    position: int
    names: dict[str, str]
    slugs: dict[str, str]
    created_at: str = ""
    updated_at: str = ""

    def name_in(self, locale: str) -> tuple[str, str]:
        """(served locale, name) along `locale`'s chain; (en, key) with no name."""
        return locales.pick(locale, self.names) or (BASE_LOCALE, self.key)

    def slug_in(self, locale: str) -> str:
        picked = locales.pick(locale, self.slugs)
        return picked[1] if picked else self.key


@dataclass(frozen=True)
class AttributeTerm:
    key: str
    names: dict[str, str]
    values: dict[str, dict[str, str]]
    updated_at: str = ""


@dataclass(frozen=True)
class Taxonomy:
    categories: dict[str, Category] = field(default_factory=dict)
    attributes: dict[str, AttributeTerm] = field(default_factory=dict)

    # ----------------------------------------------------------------- categories
    def category_key(self, key_or_slug: str | None, locale: str) -> str | None:
        """The category key a filter means: the key itself, or a localized slug along `locale`'s chain; an unknown
        value is kept as it is (it may be a product's unmanaged category)."""
        if not key_or_slug or key_or_slug in self.categories:
            return key_or_slug
        for code in locales.fallback_chain(locale):
            for category in self.categories.values():
                if category.slugs.get(code) == key_or_slug:
                    return category.key
        return key_or_slug

    def category_label(self, key: str, locale: str) -> dict[str, str]:
        """{category_name, category_slug} of a product's category in `locale` (its key when not managed)."""
        category = self.categories.get(key)
        if category is None:
            return {"category_name": key, "category_slug": key}
        return {"category_name": category.name_in(locale)[1], "category_slug": category.slug_in(locale)}

    def ordered(self) -> list[Category]:
        """Every category, depth first: roots by (position, key), each followed by its subtree."""
        children = self._children()
        out: list[Category] = []

        def walk(parent: str | None, seen: frozenset[str]) -> None:
            for category in children.get(parent, []):
                if category.key not in seen:
                    out.append(category)
                    walk(category.key, seen | {category.key})

        walk(None, frozenset())
        listed = {c.key for c in out}
        # categories whose parent is gone, or stuck in a cycle, are listed last (an admin fixes them)
        out += sorted((c for c in self.categories.values() if c.key not in listed), key=_order)
        return out

    def _children(self) -> dict[str | None, list[Category]]:
        children: dict[str | None, list[Category]] = {}
        for category in self.categories.values():
            parent = category.parent if category.parent in self.categories else None
            if category.parent is not None and parent is None:
                continue        # an orphan: listed last by `ordered`, not a root
            children.setdefault(parent, []).append(category)
        for siblings in children.values():
            siblings.sort(key=_order)
        return children

    def depth_of(self, key: str) -> int:
        depth, current, seen = 0, self.categories[key].parent, {key}
        while current in self.categories and current not in seen:
            seen.add(current)
            depth, current = depth + 1, self.categories[current].parent
        return depth

    # ----------------------------------------------------------------- attributes
    def attribute_labels(self, attributes: dict[str, Any], locale: str) -> dict[str, dict[str, Any]]:
        """{key: {name, value}} of raw `attributes` in `locale`: the dictionary's labels, else the raw key/value."""
        labels = {}
        for key, value in attributes.items():
            term = self.attributes.get(key)
            name, label = key, value
            if term is not None:
                picked = locales.pick(locale, term.names)
                name = picked[1] if picked else key
                translations = term.values.get(_value_key(value))
                if translations:
                    picked_value = locales.pick(locale, translations)
                    label = picked_value[1] if picked_value else value
            labels[key] = {"name": name, "value": label}
        return labels


EMPTY = Taxonomy()


def _order(category: Category) -> tuple[int, str]:
    return category.position, category.key


def _value_key(value: Any) -> str:
    """The dictionary key of a raw attribute value: booleans as true/false, numbers and text as written."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _category(item: TaxonomyItem) -> Category:
    return Category(item.key, item.parent, int(item.position or 0), _plain(item.names), _plain(item.slugs),
                    item.created_at, item.updated_at)


def _term(item: TaxonomyItem) -> AttributeTerm:
    values = {raw: _plain(labels) for raw, labels in _plain(item.values).items()}
    return AttributeTerm(item.key, _plain(item.names), values, item.updated_at)


def _plain(value: Any) -> dict:
    if value is None:
        return {}
    return value.as_dict() if hasattr(value, "as_dict") else dict(value)


def load() -> Taxonomy:
    """Every category and dictionary entry (one Query)."""
    categories, attributes = {}, {}
    for item in repository.taxonomy():
        if item.kind == CATEGORY_KIND:
            categories[item.key] = _category(item)
        elif item.kind == ATTRIBUTE_KIND:
            attributes[item.key] = _term(item)
    return Taxonomy(categories, attributes)


# --------------------------------------------------------------------------- categories: writes
def check_category(taxonomy: Taxonomy, key: str, data: dict[str, Any]) -> None:
    """The rules of a category write (400 naming the field): parent exists, no cycle, slugs unique."""
    errors: dict[str, list[str]] = {}
    parent = data.get("parent")
    if parent is not None:
        if parent == key:
            errors["parent"] = ["A category cannot be its own parent."]
        elif parent not in taxonomy.categories:
            errors["parent"] = [f"There is no category {parent!r}."]
        else:
            current, seen = parent, set()
            while current is not None and current in taxonomy.categories and current not in seen:
                if current == key:
                    errors["parent"] = [f"{parent!r} is inside {key!r}: that would make a cycle."]
                    break
                seen.add(current)
                current = taxonomy.categories[current].parent
    for code, slug in (data.get("slugs") or {}).items():
        if slug in taxonomy.categories and slug != key:
            errors[f"slugs.{code}"] = [f"{slug!r} is the key of another category."]
            continue
        for other in taxonomy.categories.values():
            if other.key != key and other.slugs.get(code) == slug:
                errors[f"slugs.{code}"] = [f"{slug!r} is already the {code} slug of {other.key!r}."]
                break
    if errors:
        raise ValidationFailed(errors)


def put_category(key: str, data: dict[str, Any], *, now: _dt.datetime | None = None) -> tuple[Category, bool]:
    """Create or replace a category ({parent, position, names, slugs}); (category, created)."""
    now = now or utcnow()
    taxonomy = load()
    check_category(taxonomy, key, data)
    before = taxonomy.categories.get(key)
    stamp = iso(now)
    item = TaxonomyItem(taxonomy_pk(CATEGORY_KIND, key), kind=CATEGORY_KIND, key=key, parent=data.get("parent"),
                        position=int(data.get("position") or 0), names=dict(data["names"]),
                        slugs=dict(data.get("slugs") or {}), created_at=before.created_at if before else stamp,
                        updated_at=stamp, gsi1sk=taxonomy_pk(CATEGORY_KIND, key))
    repository.put_taxonomy_item(item)
    category = _category(item)
    audit.describe(action="category.created" if before is None else "category.updated", target=f"category:{key}",
                   before=category_admin_view(before) if before else None, after=category_admin_view(category))
    return category, before is None


def delete_category(key: str) -> None:
    """Delete a category no product and no child category uses (409 otherwise; 404 if unknown)."""
    taxonomy = load()
    category = taxonomy.categories.get(key)
    if category is None:
        raise NotFound(f"There is no category {key!r}.", category=key)
    children = sorted(c.key for c in taxonomy.categories.values() if c.parent == key)
    if children:
        raise Conflict(f"Category {key!r} has child categories: {', '.join(children)}.", category=key,
                       children=children)
    if repository.category_in_use(key, PRODUCT_STATUSES):
        raise Conflict(f"Products are in category {key!r}; move them first.", category=key)
    repository.delete_taxonomy_item(CATEGORY_KIND, key)
    audit.describe(action="category.deleted", target=f"category:{key}", before=category_admin_view(category))


def category_admin_view(category: Category) -> dict[str, Any]:
    return {"key": category.key, "parent": category.parent, "position": category.position,
            "names": dict(category.names), "slugs": dict(category.slugs), "created_at": category.created_at,
            "updated_at": category.updated_at}


# --------------------------------------------------------------------------- attribute dictionary: writes
def put_attribute(key: str, data: dict[str, Any], *, now: _dt.datetime | None = None) -> tuple[AttributeTerm, bool]:
    """Create or replace an attribute's entry ({names, values}); (entry, created)."""
    now = now or utcnow()
    before = repository.get_taxonomy_item(ATTRIBUTE_KIND, key)
    stamp = iso(now)
    item = TaxonomyItem(taxonomy_pk(ATTRIBUTE_KIND, key), kind=ATTRIBUTE_KIND, key=key, names=dict(data["names"]),
                        values={raw: dict(labels) for raw, labels in (data.get("values") or {}).items()},
                        created_at=before.created_at if before else stamp, updated_at=stamp,
                        gsi1sk=taxonomy_pk(ATTRIBUTE_KIND, key))
    repository.put_taxonomy_item(item)
    term = _term(item)
    audit.describe(action="attribute.created" if before is None else "attribute.updated", target=f"attribute:{key}",
                   before=attribute_view(_term(before)) if before else None, after=attribute_view(term))
    return term, before is None


def delete_attribute(key: str) -> None:
    item = repository.get_taxonomy_item(ATTRIBUTE_KIND, key)
    if item is None:
        raise NotFound(f"There is no attribute {key!r} in the dictionary.", attribute=key)
    repository.delete_taxonomy_item(ATTRIBUTE_KIND, key)
    audit.describe(action="attribute.deleted", target=f"attribute:{key}", before=attribute_view(_term(item)))


def attribute_view(term: AttributeTerm) -> dict[str, Any]:
    return {"key": term.key, "names": dict(term.names), "values": {k: dict(v) for k, v in term.values.items()},
            "updated_at": term.updated_at}
