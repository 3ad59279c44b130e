//! tessera-image: not written yet.
