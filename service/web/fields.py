"""The request field types now live in service/fields.py (the service layer's input)."""

from service.fields import IsoDate, Money, Rate, Text  # noqa: F401
