//! Issue #3: the ledger (filled in with the ledger work).
