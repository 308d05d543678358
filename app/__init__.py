"""Framing-analysis service: sentence-level framing labels for news text."""
