//! The encoders are registered, aliased and negotiated as Tiled's clients expect.

use tessera_core::{Family, Registration, Registry};

fn media_type(r: Registration) -> String {
    r.spec().media_type.to_string()
}

#[test]
fn formats_negotiate_by_alias_media_type_and_wildcard() {
    let reg =
        Registry::from_lists(&[tessera_core::raw::REGISTRATIONS, tessera_image::REGISTRATIONS]).unwrap();
    for (format, mt) in [
        ("png", "image/png"),
        (".png", "image/png"),
        ("image/png;level=9", "image/png"),
        ("tif", "image/tiff"),
        ("tiff", "image/tiff"),
        ("image/tiff;compression=packbits", "image/tiff"),
        ("image/*", "image/png"),
    ] {
        let (r, _) = reg.negotiate(Family::Array, Some(format), None).unwrap();
        assert_eq!(media_type(r), mt, "{format}");
    }
    let (r, params) = reg.negotiate(Family::Array, None, Some("image/png;compression=best")).unwrap();
    assert_eq!((media_type(r).as_str(), params.get("compression")), ("image/png", Some("best")));
    // `*/*` stays the raw bytes the Tiled client reads.
    let (r, _) = reg.negotiate(Family::Array, None, Some("*/*")).unwrap();
    assert_eq!(media_type(r), "application/octet-stream");
    assert!(reg.negotiate(Family::Table, Some("png"), None).is_err());
}

#[test]
fn inventory_registers_both() {
    use tessera_image as _;
    let reg = Registry::global().unwrap();
    assert!(reg.get(Family::Array, "image/png").is_some());
    assert!(reg.get(Family::Array, "tif").is_some());
}
