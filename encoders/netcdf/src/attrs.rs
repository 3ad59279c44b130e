//! JSON metadata → typed attribute values, per target format.
//!
//! Every format here stores attributes as typed values (text, numbers, for HDF5 also
//! booleans and string lists). A JSON value that has a native form is stored natively; any
//! other (objects, `null`, empty or mixed lists, numbers the format cannot hold exactly) is
//! stored as its compact JSON text, and its name is listed in the text attribute
//! [`JSON_ATTRS`] (itself a JSON list of names), so a reader can tell which texts to parse.

use serde_json::{Map, Value};
use tessera_core::{DataType, EncodeError, MediaType, NdArray};

/// Name of the attribute listing, as a JSON array of names, the attributes of the same
/// object that hold JSON text rather than a native value.
pub const JSON_ATTRS: &str = "tessera_json_attrs";

/// The format an encoding is for: it decides which values need converting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Profile {
    /// NetCDF-3 (classic data model: byte, char, short, int, float, double).
    Nc3,
    /// NetCDF-4 (enhanced model: every integer width, strings).
    #[cfg_attr(not(feature = "netcdf4"), allow(dead_code))]
    Nc4,
    /// HDF5 read through h5py/h5netcdf (booleans, half floats, complex, records too).
    #[cfg_attr(not(feature = "hdf5"), allow(dead_code))]
    Hdf5,
}

/// One attribute value, as the format stores it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum AttrValue {
    /// Text (NetCDF `char`, HDF5 variable-length UTF-8 scalar).
    Text(String),
    /// A list of strings (NetCDF-4 `string`, HDF5 1-D variable-length UTF-8).
    #[cfg_attr(not(any(feature = "netcdf4", feature = "hdf5")), allow(dead_code))]
    Strings(Vec<String>),
    /// Numbers: 0-d for a JSON scalar, 1-d for a list; any numeric dtype (bool for HDF5).
    Numbers(NdArray),
}

/// Largest integer magnitude an `f64` holds exactly.
const EXACT_F64: u64 = 1 << 53;

fn exact_f64(n: &serde_json::Number) -> Option<f64> {
    if let Some(i) = n.as_i64() {
        (i.unsigned_abs() <= EXACT_F64).then_some(i as f64)
    } else if let Some(u) = n.as_u64() {
        (u <= EXACT_F64).then_some(u as f64)
    } else {
        n.as_f64()
    }
}

fn numbers<T: tessera_core::Element>(values: Vec<T>, scalar: bool) -> AttrValue {
    let shape = if scalar { vec![] } else { vec![values.len()] };
    AttrValue::Numbers(NdArray::from_vec(shape, values).expect("shape matches the values"))
}

/// Numbers of one JSON list (or one scalar, `scalar = true`) as the narrowest exact type
/// the profile holds, or `None` when some value has no exact native form.
fn native_numbers(list: &[&serde_json::Number], scalar: bool, profile: Profile) -> Option<AttrValue> {
    let all_i64 = list.iter().all(|n| n.is_i64());
    let all_u64 = list.iter().all(|n| n.is_u64());
    match profile {
        Profile::Nc3 => {
            if all_i64 {
                let ints: Vec<i64> = list.iter().filter_map(|n| n.as_i64()).collect();
                if let Ok(v) = ints.iter().map(|&i| i32::try_from(i)).collect::<Result<Vec<i32>, _>>() {
                    return Some(numbers(v, scalar));
                }
            }
            let v: Option<Vec<f64>> = list.iter().map(|n| exact_f64(n)).collect();
            v.map(|v| numbers(v, scalar))
        }
        Profile::Nc4 | Profile::Hdf5 => {
            if all_i64 {
                Some(numbers(list.iter().filter_map(|n| n.as_i64()).collect::<Vec<i64>>(), scalar))
            } else if all_u64 {
                Some(numbers(list.iter().filter_map(|n| n.as_u64()).collect::<Vec<u64>>(), scalar))
            } else {
                let v: Option<Vec<f64>> = list.iter().map(|n| exact_f64(n)).collect();
                v.map(|v| numbers(v, scalar))
            }
        }
    }
}

fn native_bools(list: Vec<bool>, scalar: bool, profile: Profile) -> AttrValue {
    match profile {
        // NetCDF has no boolean type; xarray writes Python booleans as int8 0/1 too.
        Profile::Nc3 | Profile::Nc4 => numbers(list.into_iter().map(i8::from).collect::<Vec<i8>>(), scalar),
        Profile::Hdf5 => {
            let bytes: Vec<u8> = list.into_iter().map(u8::from).collect();
            let shape = if scalar { vec![] } else { vec![bytes.len()] };
            AttrValue::Numbers(NdArray::new(DataType::Bool, shape, bytes).expect("one byte per bool"))
        }
    }
}

/// The native form of a JSON value in `profile`, or `None` when it must be stored as JSON.
pub(crate) fn native(v: &Value, profile: Profile) -> Option<AttrValue> {
    // HDF5 strings are NUL-terminated C strings: a NUL inside would cut the text short.
    let text_ok = |s: &str| profile != Profile::Hdf5 || !s.contains('\0');
    match v {
        Value::String(s) => text_ok(s).then(|| AttrValue::Text(s.clone())),
        Value::Bool(b) => Some(native_bools(vec![*b], true, profile)),
        Value::Number(n) => native_numbers(&[n], true, profile),
        Value::Array(items) if !items.is_empty() => {
            if let Some(b) = items.iter().map(Value::as_bool).collect::<Option<Vec<bool>>>() {
                return Some(native_bools(b, false, profile));
            }
            let nums: Option<Vec<&serde_json::Number>> =
                items.iter().map(|x| if let Value::Number(n) = x { Some(n) } else { None }).collect();
            if let Some(nums) = nums {
                return native_numbers(&nums, false, profile);
            }
            if profile == Profile::Nc3 {
                return None;
            }
            let strs: Option<Vec<String>> =
                items.iter().map(|x| x.as_str().filter(|s| text_ok(s)).map(str::to_owned)).collect();
            strs.map(AttrValue::Strings)
        }
        _ => None,
    }
}

/// Converts a metadata map to attributes: native values where possible, JSON text
/// otherwise, plus the [`JSON_ATTRS`] list when any value is JSON text.
///
/// # Errors
/// [`EncodeError::Unsupported`] when a name is not a valid attribute name of the format or
/// when the map already has an attribute called [`JSON_ATTRS`] and some value needs it.
pub(crate) fn convert(
    map: &Map<String, Value>,
    profile: Profile,
    mt: &MediaType,
    owner: &str,
) -> Result<Vec<(String, AttrValue)>, EncodeError> {
    let mut out = Vec::with_capacity(map.len());
    let mut json_names = Vec::new();
    for (k, v) in map {
        crate::names::check_attr(profile, k, mt, owner)?;
        match native(v, profile) {
            Some(a) => out.push((k.clone(), a)),
            None => {
                json_names.push(Value::String(k.clone()));
                out.push((k.clone(), AttrValue::Text(v.to_string())));
            }
        }
    }
    if !json_names.is_empty() {
        if map.contains_key(JSON_ATTRS) {
            return Err(EncodeError::unsupported(
                mt.clone(),
                format!(
                    "{owner} has an attribute named {JSON_ATTRS:?}, which this format reserves to list \
                     the attributes stored as JSON text"
                ),
            ));
        }
        out.push((JSON_ATTRS.to_owned(), AttrValue::Text(Value::Array(json_names).to_string())));
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    const MT: MediaType = MediaType::from_static("application/x-netcdf");

    fn dt(a: &AttrValue) -> Option<DataType> {
        match a {
            AttrValue::Numbers(n) => Some(n.data_type().clone()),
            _ => None,
        }
    }

    #[test]
    fn numbers_pick_the_narrowest_exact_type() {
        let nc3 = |v: Value| native(&v, Profile::Nc3);
        assert_eq!(dt(&nc3(json!(3)).unwrap()), Some(DataType::Int32));
        assert_eq!(dt(&nc3(json!(1i64 << 40)).unwrap()), Some(DataType::Float64));
        assert_eq!(nc3(json!(u64::MAX)), None);
        assert_eq!(nc3(json!((1i64 << 53) + 1)), None);
        assert_eq!(dt(&nc3(json!([1, 2.5])).unwrap()), Some(DataType::Float64));
        assert_eq!(dt(&nc3(json!(true)).unwrap()), Some(DataType::Int8));
        assert_eq!(nc3(json!(["a", "b"])), None);
        let h5 = |v: Value| native(&v, Profile::Hdf5);
        assert_eq!(dt(&h5(json!(3)).unwrap()), Some(DataType::Int64));
        assert_eq!(dt(&h5(json!(u64::MAX)).unwrap()), Some(DataType::UInt64));
        assert_eq!(dt(&h5(json!([true, false])).unwrap()), Some(DataType::Bool));
        assert_eq!(h5(json!(["a", "b"])), Some(AttrValue::Strings(vec!["a".into(), "b".into()])));
        assert_eq!(h5(json!("a\0b")), None);
        match h5(json!(2.5)).unwrap() {
            AttrValue::Numbers(n) => assert_eq!(n.shape(), &[] as &[usize]),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn others_become_json_and_are_listed() {
        let m = json!({"units": "m", "nested": {"a": [1, {"b": null}]}, "mixed": [1, "x"], "none": null, "empty": []});
        let attrs = convert(m.as_object().unwrap(), Profile::Hdf5, &MT, "the root").unwrap();
        let get = |k: &str| attrs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap();
        assert_eq!(get("units"), AttrValue::Text("m".into()));
        assert_eq!(get("nested"), AttrValue::Text(r#"{"a":[1,{"b":null}]}"#.into()));
        assert_eq!(get("none"), AttrValue::Text("null".into()));
        assert_eq!(get(JSON_ATTRS), AttrValue::Text(r#"["nested","mixed","none","empty"]"#.into()));
        let clash = json!({JSON_ATTRS: "x", "n": {}});
        assert!(convert(clash.as_object().unwrap(), Profile::Nc3, &MT, "x").is_err());
        let fine = json!({JSON_ATTRS: "x"});
        assert_eq!(convert(fine.as_object().unwrap(), Profile::Nc3, &MT, "x").unwrap().len(), 1);
    }
}
