"""Shared tooling for the suites, the evidence builder, the load tests and CI.

One home for each idea: where a run sends its requests (`target`), where its artifacts go
(`layout`), how a local service and its throwaway database are started (`servers`,
`databases`), and what this machine can run (`capabilities`). Nothing here is imported by
the service itself.
"""
