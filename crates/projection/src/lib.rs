//! Read models folded from the global event order, each with its checkpoint stored in the same transaction
//! as its rows: the case list, official statistics (XLD/KQGQ forms), the inspectorate watchlist, the audit
//! timeline and as-of views. Filled by issue #4; this crate exists now so the dependency graph is fixed.
