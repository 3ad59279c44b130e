//! CF encoding of a [`Dataset`]: what xarray's `to_netcdf` does to a dataset before the
//! bytes are written, so that `xarray.open_dataset` gives the same dataset back.
//!
//! The output, [`Encoded`], holds only types the target format stores (see [`Profile`]);
//! everything is validated here, before the first byte of any format is written.

use std::borrow::Cow;
use std::collections::BTreeSet;

use indexmap::IndexMap;
use tessera_core::array::Cell;
use tessera_core::dataset::{Dataset, Variable};
use tessera_core::time::{days_from_civil, write_datetime};
use tessera_core::{DataType, Element, EncodeError, MediaType, NdArray, TimeUnit};

use crate::attrs::{self, AttrValue, Profile};
use crate::names;

/// A dataset ready to be written: dimensions (including the character dimensions of text
/// variables), variables in order (coordinates first) and global attributes.
#[derive(Debug)]
pub(crate) struct Encoded<'a> {
    pub dims: IndexMap<String, usize>,
    pub vars: Vec<EncodedVar<'a>>,
    pub attrs: Vec<(String, AttrValue)>,
}

/// One variable as stored.
#[derive(Debug)]
pub(crate) struct EncodedVar<'a> {
    pub name: &'a str,
    pub dims: Vec<String>,
    pub values: Values<'a>,
    pub attrs: Vec<(String, AttrValue)>,
}

/// The values of a variable as stored.
#[derive(Debug)]
pub(crate) enum Values<'a> {
    /// An array of a dtype the format holds (numbers; for HDF5 also records, complex,
    /// bools and fixed-width bytes). Borrowed when no conversion was needed.
    Array(Cow<'a, NdArray>),
    /// Characters (NetCDF `char`): C-order bytes over the variable's dims, whose last one
    /// is the character dimension.
    Chars(Vec<u8>),
    /// Variable-length UTF-8 strings in C order (NetCDF-4 `string`, HDF5 vlen strings).
    #[cfg_attr(not(any(feature = "netcdf4", feature = "hdf5")), allow(dead_code))]
    Strings(Vec<String>),
}

const NS_PER_DAY: i128 = 86_400_000_000_000;

/// CF time units, coarsest first, with their length in nanoseconds.
const CF_UNITS: [(&str, i128); 7] = [
    ("days", NS_PER_DAY),
    ("hours", 3_600_000_000_000),
    ("minutes", 60_000_000_000),
    ("seconds", 1_000_000_000),
    ("milliseconds", 1_000_000),
    ("microseconds", 1_000),
    ("nanoseconds", 1),
];

struct Ctx<'m> {
    profile: Profile,
    mt: &'m MediaType,
}

impl Ctx<'_> {
    fn unsupported(&self, what: String) -> EncodeError {
        EncodeError::unsupported(self.mt.clone(), what)
    }
}

fn map_values<S: Element, D: Element>(a: &NdArray, f: impl Fn(S) -> D) -> NdArray {
    let src = a.as_slice::<S>().expect("caller matched the dtype");
    NdArray::from_vec(a.shape().to_vec(), src.iter().map(|&v| f(v)).collect()).expect("same shape")
}

fn try_map_values<S: Element, D: Element>(a: &NdArray, f: impl Fn(S) -> Option<D>) -> Result<NdArray, S> {
    let src = a.as_slice::<S>().expect("caller matched the dtype");
    let mut out = Vec::with_capacity(src.len());
    for &v in src {
        out.push(f(v).ok_or(v)?);
    }
    Ok(NdArray::from_vec(a.shape().to_vec(), out).expect("same shape"))
}

fn same_bits(a: &NdArray, dt: DataType) -> NdArray {
    NdArray::new(dt, a.shape().to_vec(), a.buffer().clone()).expect("same itemsize")
}

fn i64s(a: &NdArray) -> impl Iterator<Item = i64> + '_ {
    a.as_bytes().chunks_exact(8).map(|c| i64::from_le_bytes(c.try_into().expect("8 bytes")))
}

/// A datetime as nanoseconds since the epoch (wide enough for every unit and value).
fn datetime_ns(v: i64, unit: TimeUnit) -> Option<i128> {
    let day = |y: i64, m: u32| -> Option<i128> {
        // Far outside any calendar a reader handles; refuse rather than overflow.
        (y.unsigned_abs() < 1 << 40).then(|| i128::from(days_from_civil(y, m, 1)) * NS_PER_DAY)
    };
    match unit {
        TimeUnit::Year => day(1970i64.checked_add(v)?, 1),
        TimeUnit::Month => day(1970i64.checked_add(v.div_euclid(12))?, v.rem_euclid(12) as u32 + 1),
        other => Some(i128::from(v) * i128::from(other.nanos().expect("fixed-length unit"))),
    }
}

/// `YYYY-MM-DD HH:MM:SS[.f]`, as xarray writes the reference date of CF units.
fn reference_text(ns: i128) -> String {
    let secs = ns.div_euclid(1_000_000_000);
    let frac = ns.rem_euclid(1_000_000_000) as u32;
    let mut out = Vec::new();
    write_datetime(&mut out, i64::try_from(secs).unwrap_or(0), TimeUnit::Second);
    let mut s = String::from_utf8(out).expect("ASCII").replacen('T', " ", 1);
    if frac != 0 {
        let digits = format!("{frac:09}");
        s.push('.');
        s.push_str(digits.trim_end_matches('0'));
    }
    s
}

/// Counts of one CF unit, as stored: `int32` or `int64` when every value fits (NaT as
/// `i64::MIN` in `int64`, which xarray reads back as NaT), otherwise `float64` with NaN for
/// NaT when every count is exact in a double.
fn time_counts(
    ctx: &Ctx<'_>,
    name: &str,
    counts: &[Option<i128>],
    what: &str,
) -> Result<NdArray, EncodeError> {
    let n = counts.len();
    let shape = vec![n];
    if ctx.profile == Profile::Nc3 {
        let ints = counts.iter().map(|c| c.ok_or(()).and_then(|c| i32::try_from(c).map_err(|_| ())));
        if let Ok(v) = ints.collect::<Result<Vec<i32>, ()>>() {
            return Ok(NdArray::from_vec(shape, v).expect("shape"));
        }
        let exact = |c: i128| c.unsigned_abs() <= 1 << 53;
        if counts.iter().flatten().all(|&c| exact(c)) {
            let v: Vec<f64> = counts.iter().map(|c| c.map_or(f64::NAN, |c| c as f64)).collect();
            return Ok(NdArray::from_vec(shape, v).expect("shape"));
        }
        return Err(ctx.unsupported(format!(
            "variable {name:?}: its {what} need more than 53 bits in NetCDF-3, which has no 64-bit \
             integers; export it as NetCDF-4 (nc4) or HDF5, or slice it"
        )));
    }
    let v: Option<Vec<i64>> = counts
        .iter()
        .map(|c| c.map_or(Some(i64::MIN), |c| i64::try_from(c).ok().filter(|&c| c != i64::MIN)))
        .collect();
    match v {
        Some(v) => Ok(NdArray::from_vec(shape, v).expect("shape")),
        None => Err(ctx.unsupported(format!("variable {name:?}: its {what} do not fit in 64-bit integers"))),
    }
}

/// The coarsest CF unit dividing every value.
fn coarsest_unit(values: impl Iterator<Item = i128> + Clone) -> (&'static str, i128) {
    CF_UNITS
        .iter()
        .copied()
        .find(|&(_, len)| values.clone().all(|v| v % len == 0))
        .unwrap_or(("nanoseconds", 1))
}

fn encode_datetime(
    ctx: &Ctx<'_>,
    name: &str,
    a: &NdArray,
    unit: TimeUnit,
) -> Result<(NdArray, Vec<(String, AttrValue)>), EncodeError> {
    let ns: Vec<Option<i128>> = i64s(a)
        .map(|v| if v == i64::MIN { Ok(None) } else { datetime_ns(v, unit).map(Some).ok_or(v) })
        .collect::<Result<_, _>>()
        .map_err(|v| {
            ctx.unsupported(format!(
                "variable {name:?}: datetime value {v} [{}] is out of range",
                unit.code()
            ))
        })?;
    // xarray's rule: the first valid date is the reference, the unit the coarsest one that
    // divides every difference from it.
    let reference = ns.iter().flatten().next().copied().unwrap_or(0);
    let (unit_name, len) = coarsest_unit(ns.iter().flatten().map(|&v| v - reference));
    let counts: Vec<Option<i128>> = ns.iter().map(|v| v.map(|v| (v - reference) / len)).collect();
    let data = time_counts(ctx, name, &counts, "datetimes")?.reshape(a.shape().to_vec()).expect("same count");
    let attrs = vec![
        ("units".to_owned(), AttrValue::Text(format!("{unit_name} since {}", reference_text(reference)))),
        ("calendar".to_owned(), AttrValue::Text("proleptic_gregorian".to_owned())),
    ];
    Ok((data, attrs))
}

fn encode_timedelta(
    ctx: &Ctx<'_>,
    name: &str,
    a: &NdArray,
    unit: TimeUnit,
) -> Result<(NdArray, Vec<(String, AttrValue)>), EncodeError> {
    let Some(per) = unit.nanos() else {
        return Err(ctx.unsupported(format!(
            "variable {name:?}: timedelta64[{}] has no fixed length (CF cannot encode it)",
            unit.code()
        )));
    };
    let ns: Vec<Option<i128>> =
        i64s(a).map(|v| (v != i64::MIN).then(|| i128::from(v) * i128::from(per))).collect();
    let (unit_name, len) = coarsest_unit(ns.iter().flatten().copied());
    let counts: Vec<Option<i128>> = ns.iter().map(|v| v.map(|v| v / len)).collect();
    let data = time_counts(ctx, name, &counts, "durations")?.reshape(a.shape().to_vec()).expect("same count");
    let attrs = vec![
        ("units".to_owned(), AttrValue::Text(unit_name.to_owned())),
        ("dtype".to_owned(), AttrValue::Text(format!("timedelta64[{}]", unit.code()))),
    ];
    Ok((data, attrs))
}

/// Strings of a text array, in C order.
fn strings(a: &NdArray) -> Vec<String> {
    (0..a.len())
        .map(|i| match a.cell(i) {
            Cell::Str(s) => s.into_owned(),
            Cell::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
            _ => String::new(),
        })
        .collect()
}

/// Fixed-width characters: each element's bytes NUL-padded to `width`.
fn chars(elems: impl Iterator<Item = Vec<u8>>, n: usize, width: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n * width);
    for e in elems {
        out.extend_from_slice(&e);
        out.resize(out.len() + (width - e.len()), 0);
    }
    out
}

/// What one variable's values become, and the attributes the conversion adds.
struct Converted<'a> {
    values: Values<'a>,
    char_dim: Option<(String, usize)>,
    attrs: Vec<(String, AttrValue)>,
}

impl<'a> Converted<'a> {
    fn plain(values: Values<'a>) -> Self {
        Converted { values, char_dim: None, attrs: Vec::new() }
    }
    fn array(a: NdArray) -> Self {
        Self::plain(Values::Array(Cow::Owned(a)))
    }
    fn with(mut self, k: &str, v: AttrValue) -> Self {
        self.attrs.push((k.to_owned(), v));
        self
    }
}

fn convert_values<'a>(ctx: &Ctx<'_>, name: &str, a: &'a NdArray) -> Result<Converted<'a>, EncodeError> {
    use DataType as D;
    let p = ctx.profile;
    let keep = || Converted::plain(Values::Array(Cow::Borrowed(a)));
    let unsigned = |c: Converted<'a>| c.with("_Unsigned", AttrValue::Text("true".into()));
    Ok(match a.data_type() {
        D::Int8 | D::Int16 | D::Int32 | D::Float32 | D::Float64 => keep(),
        D::Bool if p == Profile::Hdf5 => keep(),
        D::Bool => Converted::array(map_values(a, |b: tessera_core::Bool8| i8::from(b.get())))
            .with("dtype", AttrValue::Text("bool".into())),
        D::Int64 | D::UInt16 | D::UInt32 | D::UInt64 | D::UInt8 if p != Profile::Nc3 => keep(),
        D::Int64 => Converted::array(try_map_values(a, |v: i64| i32::try_from(v).ok()).map_err(|v| {
            ctx.unsupported(format!(
                "variable {name:?}: int64 value {v} does not fit in NetCDF-3's 32-bit int; export it as \
                 NetCDF-4 (nc4) or HDF5, or convert it first"
            ))
        })?),
        // NetCDF-3 has only signed integers: the CF convention `_Unsigned = "true"` marks the
        // same bits as unsigned, and xarray and netCDF-Java read them back unsigned.
        D::UInt8 => unsigned(Converted::array(same_bits(a, D::Int8))),
        D::UInt16 => unsigned(Converted::array(same_bits(a, D::Int16))),
        D::UInt32 => unsigned(Converted::array(same_bits(a, D::Int32))),
        D::UInt64 => unsigned(Converted::array(
            try_map_values(a, |v: u64| u32::try_from(v).ok().map(|v| v as i32)).map_err(|v| {
                ctx.unsupported(format!(
                    "variable {name:?}: uint64 value {v} does not fit in NetCDF-3's 32-bit int; export it \
                     as NetCDF-4 (nc4) or HDF5, or convert it first"
                ))
            })?,
        )),
        D::Float16 if p == Profile::Hdf5 => keep(),
        // Exact: every half value is a float.
        D::Float16 => Converted::array(map_values(a, |v: half::f16| v.to_f32())),
        D::Complex64 | D::Complex128 | D::Record { .. } if p == Profile::Hdf5 => keep(),
        D::Complex64 | D::Complex128 | D::Record { .. } => {
            return Err(ctx.unsupported(format!(
                "variable {name:?}: NetCDF cannot hold {} values; export the dataset as HDF5, or drop \
                 the variable",
                a.data_type()
            )));
        }
        D::Datetime64(u) => {
            let (data, attrs) = encode_datetime(ctx, name, a, *u)?;
            Converted { values: Values::Array(Cow::Owned(data)), char_dim: None, attrs }
        }
        D::Timedelta64(u) => {
            let (data, attrs) = encode_timedelta(ctx, name, a, *u)?;
            Converted { values: Values::Array(Cow::Owned(data)), char_dim: None, attrs }
        }
        D::Unicode(_) if p != Profile::Nc3 => Converted::plain(Values::Strings(strings(a))),
        D::Unicode(_) => {
            // xarray's NetCDF-3 form: UTF-8 bytes in a char array whose last dimension
            // `string<N>` is the longest encoded length, marked `_Encoding = "utf-8"`.
            let s = strings(a);
            let width = s.iter().map(String::len).max().unwrap_or(0).max(1);
            let bytes = chars(s.into_iter().map(String::into_bytes), a.len(), width);
            Converted {
                values: Values::Chars(bytes),
                char_dim: Some((format!("string{width}"), width)),
                attrs: Vec::new(),
            }
            .with("_Encoding", AttrValue::Text("utf-8".into()))
        }
        D::Bytes(_) if p == Profile::Hdf5 => keep(),
        D::Bytes(n) => {
            let width = (*n).max(1);
            let bytes = chars(a.as_bytes().chunks(*n.max(&1)).map(<[u8]>::to_vec), a.len(), width);
            let bytes = if *n == 0 { vec![0; a.len()] } else { bytes };
            Converted {
                values: Values::Chars(bytes),
                char_dim: Some((format!("string{width}"), width)),
                attrs: Vec::new(),
            }
        }
        other => {
            return Err(ctx.unsupported(format!("variable {name:?}: data type {other} is not supported")));
        }
    })
}

/// Re-types a `_FillValue` / `missing_value` number to the variable's stored type, as the
/// formats require; `None` when it cannot be represented exactly.
fn cast_fill(v: &NdArray, to: &DataType) -> Option<NdArray> {
    if v.len() != 1 {
        return None;
    }
    let cell = v.cell(0);
    let (int, float): (Option<i128>, f64) = match cell {
        Cell::Bool(b) => (Some(i128::from(b)), f64::from(u8::from(b))),
        Cell::Int(i) => (Some(i128::from(i)), i as f64),
        Cell::UInt(u) => (Some(i128::from(u)), u as f64),
        Cell::Float(f) => ((f.fract() == 0.0 && f.abs() < 1e38).then_some(f as i128), f),
        Cell::Float32(f) => ((f.fract() == 0.0).then_some(f as i128), f64::from(f)),
        _ => return None,
    };
    fn one<T: Element>(v: T) -> NdArray {
        NdArray::from_vec(vec![], vec![v]).expect("0-d")
    }
    let int = |f: fn(i128) -> Option<NdArray>| int.and_then(f);
    Some(match to {
        DataType::Int8 => int(|i| i8::try_from(i).ok().map(one))?,
        DataType::Int16 => int(|i| i16::try_from(i).ok().map(one))?,
        DataType::Int32 => int(|i| i32::try_from(i).ok().map(one))?,
        DataType::Int64 => int(|i| i64::try_from(i).ok().map(one))?,
        DataType::UInt8 => int(|i| u8::try_from(i).ok().map(one))?,
        DataType::UInt16 => int(|i| u16::try_from(i).ok().map(one))?,
        DataType::UInt32 => int(|i| u32::try_from(i).ok().map(one))?,
        DataType::UInt64 => int(|i| u64::try_from(i).ok().map(one))?,
        DataType::Float32 => {
            let f = float as f32;
            (f64::from(f) == float || float.is_nan()).then(|| one(f))?
        }
        DataType::Float64 => one(float),
        _ => return None,
    })
}

fn encode_var<'a>(
    ctx: &Ctx<'_>,
    name: &'a str,
    var: &'a Variable,
) -> Result<(EncodedVar<'a>, Option<(String, usize)>), EncodeError> {
    let owner = format!("variable {name:?}");
    let converted = convert_values(ctx, name, &var.data)?;
    let mut attrs = attrs::convert(&var.attrs, ctx.profile, ctx.mt, &owner)?;
    for (k, _) in &converted.attrs {
        if var.attrs.contains_key(k) {
            return Err(ctx.unsupported(format!(
                "variable {name:?} has an attribute {k:?}, which its CF encoding needs for itself"
            )));
        }
    }
    // The fill value must have the variable's stored type.
    for (k, v) in attrs.iter_mut() {
        if k != "_FillValue" && k != "missing_value" {
            continue;
        }
        let stored = match &converted.values {
            Values::Array(a) if a.data_type().is_numeric() && *a.data_type() != DataType::Bool => {
                Some(a.data_type().clone())
            }
            _ => None,
        };
        let cast = match (&*v, stored) {
            (AttrValue::Numbers(n), Some(dt)) => cast_fill(n, &dt),
            _ => None,
        };
        match cast {
            Some(c) => *v = AttrValue::Numbers(c),
            None => {
                return Err(ctx.unsupported(format!(
                    "variable {name:?}: attribute {k:?} must be one number that the variable's stored \
                     type holds exactly"
                )));
            }
        }
    }
    attrs.extend(converted.attrs);
    let mut dims = var.dims.clone();
    if let Some((d, _)) = &converted.char_dim {
        dims.push(d.clone());
    }
    Ok((EncodedVar { name, dims, values: converted.values, attrs }, converted.char_dim))
}

/// CF-encodes `ds` for `profile`.
///
/// # Errors
/// [`EncodeError::Unsupported`] for names, types, values or attributes the format cannot
/// hold, with what to do instead.
pub(crate) fn encode<'a>(
    ds: &'a Dataset,
    profile: Profile,
    mt: &MediaType,
) -> Result<Encoded<'a>, EncodeError> {
    let ctx = Ctx { profile, mt };
    let check_name = |kind: &str, n: &str| match profile {
        Profile::Nc3 | Profile::Nc4 => names::check_nc(kind, n, mt),
        Profile::Hdf5 => names::check_link(kind, n, mt),
    };
    // Dimensions: consistent lengths, valid names (the fields are public, so re-check).
    let mut dims: IndexMap<String, usize> = IndexMap::new();
    for (name, v) in ds.variables() {
        check_name("variable", name)?;
        if v.dims.len() != v.data.ndim() {
            return Err(ctx.unsupported(format!(
                "variable {name:?} has {} dimension names for {} dimensions",
                v.dims.len(),
                v.data.ndim()
            )));
        }
        let mut seen = BTreeSet::new();
        for (d, &n) in v.dims.iter().zip(v.data.shape()) {
            check_name("dimension", d)?;
            if !seen.insert(d) {
                return Err(ctx.unsupported(format!("variable {name:?} uses dimension {d:?} twice")));
            }
            if *dims.entry(d.clone()).or_insert(n) != n {
                return Err(ctx.unsupported(format!(
                    "dimension {d:?} has two lengths, {} and {n} (variable {name:?})",
                    dims[d]
                )));
            }
        }
    }
    for (name, v) in ds.variables() {
        if dims.contains_key(name) && v.dims != [name.clone()] {
            return Err(ctx.unsupported(format!(
                "variable {name:?} has the name of a dimension but is not the 1-D coordinate along it \
                 (xarray cannot read that); rename it"
            )));
        }
    }
    let mut vars = Vec::with_capacity(ds.coords.len() + ds.data_vars.len());
    let mut char_dims: IndexMap<String, usize> = IndexMap::new();
    for (name, v) in ds.variables() {
        let (ev, char_dim) = encode_var(&ctx, name, v)?;
        if let Some((d, n)) = char_dim {
            if dims.contains_key(&d) || ds.coords.contains_key(&d) || ds.data_vars.contains_key(&d) {
                return Err(ctx.unsupported(format!(
                    "variable {name:?} needs a character dimension {d:?}, a name the dataset already uses"
                )));
            }
            char_dims.insert(d, n);
        }
        vars.push(ev);
    }
    dims.extend(char_dims);
    add_coordinates_attrs(&ctx, ds, &mut vars)?;
    let mut attrs = attrs::convert(&ds.attrs, profile, mt, "the dataset")?;
    if let Some(global) = global_coordinates(ds).filter(|_| !ds.attrs.contains_key("coordinates")) {
        attrs.push(("coordinates".to_owned(), AttrValue::Text(global)));
    }
    Ok(Encoded { dims, vars, attrs })
}

/// Non-dimension coordinates: coordinates that are not the 1-D variable of their own dim.
fn non_dim_coords(ds: &Dataset) -> Vec<&String> {
    ds.coords.iter().filter(|(n, v)| v.dims != [(*n).clone()]).map(|(n, _)| n).collect()
}

/// Which non-dimension coordinates each data variable lists in its `coordinates`
/// attribute: those whose dims are a subset of the variable's (xarray's rule).
fn coordinates_of<'d>(ds: &'d Dataset, var: &Variable) -> Vec<&'d String> {
    let mut out: Vec<&String> = non_dim_coords(ds)
        .into_iter()
        .filter(|c| ds.coords[c.as_str()].dims.iter().all(|d| var.dims.contains(d)))
        .collect();
    out.sort();
    out
}

fn add_coordinates_attrs(
    ctx: &Ctx<'_>,
    ds: &Dataset,
    vars: &mut [EncodedVar<'_>],
) -> Result<(), EncodeError> {
    for ev in vars.iter_mut() {
        let Some(var) = ds.data_vars.get(ev.name) else { continue };
        let coords = coordinates_of(ds, var);
        if coords.is_empty() || var.attrs.contains_key("coordinates") {
            continue;
        }
        if let Some(c) = coords.iter().find(|c| c.contains(' ')) {
            return Err(ctx.unsupported(format!(
                "coordinate {c:?} has a space in its name and cannot be listed in a CF `coordinates` attribute"
            )));
        }
        let text = coords.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ");
        ev.attrs.push(("coordinates".to_owned(), AttrValue::Text(text)));
    }
    Ok(())
}

/// Non-dimension coordinates that no data variable lists, for the global `coordinates`.
fn global_coordinates(ds: &Dataset) -> Option<String> {
    let mut left: Vec<&String> = non_dim_coords(ds)
        .into_iter()
        .filter(|c| !ds.data_vars.values().any(|v| coordinates_of(ds, v).contains(c)))
        .collect();
    left.sort();
    (!left.is_empty()).then(|| left.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" "))
}
