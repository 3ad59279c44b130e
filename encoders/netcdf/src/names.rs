//! Name rules of the formats, checked before anything is written.
//!
//! NetCDF (both versions, as netCDF-C's `NC_check_name`): 1 to 256 bytes of UTF-8; the first
//! character a letter, a digit, `_` or any non-ASCII character; no control characters, no
//! `/`, no trailing space. HDF5 link names (groups, datasets): non-empty, no `/`, not `.`;
//! HDF5 attribute names: non-empty, no NUL.

use tessera_core::{EncodeError, MediaType};

use crate::attrs::Profile;

/// Longest NetCDF name, in bytes (`NC_MAX_NAME`).
pub(crate) const NC_MAX_NAME: usize = 256;

/// Attributes netCDF-C keeps for itself: writing one fails, reading shows the library's.
const NC_RESERVED_ATTRS: &[&str] = &[
    "_NCProperties",
    "_Netcdf4Coordinates",
    "_Netcdf4Dimid",
    "_SuperblockVersion",
    "_IsNetcdf4",
    "_Format",
    "_Storage",
    "_ChunkSizes",
    "_Endianness",
    "_Filter",
    "_Codecs",
    "_DeflateLevel",
    "_Shuffle",
    "_Fletcher32",
    "_NoFill",
    "_QuantizeBitGroomNumberOfSignificantDigits",
    "_QuantizeGranularBitRoundNumberOfSignificantDigits",
    "_QuantizeBitRoundNumberOfSignificantBits",
];

/// Why `name` is not a NetCDF name, if it is not.
pub(crate) fn nc_name_problem(name: &str) -> Option<&'static str> {
    let Some(first) = name.chars().next() else {
        return Some("it is empty");
    };
    if name.len() > NC_MAX_NAME {
        return Some("it is longer than 256 bytes");
    }
    if first.is_ascii() && !(first.is_ascii_alphanumeric() || first == '_') {
        return Some("it must start with a letter, a digit, `_` or a non-ASCII character");
    }
    if name.chars().any(|c| c.is_ascii_control() || c == '/') {
        return Some("it contains `/` or a control character");
    }
    if name.ends_with(' ') {
        return Some("it ends with a space");
    }
    None
}

fn bad(mt: &MediaType, what: String) -> EncodeError {
    EncodeError::unsupported(mt.clone(), what)
}

/// Checks a variable or dimension name.
pub(crate) fn check_nc(kind: &str, name: &str, mt: &MediaType) -> Result<(), EncodeError> {
    match nc_name_problem(name) {
        Some(why) => Err(bad(mt, format!("{kind} name {name:?} is not a valid NetCDF name: {why}"))),
        None => Ok(()),
    }
}

/// Checks an HDF5 link name (group or dataset).
pub(crate) fn check_link(kind: &str, name: &str, mt: &MediaType) -> Result<(), EncodeError> {
    if name.is_empty() || name == "." || name.contains('/') || name.contains('\0') {
        return Err(bad(
            mt,
            format!("{kind} name {name:?} cannot be an HDF5 link name (empty, `.`, or contains `/` or NUL)"),
        ));
    }
    Ok(())
}

/// Checks an attribute name of `owner` (for messages) in `profile`.
pub(crate) fn check_attr(
    profile: Profile,
    name: &str,
    mt: &MediaType,
    owner: &str,
) -> Result<(), EncodeError> {
    match profile {
        Profile::Nc3 | Profile::Nc4 => {
            if let Some(why) = nc_name_problem(name) {
                return Err(bad(
                    mt,
                    format!("attribute {name:?} of {owner} is not a valid NetCDF name: {why}"),
                ));
            }
            if profile == Profile::Nc4 && NC_RESERVED_ATTRS.contains(&name) {
                return Err(bad(mt, format!("attribute {name:?} of {owner} is reserved by netCDF-4")));
            }
        }
        Profile::Hdf5 => {
            if name.is_empty() || name.contains('\0') {
                return Err(bad(
                    mt,
                    format!("attribute {name:?} of {owner} cannot be an HDF5 attribute name"),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn netcdf_names() {
        for ok in ["x", "_x", "0x", "é名🙂", "with space", "a:b", "quote\"d"] {
            assert_eq!(nc_name_problem(ok), None, "{ok}");
        }
        for bad in ["", " x", "x ", "a/b", "new\nline", "-x", &"x".repeat(257)] {
            assert!(nc_name_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn reserved_and_link_names() {
        let mt = MediaType::from_static("application/x-netcdf4");
        assert!(check_attr(Profile::Nc4, "_NCProperties", &mt, "x").is_err());
        assert!(check_attr(Profile::Nc3, "_NCProperties", &mt, "x").is_ok());
        assert!(check_attr(Profile::Hdf5, "a/b", &mt, "x").is_ok());
        assert!(check_link("group", "a/b", &mt).is_err());
        assert!(check_link("group", ".", &mt).is_err());
        assert!(check_link("group", "é", &mt).is_ok());
    }
}
