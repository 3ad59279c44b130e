//! tessera-xlsx: not written yet.
