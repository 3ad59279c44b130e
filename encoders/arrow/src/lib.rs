//! tessera-arrow: not written yet.
