"""Offline training and evaluation of the framing model."""
