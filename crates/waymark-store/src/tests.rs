//! The conformance suite, run against every backend of this crate.

use crate::{FjallStore, MemoryStore};

crate::store_conformance_suite!(memory, MemoryStore::new);

crate::store_conformance_suite!(fjall, || {
    let dir = tempfile::tempdir().unwrap();
    (FjallStore::open(dir.path()).unwrap(), dir)
});
