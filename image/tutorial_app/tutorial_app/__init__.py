"""Proof-of-work tutorial app for the Golem Task API."""

from tutorial_app.version import APP_NAME, IMAGE_NAME, IMAGE_TAG, VERSION

__all__ = ["APP_NAME", "IMAGE_NAME", "IMAGE_TAG", "VERSION"]
