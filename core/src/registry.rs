//! The registry of encoders, and format negotiation.
//!
//! Built once from every `inventory::submit!`-ed [`Registration`] linked into the binary
//! ([`Registry::global`]), or from explicit lists ([`Registry::from_static`]) by embedders
//! who want no link-time magic. Entries are sorted by family and media type; two encoders
//! claiming one media type or alias for one family is an error, and so is an empty registry.
//!
//! ```
//! use tessera_core::{Family, Registry, raw};
//! let reg = Registry::from_static(raw::REGISTRATIONS).unwrap();
//! let (enc, _params) = reg.negotiate(Family::Array, Some("npy"), None).unwrap();
//! assert_eq!(enc.spec().media_type.as_str(), "application/x-npy");
//! assert!(reg.negotiate(Family::Array, Some("xlsx"), None).is_err());
//! ```

use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::encoder::{Family, Registration, Spec};
use crate::error::{NegotiationError, RegistryError};
use crate::media::{MediaType, Params, parse_media_range};

/// The set of encoders available to this program.
#[derive(Debug)]
pub struct Registry {
    entries: Vec<Registration>,
    /// (family, lower-cased media type or alias) → index into `entries`.
    names: BTreeMap<(Family, String), usize>,
}

impl Registry {
    /// Builds a registry from registrations.
    ///
    /// # Errors
    /// [`RegistryError::Empty`] or [`RegistryError::Duplicate`].
    pub fn from_static(regs: &[Registration]) -> Result<Self, RegistryError> {
        Self::build(regs.to_vec())
    }

    /// Builds a registry from several crates' lists.
    ///
    /// # Errors
    /// As [`Registry::from_static`].
    pub fn from_lists(lists: &[&[Registration]]) -> Result<Self, RegistryError> {
        Self::build(lists.iter().flat_map(|l| l.iter().copied()).collect())
    }

    fn build(mut entries: Vec<Registration>) -> Result<Self, RegistryError> {
        if entries.is_empty() {
            return Err(RegistryError::Empty);
        }
        entries.sort_by(|a, b| {
            let (a, b) = (a.spec(), b.spec());
            (a.family, &a.media_type).cmp(&(b.family, &b.media_type))
        });
        let mut names = BTreeMap::new();
        for (i, e) in entries.iter().enumerate() {
            let spec = e.spec();
            let keys = std::iter::once(spec.media_type.as_str()).chain(spec.aliases.iter().copied());
            for k in keys {
                let k = k.to_ascii_lowercase();
                if let Some(&j) = names.get(&(spec.family, k.clone())) {
                    let j: usize = j;
                    return Err(RegistryError::Duplicate {
                        family: spec.family.to_string(),
                        name: k,
                        first: entries[j].spec().provider,
                        second: spec.provider,
                    });
                }
                names.insert((spec.family, k), i);
            }
        }
        Ok(Registry { entries, names })
    }

    /// The registry of every encoder linked into this program, built on first use.
    ///
    /// # Errors
    /// As [`Registry::from_static`]; the same error is returned on every call.
    pub fn global() -> Result<&'static Registry, RegistryError> {
        static GLOBAL: OnceLock<Result<Registry, RegistryError>> = OnceLock::new();
        GLOBAL
            .get_or_init(|| Self::build(inventory::iter::<Registration>.into_iter().copied().collect()))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Every registration, sorted by family then media type.
    pub fn iter(&self) -> impl Iterator<Item = &Registration> {
        self.entries.iter()
    }

    /// Specs of one family, sorted by media type.
    pub fn specs(&self, family: Family) -> impl Iterator<Item = &'static Spec> + '_ {
        self.entries.iter().map(Registration::spec).filter(move |s| s.family == family)
    }

    /// Media types a family accepts, for `/api/v1/` `formats`: each canonical type followed
    /// by its media-type aliases. The family's default (lowest `default_rank`) comes first, as in Tiled's listing; the
    /// rest follow by rank, then media type.
    pub fn formats(&self, family: Family) -> Vec<String> {
        let mut specs: Vec<&Spec> = self.specs(family).collect();
        specs.sort_by(|a, b| (a.default_rank, &a.media_type).cmp(&(b.default_rank, &b.media_type)));
        let mut out = Vec::new();
        for s in specs {
            out.push(s.media_type.to_string());
            out.extend(s.aliases.iter().filter(|a| a.contains('/')).map(|a| a.to_string()));
        }
        out
    }

    /// Short aliases per media type, for `/api/v1/` `aliases`.
    pub fn aliases(&self, family: Family) -> BTreeMap<String, Vec<String>> {
        self.specs(family)
            .map(|s| {
                let short = s.aliases.iter().filter(|a| !a.contains('/')).map(|a| a.to_string()).collect();
                (s.media_type.to_string(), short)
            })
            .collect()
    }

    /// Looks up an encoder by media type or alias.
    pub fn get(&self, family: Family, name: &str) -> Option<Registration> {
        self.names.get(&(family, name.trim().to_ascii_lowercase())).map(|&i| self.entries[i])
    }

    fn default_for(&self, family: Family, top_level: Option<&str>) -> Option<Registration> {
        self.entries
            .iter()
            .filter(|e| {
                let s = e.spec();
                s.family == family
                    && s.default_rank != u8::MAX
                    && top_level.is_none_or(|t| s.media_type.top_level() == t)
            })
            .min_by_key(|e| e.spec().default_rank)
            .copied()
    }

    /// Picks an encoder for `family` from a `format=` value (which wins) or an `Accept`
    /// header. Both may be comma lists; the first supported entry wins (`Accept` entries
    /// ordered by `q`). An entry is an alias (`csv`, `.csv`), or a media type with
    /// parameters (`text/csv;header=absent`), which are passed on. `*/*` (or nothing at
    /// all) gives the family's default; `image/*` the family's first image type.
    ///
    /// # Errors
    /// [`NegotiationError::NotAcceptable`] listing what the family supports.
    pub fn negotiate(
        &self,
        family: Family,
        format: Option<&str>,
        accept: Option<&str>,
    ) -> Result<(Registration, Params), NegotiationError> {
        let (requested, candidates) = match format.filter(|f| !f.trim().is_empty()) {
            Some(f) => (f, split_list(f, false)),
            None => match accept.filter(|a| !a.trim().is_empty()) {
                Some(a) => (a, split_list(a, true)),
                None => ("*/*", vec!["*/*".to_owned()]),
            },
        };
        for c in &candidates {
            let c = c.trim();
            let alias = c.strip_prefix('.').unwrap_or(c);
            if let Some(r) = self.get(family, alias) {
                return Ok((r, Params::new()));
            }
            let Ok((mt, params)) = parse_media_range(c) else { continue };
            if let Some(r) = self.get(family, mt.as_str()) {
                return Ok((r, params));
            }
            if let Some(wild) = wildcard(&mt) {
                if let Some(r) = self.default_for(family, wild) {
                    return Ok((r, params));
                }
            }
        }
        Err(NegotiationError::NotAcceptable {
            requested: requested.to_owned(),
            supported: self.formats(family),
        })
    }
}

/// `*/*` → `Some(None)`; `image/*` → `Some(Some("image"))`; otherwise `None`.
fn wildcard(mt: &MediaType) -> Option<Option<&str>> {
    let s = mt.as_str();
    if s == "*/*" { Some(None) } else { s.strip_suffix("/*").map(Some) }
}

/// Splits a comma list; for `Accept`, orders by `q` (stable, highest first) and drops `q=0`.
fn split_list(s: &str, by_quality: bool) -> Vec<String> {
    let mut items: Vec<(f32, String)> = s
        .split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            let q = if by_quality {
                p.split(';')
                    .skip(1)
                    .filter_map(|kv| kv.split_once('='))
                    .find(|(k, _)| k.trim().eq_ignore_ascii_case("q"))
                    .and_then(|(_, v)| v.trim().parse::<f32>().ok())
                    .unwrap_or(1.0)
            } else {
                1.0
            };
            (q, p.trim().to_owned())
        })
        .filter(|(q, _)| *q > 0.0)
        .collect();
    if by_quality {
        items.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(std::cmp::Ordering::Equal));
    }
    items.into_iter().map(|(_, s)| s).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoder::{ArrayEncoder, ArraySource, Output};
    use crate::error::EncodeError;
    use crate::{DataType, raw};

    struct Fake(&'static Spec);
    impl ArrayEncoder for Fake {
        fn spec(&self) -> &'static Spec {
            self.0
        }
        fn check(&self, _: &DataType, _: &[usize], _: &Params) -> Result<(), EncodeError> {
            Ok(())
        }
        fn encode(
            &self,
            _: &dyn ArraySource,
            _: &Params,
            _: &mut dyn std::io::Write,
        ) -> Result<(), EncodeError> {
            Ok(())
        }
    }
    static PNG_SPEC: Spec = Spec {
        media_type: MediaType::from_static("image/png"),
        aliases: &["png"],
        family: Family::Array,
        output: Output::Buffered,
        params: &[],
        default_rank: 50,
        provider: "fake-a",
        description: "test",
    };
    static CLASH_SPEC: Spec = Spec {
        media_type: MediaType::from_static("image/x-other"),
        aliases: &["npy"],
        family: Family::Array,
        output: Output::Buffered,
        params: &[],
        default_rank: u8::MAX,
        provider: "fake-b",
        description: "test",
    };
    static PNG: Fake = Fake(&PNG_SPEC);
    static CLASH: Fake = Fake(&CLASH_SPEC);

    #[test]
    fn empty_and_duplicates_are_errors() {
        assert_eq!(Registry::from_static(&[]).unwrap_err(), RegistryError::Empty);
        let err = Registry::from_lists(&[raw::REGISTRATIONS, &[Registration::Array(&CLASH)]]).unwrap_err();
        assert!(matches!(err, RegistryError::Duplicate { ref name, .. } if name == "npy"), "{err}");
        assert!(err.to_string().contains("fake-b"));
    }

    #[test]
    fn negotiation_rules() {
        let reg = Registry::from_lists(&[raw::REGISTRATIONS, &[Registration::Array(&PNG)]]).unwrap();
        let pick = |f: Option<&str>, a: Option<&str>| {
            reg.negotiate(Family::Array, f, a).map(|(r, p)| (r.spec().media_type.to_string(), p))
        };
        assert_eq!(pick(None, None).unwrap().0, "application/octet-stream");
        assert_eq!(pick(None, Some("*/*")).unwrap().0, "application/octet-stream");
        assert_eq!(pick(None, Some("image/*")).unwrap().0, "image/png");
        assert_eq!(pick(Some(".png"), Some("application/octet-stream")).unwrap().0, "image/png");
        assert_eq!(pick(Some("foo,npy"), None).unwrap().0, "application/x-npy");
        assert_eq!(pick(None, Some("image/png;q=0.5, application/x-npy")).unwrap().0, "application/x-npy");
        let (mt, p) = pick(Some("IMAGE/PNG; level=3"), None).unwrap();
        assert_eq!((mt.as_str(), p.get("level")), ("image/png", Some("3")));
        let err = pick(Some("xlsx"), None).unwrap_err().to_string();
        assert!(err.contains("Requested: xlsx") && err.contains("image/png"), "{err}");
        assert!(reg.negotiate(Family::Table, None, None).is_err());
        assert_eq!(reg.formats(Family::Array)[0], "application/octet-stream");
        assert_eq!(reg.aliases(Family::Array)["image/png"], vec!["png"]);
    }
}
