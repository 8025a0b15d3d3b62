"""What earlier deliveries sent: their keys (ids unique across uploads) and profiles."""

from salesfmt.ledger.drift import drift, profile
from salesfmt.ledger.keys import SENT_KEYS, read_keys
from salesfmt.ledger.store import KeyStore

__all__ = ["SENT_KEYS", "KeyStore", "drift", "profile", "read_keys"]
