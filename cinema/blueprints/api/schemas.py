"""Schemas shared by every area of the API: the error body, bounded ids and text, pages.

Each area declares its own request and response schemas next to its views; the OpenAPI
document is generated from them (see ``core.CinemaApi``).
"""
from __future__ import annotations

import marshmallow as ma
from flask import url_for
from marshmallow import fields, validate

from cinema import money
from cinema.ids import MAX_ID

# Werkzeug's bounded int converter rather than the pages' ``id`` converter: apispec documents
# it as an integer with its bounds in the OpenAPI document. Out of range is a 404 either way.
ID_CONVERTER = f"int(min=1, max={MAX_ID})"  # for ids in paths: out of range is a 404


def _plain_text(value: str) -> None:
    # PostgreSQL refuses NUL in text and psycopg cannot encode a lone surrogate: both would be a
    # 500 deep inside a query, so they are a validation error here.
    if "\x00" in value:
        raise ma.ValidationError("Must not contain NUL characters.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ma.ValidationError("Must be valid Unicode text.") from None


def Text(max_length: int, min_length: int = 0, validate_also=(), **kwargs) -> fields.String:  # noqa: N802
    """A string of at most ``max_length`` characters that the database can store."""
    return fields.String(validate=[validate.Length(min=min_length, max=max_length), _plain_text,
                                   *validate_also], **kwargs)


def Id(**kwargs) -> fields.Integer:  # noqa: N802
    """A database id: a whole number from 1 to 2^31 - 1."""
    return fields.Integer(strict=True, validate=validate.Range(1, MAX_ID), **kwargs)


def Currency() -> fields.Function:  # noqa: N802
    return fields.Function(lambda _obj: money.currency(),
                           metadata={"description": "ISO 4217 code; amounts are in its cents"})


def UtcDateTime(**kwargs) -> fields.AwareDateTime:  # noqa: N802
    return fields.AwareDateTime(format="iso", **kwargs)


class ErrorSchema(ma.Schema):
    """Every error of the API, whatever its status."""

    status = fields.String(required=True, metadata={"example": "error"})
    status_code = fields.Integer(required=True, metadata={"example": 409})
    detail = fields.String(required=True)
    error_code = fields.String(required=True, metadata={"example": "SEAT_BOOKED"})
    timestamp = fields.String(required=True, metadata={"example": "2026-01-01T10:15:00Z"})
    field_errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                               metadata={"description": "422 only: messages by field"})
    decline_code = fields.String(allow_none=True, metadata={"description": "402 only"})

    class Meta:
        unknown = ma.INCLUDE  # a domain error may carry more context than these fields


class PageArgs(ma.Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(1, 10_000))
    limit = fields.Integer(load_default=20, validate=validate.Range(1, 50))


class PageMeta(ma.Schema):
    page = fields.Integer(required=True)
    limit = fields.Integer(required=True)
    total = fields.Integer(required=True)
    next = fields.String(allow_none=True, required=True,
                         metadata={"description": "URL of the next page, or null on the last"})


def page_body(items, page: int, limit: int, total: int, next_url: str | None) -> dict:
    """A page of a list, in the shape every list endpoint answers with."""
    return {"items": items, "page": page, "limit": limit, "total": total, "next": next_url}


def slice_page(items: list, args: dict, endpoint: str, **values) -> dict:
    """The page ``args`` asks for of an already bounded list, linking to the next page."""
    start = (args["page"] - 1) * args["limit"]
    has_next = start + args["limit"] < len(items)
    next_url = url_for(endpoint, page=args["page"] + 1, limit=args["limit"], **values) \
        if has_next else None
    return page_body(items[start:start + args["limit"]], args["page"], args["limit"], len(items),
                     next_url)


def paged(item_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    """The schema of a page of ``item_schema``: items plus page, limit, total and next."""
    return type(name, (PageMeta,), {"items": fields.List(fields.Nested(item_schema),
                                                         required=True)})


class UserSchema(ma.Schema):
    id = fields.Integer(required=True)
    email = fields.String(required=True)
    full_name = fields.String(required=True)
    role = fields.Function(lambda user: user.role.value, required=True,
                           metadata={"enum": ["USER", "STAFF", "ADMIN"]})
