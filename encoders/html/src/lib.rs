//! tessera-html: not written yet.
