"""Fixtures of the phone app's tests: the Taiping demo of the case-loop tests."""

from gridgov.cases.tests.conftest import people, taiping

__all__ = ["people", "taiping"]
