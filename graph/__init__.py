"""ParkGraph: news and policy documents about industrial parks -> a linked, queryable knowledge graph.

The modules read as the pipeline: ingest -> extract -> resolve -> build -> reason / validate -> link
-> query / analyze / visualize. `graph.pipeline` runs it; `graph.cli` is the command line.
"""

__version__ = "0.1.0"
