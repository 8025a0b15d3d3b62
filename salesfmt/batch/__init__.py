"""Batch intake: a folder of partner deliveries routed, converted in parallel, checked
against earlier deliveries through the ledger, named and summarised."""

from salesfmt.batch.config import Deliveries, Route, load_deliveries
from salesfmt.batch.coordinator import BatchRun, Entry, run_batch

__all__ = ["BatchRun", "Deliveries", "Entry", "Route", "load_deliveries", "run_batch"]
