"""Helpers the black-box suites share: the recording HTTP client and the race barrier."""
