//! ONTAP's licensing REST API (feature `server`).
//!
//! Built so far: [`query`], ONTAP's query language for filter parameters, `fields`,
//! `order_by` and the paging numbers, written with `nom`. It is pure (no I/O) and is what the
//! coming router applies to the records of `GET /api/cluster/licensing/licenses`.

pub mod query;
