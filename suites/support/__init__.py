"""Helpers shared by the suites, the Postman runner, Locust and the evidence builder."""
