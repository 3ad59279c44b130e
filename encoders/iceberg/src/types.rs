//! From the source's Arrow schema to what Iceberg can hold: schema overrides, the checks that
//! refuse (or, with `convert_types`, convert) types Iceberg lacks, the append compatibility
//! check, and the per-batch cast to the table's own Arrow schema.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::str::FromStr;
use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray, RecordBatch, RecordBatchOptions};
use arrow::compute::{CastOptions, can_cast_types, cast_with_options};
use arrow::datatypes::{DataType, Field, FieldRef, Fields, Float64Type, Schema, SchemaRef, TimeUnit};
use arrow::error::ArrowError;
use arrow::util::display::FormatOptions;

use crate::error::{ErrorKind, IcebergError, py_list, py_repr};
use crate::options::IcebergOptions;

/// The source schema made ready for Iceberg, and how to turn each source column into it.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    /// After overrides and conversions; every field nullable. A new table is created from it.
    pub(crate) schema: SchemaRef,
    /// Per source column: the override type (cast first), then the converted type.
    steps: Vec<Step>,
}

#[derive(Debug, Clone)]
struct Step {
    name: String,
    override_type: Option<DataType>,
    /// The prepared type when it differs from the (overridden) source type.
    convert_to: Option<DataType>,
}

/// Why a type cannot go into Iceberg; one message per kind, naming every column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Problem {
    Null,
    FixedSizeList,
    UInt64,
    Float16,
    TimestampUnit,
    TimestampNs,
    TimestampZone,
    Date64,
    Time,
    EmptyStruct,
    Decimal256,
    ListView,
    NoEquivalent,
}

impl Problem {
    fn message(self, paths: &[String], types: &[String]) -> String {
        let cols = py_list(paths);
        match self {
            Problem::Null => format!(
                "export_iceberg(): cannot infer a concrete type for column(s) or field(s) {cols} because every value is null (Arrow type null). Iceberg has no null-only type; you can specify an explicit type using the schema_overrides parameter."
            ),
            Problem::FixedSizeList => format!(
                "export_iceberg(): cannot export fixed-shape tensor column(s) {cols}. Iceberg has no fixed-shape tensor type; export them as variable-length lists with convert_types=true, or give each a list type in schema_overrides."
            ),
            Problem::UInt64 => format!(
                "export_iceberg(): column(s) or field(s) {cols} have type uint64, which Iceberg cannot hold (its widest integer is a signed 64-bit long). convert_types=true exports them as decimal(20, 0) (lossless); schema_overrides can make them int64 if every value is below 2^63."
            ),
            Problem::Float16 => format!(
                "export_iceberg(): column(s) or field(s) {cols} have type float16, which Iceberg cannot hold. convert_types=true widens them to float32 (lossless), or give them a type in schema_overrides."
            ),
            Problem::TimestampUnit => format!(
                "export_iceberg(): column(s) or field(s) {cols} hold timestamps in seconds or milliseconds; Iceberg timestamps are in microseconds. convert_types=true converts them to microseconds (lossless), or override them with timestamp[us]."
            ),
            Problem::TimestampNs => format!(
                "export_iceberg(): column(s) or field(s) {cols} hold nanosecond timestamps, which need Iceberg format version 3 (tables here are format version 2, which pyiceberg and most engines read). convert_types=true converts them to microseconds (dropping sub-microsecond digits), or override them with timestamp[us]."
            ),
            Problem::TimestampZone => format!(
                "export_iceberg(): column(s) or field(s) {cols} hold timestamps in time zone(s) {} other than UTC; Iceberg stores zoned timestamps in UTC only (timestamptz). convert_types=true exports the same instants as UTC timestamps, or override them with timestamp[us, tz=UTC].",
                py_list(types)
            ),
            Problem::Date64 => format!(
                "export_iceberg(): column(s) or field(s) {cols} have type date64, which Iceberg cannot hold (its dates are days, date32). convert_types=true converts them to date32, or override them with date32."
            ),
            Problem::Time => format!(
                "export_iceberg(): column(s) or field(s) {cols} hold times of day in a unit other than microseconds; Iceberg times are time64[us]. convert_types=true converts them (nanoseconds lose their sub-microsecond digits), or override them with time64[us]."
            ),
            Problem::EmptyStruct => format!(
                "export_iceberg(): column(s) or field(s) {cols} are structs without fields, which Parquet cannot store. Leave them out of the selection, or give them a struct type with fields in schema_overrides."
            ),
            Problem::Decimal256 => format!(
                "export_iceberg(): column(s) or field(s) {cols} have type decimal256, and Iceberg decimals hold at most 38 digits. convert_types=true converts those with a precision of at most 38 to decimal128, or override them with decimal128(p, s)."
            ),
            Problem::ListView => format!(
                "export_iceberg(): column(s) or field(s) {cols} are list views, which Iceberg cannot hold. convert_types=true converts them to lists, or override them with a list type."
            ),
            Problem::NoEquivalent => format!(
                "export_iceberg(): column(s) or field(s) {cols} have type(s) {} that Iceberg has no equivalent of. Give them a type in schema_overrides (for example int64 for a duration) or leave them out of the selection.",
                py_list(types)
            ),
        }
    }
}

/// Collects problems while walking a schema.
#[derive(Default)]
struct Problems(BTreeMap<Problem, (Vec<String>, Vec<String>)>);

impl Problems {
    fn add(&mut self, p: Problem, path: &str, ty: &DataType) {
        let entry = self.0.entry(p).or_default();
        entry.0.push(path.to_owned());
        let t = match (p, ty) {
            (Problem::TimestampZone, DataType::Timestamp(_, Some(tz))) => tz.to_string(),
            _ => type_name(ty),
        };
        if !entry.1.contains(&t) {
            entry.1.push(t);
        }
    }

    fn into_error(self) -> Option<IcebergError> {
        if self.0.is_empty() {
            return None;
        }
        let msgs: Vec<String> =
            self.0.into_iter().map(|(p, (paths, types))| p.message(&paths, &types)).collect();
        Some(IcebergError::new(ErrorKind::UnsupportedType, msgs.join("\n")))
    }
}

/// Time zone names that mean UTC. Iceberg's converter knows only "UTC" and "+00:00".
fn is_utc(tz: &str) -> bool {
    matches!(
        tz,
        "UTC" | "utc" | "+00:00" | "+0000" | "+00" | "Z" | "Etc/UTC" | "Etc/Universal" | "Universal" | "Zulu"
    )
}

/// A type name for messages, close to pyarrow's (`int64`, `timestamp[ms]`, `list<int64>`).
pub(crate) fn type_name(dt: &DataType) -> String {
    let unit = |u: &TimeUnit| match u {
        TimeUnit::Second => "s",
        TimeUnit::Millisecond => "ms",
        TimeUnit::Microsecond => "us",
        TimeUnit::Nanosecond => "ns",
    };
    match dt {
        DataType::Null => "null".into(),
        DataType::Boolean => "bool".into(),
        DataType::Int8 => "int8".into(),
        DataType::Int16 => "int16".into(),
        DataType::Int32 => "int32".into(),
        DataType::Int64 => "int64".into(),
        DataType::UInt8 => "uint8".into(),
        DataType::UInt16 => "uint16".into(),
        DataType::UInt32 => "uint32".into(),
        DataType::UInt64 => "uint64".into(),
        DataType::Float16 => "float16".into(),
        DataType::Float32 => "float32".into(),
        DataType::Float64 => "float64".into(),
        DataType::Utf8 => "string".into(),
        DataType::LargeUtf8 => "large_string".into(),
        DataType::Utf8View => "string_view".into(),
        DataType::Binary => "binary".into(),
        DataType::LargeBinary => "large_binary".into(),
        DataType::BinaryView => "binary_view".into(),
        DataType::FixedSizeBinary(n) => format!("fixed_size_binary[{n}]"),
        DataType::Date32 => "date32".into(),
        DataType::Date64 => "date64".into(),
        DataType::Time32(u) => format!("time32[{}]", unit(u)),
        DataType::Time64(u) => format!("time64[{}]", unit(u)),
        DataType::Timestamp(u, None) => format!("timestamp[{}]", unit(u)),
        DataType::Timestamp(u, Some(tz)) => format!("timestamp[{}, tz={tz}]", unit(u)),
        DataType::Duration(u) => format!("duration[{}]", unit(u)),
        DataType::Decimal32(p, s) => format!("decimal32({p}, {s})"),
        DataType::Decimal64(p, s) => format!("decimal64({p}, {s})"),
        DataType::Decimal128(p, s) => format!("decimal128({p}, {s})"),
        DataType::Decimal256(p, s) => format!("decimal256({p}, {s})"),
        DataType::List(f) => format!("list<{}>", type_name(f.data_type())),
        DataType::LargeList(f) => format!("large_list<{}>", type_name(f.data_type())),
        DataType::FixedSizeList(f, n) => format!("fixed_size_list<{}>[{n}]", type_name(f.data_type())),
        DataType::Struct(fs) => {
            let inner: Vec<String> =
                fs.iter().map(|f| format!("{}: {}", f.name(), type_name(f.data_type()))).collect();
            format!("struct<{}>", inner.join(", "))
        }
        DataType::Map(f, _) => match f.data_type() {
            DataType::Struct(kv) if kv.len() == 2 => {
                format!("map<{}, {}>", type_name(kv[0].data_type()), type_name(kv[1].data_type()))
            }
            other => format!("map<{other}>"),
        },
        DataType::Dictionary(k, v) => {
            format!("dictionary<values={}, indices={}>", type_name(v), type_name(k))
        }
        other => other.to_string().to_lowercase(),
    }
}

/// Walks `dt`: records problems, and returns the type to export when it differs from `dt`.
/// Every nested field of the result is nullable (map keys excepted).
fn prepare_type(path: &str, dt: &DataType, convert: bool, problems: &mut Problems) -> Option<DataType> {
    use DataType as D;
    let bad = |p: Problem, problems: &mut Problems| {
        problems.add(p, path, dt);
        None
    };
    match dt {
        D::Null => bad(Problem::Null, problems),
        D::Boolean
        | D::Int8
        | D::Int16
        | D::Int32
        | D::Int64
        | D::UInt8
        | D::UInt16
        | D::UInt32
        | D::Float32
        | D::Float64
        | D::Utf8
        | D::LargeUtf8
        | D::Utf8View
        | D::Binary
        | D::LargeBinary
        | D::BinaryView
        | D::FixedSizeBinary(_)
        | D::Date32
        | D::Decimal128(..) => None,
        D::Time64(TimeUnit::Microsecond) => None,
        D::UInt64 if convert => Some(D::Decimal128(20, 0)),
        D::UInt64 => bad(Problem::UInt64, problems),
        D::Float16 if convert => Some(D::Float32),
        D::Float16 => bad(Problem::Float16, problems),
        D::Date64 if convert => Some(D::Date32),
        D::Date64 => bad(Problem::Date64, problems),
        D::Time32(_) | D::Time64(_) if convert => Some(D::Time64(TimeUnit::Microsecond)),
        D::Time32(_) | D::Time64(_) => bad(Problem::Time, problems),
        // Lossless widening of the storage: not a conversion the user has to ask for.
        D::Decimal32(p, s) | D::Decimal64(p, s) => Some(D::Decimal128(*p, *s)),
        D::Decimal256(p, s) if convert && *p <= 38 => Some(D::Decimal128(*p, *s)),
        D::Decimal256(..) => bad(Problem::Decimal256, problems),
        D::Timestamp(unit, tz) => {
            let zone_ok = tz.as_deref().is_none_or(is_utc);
            if !zone_ok && !convert {
                problems.add(Problem::TimestampZone, path, dt);
            }
            let unit_ok = match unit {
                TimeUnit::Microsecond => true,
                TimeUnit::Nanosecond => {
                    if !convert {
                        problems.add(Problem::TimestampNs, path, dt);
                    }
                    false
                }
                TimeUnit::Second | TimeUnit::Millisecond => {
                    if !convert {
                        problems.add(Problem::TimestampUnit, path, dt);
                    }
                    false
                }
            };
            let canonical_tz = tz.as_ref().map(|_| Arc::<str>::from("+00:00"));
            (!unit_ok || tz.as_deref().is_some_and(|z| z != "+00:00"))
                .then_some(D::Timestamp(TimeUnit::Microsecond, canonical_tz))
        }
        D::Dictionary(_, values) => {
            Some(prepare_type(path, values, convert, problems).unwrap_or_else(|| values.as_ref().clone()))
        }
        D::List(f) | D::LargeList(f) => {
            let child = prepare_field(&format!("{path}[]"), f, convert, problems);
            child.map(|c| if matches!(dt, D::List(_)) { D::List(c) } else { D::LargeList(c) })
        }
        D::FixedSizeList(f, _) => {
            let child = prepare_field(&format!("{path}[]"), f, convert, problems);
            if convert {
                Some(D::List(child.unwrap_or_else(|| nullable_field(f))))
            } else {
                bad(Problem::FixedSizeList, problems)
            }
        }
        D::ListView(f) | D::LargeListView(f) => {
            let child = prepare_field(&format!("{path}[]"), f, convert, problems);
            if convert {
                Some(D::List(child.unwrap_or_else(|| nullable_field(f))))
            } else {
                bad(Problem::ListView, problems)
            }
        }
        D::Struct(fields) if fields.is_empty() => bad(Problem::EmptyStruct, problems),
        D::Struct(fields) => {
            let mut changed = false;
            let out: Vec<FieldRef> = fields
                .iter()
                .map(|f| match prepare_field(&format!("{path}.{}", f.name()), f, convert, problems) {
                    Some(nf) => {
                        changed = true;
                        nf
                    }
                    None => f.clone(),
                })
                .collect();
            changed.then(|| D::Struct(Fields::from(out)))
        }
        D::Map(entries, sorted) => {
            let D::Struct(kv) = entries.data_type() else {
                return bad(Problem::NoEquivalent, problems);
            };
            if kv.len() != 2 {
                return bad(Problem::NoEquivalent, problems);
            }
            let key = prepare_type(&format!("{path}{{key}}"), kv[0].data_type(), convert, problems);
            let value = prepare_field(&format!("{path}{{}}"), &kv[1], convert, problems);
            if key.is_none() && value.is_none() {
                return None;
            }
            let key = Field::new(kv[0].name(), key.unwrap_or_else(|| kv[0].data_type().clone()), false);
            let value = value.unwrap_or_else(|| kv[1].clone());
            let entries =
                Field::new(entries.name(), D::Struct(Fields::from(vec![Arc::new(key), value])), false);
            Some(D::Map(Arc::new(entries), *sorted))
        }
        _ => bad(Problem::NoEquivalent, problems),
    }
}

/// The field with its type prepared and made nullable, or `None` when it is already so.
fn prepare_field(path: &str, f: &FieldRef, convert: bool, problems: &mut Problems) -> Option<FieldRef> {
    let ty = prepare_type(path, f.data_type(), convert, problems);
    if ty.is_none() && f.is_nullable() {
        return None;
    }
    Some(Arc::new(
        Field::new(f.name(), ty.unwrap_or_else(|| f.data_type().clone()), true)
            .with_metadata(f.metadata().clone()),
    ))
}

fn nullable_field(f: &FieldRef) -> FieldRef {
    Arc::new(f.as_ref().clone().with_nullable(true))
}

/// Checks the overrides and every column type of `source`, before anything is read.
///
/// # Errors
/// `InvalidArgument` for override columns the source lacks or duplicate names,
/// `TypeMismatch` for an override with no cast from the column's type, `UnsupportedType`
/// for types Iceberg cannot hold (all of them, one message per kind).
pub(crate) fn prepare(source: &Schema, options: &IcebergOptions) -> Result<Prepared, IcebergError> {
    let overrides = options.schema_overrides();
    let mut unknown: Vec<String> = overrides
        .iter()
        .filter(|(c, _)| source.field_with_name(c).is_err())
        .map(|(c, _)| c.clone())
        .collect();
    if !unknown.is_empty() {
        unknown.sort();
        return Err(IcebergError::invalid(format!(
            "export_iceberg(): some column(s) specified in `schema_overrides` are not present in the source: {}",
            unknown.join(", ")
        )));
    }
    if source.fields().is_empty() {
        return Err(IcebergError::invalid(
            "export_iceberg(): the source has no columns; Iceberg tables need at least one column.",
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for f in source.fields() {
        if !seen.insert(f.name().as_str()) {
            return Err(IcebergError::invalid(format!(
                "export_iceberg(): column {} appears more than once in the source; Iceberg column names must be unique.",
                py_repr(f.name())
            )));
        }
    }
    let mut problems = Problems::default();
    let mut fields = Vec::with_capacity(source.fields().len());
    let mut steps = Vec::with_capacity(source.fields().len());
    for f in source.fields() {
        let override_type = overrides.iter().find(|(c, _)| c == f.name()).map(|(_, t)| t.clone());
        if let Some(t) = &override_type
            && !can_cast_types(f.data_type(), t)
        {
            return Err(IcebergError::new(
                ErrorKind::TypeMismatch,
                format!(
                    "export_iceberg(): schema_overrides type {} cannot hold column {} of type {}: Arrow has no conversion between them.",
                    type_name(t),
                    py_repr(f.name()),
                    type_name(f.data_type())
                ),
            ));
        }
        let base = override_type.clone().unwrap_or_else(|| f.data_type().clone());
        let convert_to = prepare_type(f.name(), &base, options.convert_types(), &mut problems);
        let ty = convert_to.clone().unwrap_or_else(|| base.clone());
        fields.push(Field::new(f.name(), nullable_deep(&ty), true));
        steps.push(Step { name: f.name().clone(), override_type, convert_to });
    }
    if let Some(e) = problems.into_error() {
        return Err(e);
    }
    Ok(Prepared { schema: Arc::new(Schema::new(fields)), steps })
}

/// `dt` with every nested field nullable (map keys and map entries excepted).
fn nullable_deep(dt: &DataType) -> DataType {
    use DataType as D;
    let nf = |f: &FieldRef| Arc::new(Field::new(f.name(), nullable_deep(f.data_type()), true));
    match dt {
        D::List(f) => D::List(nf(f)),
        D::LargeList(f) => D::LargeList(nf(f)),
        D::Struct(fs) => D::Struct(fs.iter().map(nf).collect()),
        D::Map(entries, sorted) => match entries.data_type() {
            D::Struct(kv) if kv.len() == 2 => {
                let key = Field::new(kv[0].name(), nullable_deep(kv[0].data_type()), false);
                let entries = Field::new(
                    entries.name(),
                    D::Struct(Fields::from(vec![Arc::new(key), nf(&kv[1])])),
                    false,
                );
                D::Map(Arc::new(entries), *sorted)
            }
            _ => dt.clone(),
        },
        _ => dt.clone(),
    }
}

/// Checks that data of `source` (prepared) can be appended to a table whose Arrow schema is
/// `target`: the same column names in the same order, and types that convert without loss.
///
/// # Errors
/// `TypeMismatch` with Pixeltable's message shape, both schemas included.
pub(crate) fn check_append(source: &Schema, target: &Schema, table: &str) -> Result<(), IcebergError> {
    let reason = append_mismatch(source, target);
    match reason {
        None => Ok(()),
        Some(reason) => Err(IcebergError::new(
            ErrorKind::TypeMismatch,
            format!(
                "export_iceberg(): source schema is not compatible with existing table {}: {reason}\nSource schema:\n{}\nTarget schema:\n{}",
                py_repr(table),
                schema_text(source),
                schema_text(target)
            ),
        )),
    }
}

fn append_mismatch(source: &Schema, target: &Schema) -> Option<String> {
    let s: Vec<&str> = source.fields().iter().map(|f| f.name().as_str()).collect();
    let t: Vec<&str> = target.fields().iter().map(|f| f.name().as_str()).collect();
    if s != t {
        let missing: Vec<String> = t.iter().filter(|n| !s.contains(n)).map(|n| n.to_string()).collect();
        let extra: Vec<String> = s.iter().filter(|n| !t.contains(n)).map(|n| n.to_string()).collect();
        let mut why = String::new();
        if !missing.is_empty() {
            let _ = write!(why, "the source lacks column(s) {}", py_list(&missing));
        }
        if !extra.is_empty() {
            if !why.is_empty() {
                why.push_str("; ");
            }
            let _ = write!(why, "the table has no column(s) {}", py_list(&extra));
        }
        if why.is_empty() {
            why = format!(
                "the columns are in another order (source {}, table {})",
                py_list(&s.iter().map(|x| x.to_string()).collect::<Vec<_>>()),
                py_list(&t.iter().map(|x| x.to_string()).collect::<Vec<_>>())
            );
        }
        return Some(why);
    }
    for (sf, tf) in source.fields().iter().zip(target.fields()) {
        if let Some(why) = type_mismatch(sf.name(), sf.data_type(), tf.data_type()) {
            return Some(why);
        }
    }
    None
}

/// Why values of `s` cannot be written into a column of `t` without loss, or `None`.
fn type_mismatch(path: &str, s: &DataType, t: &DataType) -> Option<String> {
    use DataType as D;
    let int_rank = |d: &DataType| match d {
        D::Int8 | D::UInt8 => Some(1),
        D::Int16 | D::UInt16 => Some(2),
        D::Int32 => Some(3),
        D::UInt32 | D::Int64 => Some(4),
        _ => None,
    };
    let is_str = |d: &DataType| matches!(d, D::Utf8 | D::LargeUtf8 | D::Utf8View);
    let is_bin = |d: &DataType| matches!(d, D::Binary | D::LargeBinary | D::BinaryView);
    let ok = match (s, t) {
        _ if s == t => true,
        (a, D::Int32) => int_rank(a).is_some_and(|r| r <= 3),
        (a, D::Int64) => int_rank(a).is_some(),
        (D::Float32, D::Float64) => true,
        (a, b) if is_str(a) && is_str(b) => true,
        (a, b) if is_bin(a) && is_bin(b) => true,
        (D::Decimal128(p1, s1), D::Decimal128(p2, s2)) => s1 == s2 && p1 <= p2,
        (D::Timestamp(u1, z1), D::Timestamp(u2, z2)) => u1 == u2 && z1.is_some() == z2.is_some(),
        (D::List(a) | D::LargeList(a), D::List(b) | D::LargeList(b)) => {
            return type_mismatch(&format!("{path}[]"), a.data_type(), b.data_type());
        }
        (D::Struct(a), D::Struct(b)) => {
            let an: Vec<&String> = a.iter().map(|f| f.name()).collect();
            let bn: Vec<&String> = b.iter().map(|f| f.name()).collect();
            if an != bn {
                return Some(format!(
                    "field {} has fields {} in the source but {} in the table",
                    py_repr(path),
                    py_list(&an.iter().map(|x| x.to_string()).collect::<Vec<_>>()),
                    py_list(&bn.iter().map(|x| x.to_string()).collect::<Vec<_>>())
                ));
            }
            for (fa, fb) in a.iter().zip(b.iter()) {
                if let Some(w) =
                    type_mismatch(&format!("{path}.{}", fa.name()), fa.data_type(), fb.data_type())
                {
                    return Some(w);
                }
            }
            true
        }
        (D::Map(a, _), D::Map(b, _)) => match (a.data_type(), b.data_type()) {
            (D::Struct(ka), D::Struct(kb)) if ka.len() == 2 && kb.len() == 2 => {
                if let Some(w) =
                    type_mismatch(&format!("{path}{{key}}"), ka[0].data_type(), kb[0].data_type())
                {
                    return Some(w);
                }
                return type_mismatch(&format!("{path}{{}}"), ka[1].data_type(), kb[1].data_type());
            }
            _ => false,
        },
        _ => false,
    };
    if ok {
        return None;
    }
    Some(format!(
        "column {} is {} in the source but {} in the table, and {} values do not all fit in {} (override the column with schema_overrides if yours do)",
        py_repr(path),
        type_name(s),
        type_name(t),
        type_name(s),
        type_name(t)
    ))
}

/// One `name: type` line per column (pyarrow's layout).
pub(crate) fn schema_text(s: &Schema) -> String {
    let lines: Vec<String> =
        s.fields().iter().map(|f| format!("{}: {}", f.name(), type_name(f.data_type()))).collect();
    lines.join("\n")
}

/// The cast every batch goes through: source → overrides → conversions → the table's own
/// Arrow schema (field ids, `+00:00` zone, list element names, nullability).
pub(crate) struct BatchCaster {
    prepared: Prepared,
    target: SchemaRef,
    table: String,
}

const CAST: CastOptions<'static> = CastOptions { safe: false, format_options: FormatOptions::new() };

/// Casts like Arrow with `safe: false` (values out of the target's range are an error), and
/// also refuses floats with a fraction cast to an integer type, which Arrow truncates
/// silently (1.5 → 1): data that does not fit is an error, never a changed value.
fn cast_exact(col: &ArrayRef, to: &DataType) -> Result<ArrayRef, ArrowError> {
    let out = cast_with_options(col, to, &CAST)?;
    if col.data_type().is_floating() && to.is_integer() {
        let as_f64 = cast_with_options(col, &DataType::Float64, &CAST)?;
        if let Some(v) = as_f64.as_primitive::<Float64Type>().iter().flatten().find(|v| v.fract() != 0.0) {
            return Err(ArrowError::CastError(format!(
                "{v} is not an integer, so it cannot be cast to {to}"
            )));
        }
    }
    Ok(out)
}

impl BatchCaster {
    pub(crate) fn new(prepared: Prepared, target: SchemaRef, table: &str) -> Self {
        BatchCaster { prepared, target, table: table.to_owned() }
    }

    /// The table's Arrow schema.
    pub(crate) fn target(&self) -> &SchemaRef {
        &self.target
    }

    /// Casts one source batch.
    ///
    /// # Errors
    /// `TypeMismatch` for values that do not fit an override or the table's type, and for
    /// nulls in a required column.
    pub(crate) fn cast(&self, batch: &RecordBatch) -> Result<RecordBatch, IcebergError> {
        let mut cols: Vec<ArrayRef> = Vec::with_capacity(batch.num_columns());
        for ((col, step), tf) in batch.columns().iter().zip(&self.prepared.steps).zip(self.target.fields()) {
            let mut col = col.clone();
            if let Some(t) = &step.override_type
                && col.data_type() != t
            {
                col = cast_exact(&col, t).map_err(|e| {
                    IcebergError::new(
                        ErrorKind::TypeMismatch,
                        format!(
                            "export_iceberg(): schema_overrides type {} does not fit the data for column {}: {e}",
                            type_name(t),
                            py_repr(&step.name)
                        ),
                    )
                    .with_source(e)
                })?;
            }
            if let Some(t) = &step.convert_to {
                col = cast_exact(&col, t).map_err(|e| {
                    IcebergError::new(
                        ErrorKind::TypeMismatch,
                        format!(
                            "export_iceberg(): column {} cannot be converted to {}: {e}",
                            py_repr(&step.name),
                            type_name(t)
                        ),
                    )
                    .with_source(e)
                })?;
            }
            if col.data_type() != tf.data_type() {
                col = cast_exact(&col, tf.data_type()).map_err(|e| {
                    IcebergError::new(
                        ErrorKind::TypeMismatch,
                        format!(
                            "export_iceberg(): column {} ({}) cannot be written as {} in table {}: {e}",
                            py_repr(&step.name),
                            type_name(col.data_type()),
                            type_name(tf.data_type()),
                            py_repr(&self.table)
                        ),
                    )
                    .with_source(e)
                })?;
            }
            if !tf.is_nullable() && col.null_count() > 0 {
                return Err(IcebergError::new(
                    ErrorKind::TypeMismatch,
                    format!(
                        "export_iceberg(): column {} is required (not null) in table {}, but the source has nulls in it.",
                        py_repr(&step.name),
                        py_repr(&self.table)
                    ),
                ));
            }
            cols.push(col);
        }
        let opts = RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
        RecordBatch::try_new_with_options(self.target.clone(), cols, &opts).map_err(|e| {
            IcebergError::new(
                ErrorKind::TypeMismatch,
                format!("export_iceberg(): a batch does not fit table {}: {e}", py_repr(&self.table)),
            )
            .with_source(e)
        })
    }
}

/// Parses an Arrow type for `schema_overrides` given as text: pyarrow's names (`int32`,
/// `float64`, `string`, `large_string`, `binary`, `bool`, `date32`, `timestamp[us]`,
/// `timestamp[us, tz=UTC]`, `time64[us]`, `decimal128(10, 2)`, `list<int64>`,
/// `large_list<string>`) or Arrow's own `Display` form (`Int32`, `List(Int64)`, ...).
///
/// ```
/// use arrow::datatypes::{DataType, TimeUnit};
/// use tessera_iceberg::parse_data_type;
/// assert_eq!(parse_data_type("int32").unwrap(), DataType::Int32);
/// assert_eq!(
///     parse_data_type("timestamp[us, tz=UTC]").unwrap(),
///     DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
/// );
/// assert!(parse_data_type("list<float64>").unwrap().is_nested());
/// assert!(parse_data_type("int33").is_err());
/// ```
///
/// # Errors
/// `InvalidArgument` for text that is neither.
pub fn parse_data_type(text: &str) -> Result<DataType, IcebergError> {
    let s = text.trim();
    let unit = |u: &str| match u.trim() {
        "s" => Some(TimeUnit::Second),
        "ms" => Some(TimeUnit::Millisecond),
        "us" => Some(TimeUnit::Microsecond),
        "ns" => Some(TimeUnit::Nanosecond),
        _ => None,
    };
    let simple = match s {
        "null" => Some(DataType::Null),
        "bool" | "boolean" => Some(DataType::Boolean),
        "int8" => Some(DataType::Int8),
        "int16" => Some(DataType::Int16),
        "int32" | "int" => Some(DataType::Int32),
        "int64" | "long" => Some(DataType::Int64),
        "uint8" => Some(DataType::UInt8),
        "uint16" => Some(DataType::UInt16),
        "uint32" => Some(DataType::UInt32),
        "uint64" => Some(DataType::UInt64),
        "float16" | "halffloat" => Some(DataType::Float16),
        "float32" | "float" => Some(DataType::Float32),
        "float64" | "double" => Some(DataType::Float64),
        "string" | "utf8" | "str" => Some(DataType::Utf8),
        "large_string" | "large_utf8" => Some(DataType::LargeUtf8),
        "binary" => Some(DataType::Binary),
        "large_binary" => Some(DataType::LargeBinary),
        "date32" | "date32[day]" | "date" => Some(DataType::Date32),
        "date64" | "date64[ms]" => Some(DataType::Date64),
        _ => None,
    };
    if let Some(t) = simple {
        return Ok(t);
    }
    let bad = || {
        IcebergError::invalid(format!(
            "export_iceberg(): {} is not an Arrow type (use pyarrow names such as int32, float64, string, timestamp[us, tz=UTC], decimal128(10, 2), list<int64>)",
            py_repr(text)
        ))
    };
    if let Some(inner) = s.strip_prefix("timestamp[").and_then(|r| r.strip_suffix(']')) {
        let (u, tz) = match inner.split_once(',') {
            Some((u, rest)) => {
                let tz = rest.trim().strip_prefix("tz=").ok_or_else(bad)?.trim();
                (u, Some(Arc::<str>::from(tz)))
            }
            None => (inner, None),
        };
        return Ok(DataType::Timestamp(unit(u).ok_or_else(bad)?, tz));
    }
    for (prefix, is64) in [("time32[", false), ("time64[", true)] {
        if let Some(inner) = s.strip_prefix(prefix).and_then(|r| r.strip_suffix(']')) {
            let u = unit(inner).ok_or_else(bad)?;
            return Ok(if is64 { DataType::Time64(u) } else { DataType::Time32(u) });
        }
    }
    if let Some(inner) = s.strip_prefix("duration[").and_then(|r| r.strip_suffix(']')) {
        return Ok(DataType::Duration(unit(inner).ok_or_else(bad)?));
    }
    for prefix in ["decimal128(", "decimal("] {
        if let Some(inner) = s.strip_prefix(prefix).and_then(|r| r.strip_suffix(')')) {
            let (p, sc) = inner.split_once(',').ok_or_else(bad)?;
            let p: u8 = p.trim().parse().map_err(|_| bad())?;
            let sc: i8 = sc.trim().parse().map_err(|_| bad())?;
            return Ok(DataType::Decimal128(p, sc));
        }
    }
    for (prefix, large) in [("list<", false), ("large_list<", true)] {
        if let Some(inner) = s.strip_prefix(prefix).and_then(|r| r.strip_suffix('>')) {
            let inner = inner.trim();
            let inner =
                inner.strip_prefix("item:").or_else(|| inner.strip_prefix("element:")).unwrap_or(inner);
            let child = Arc::new(Field::new("item", parse_data_type(inner)?, true));
            return Ok(if large { DataType::LargeList(child) } else { DataType::List(child) });
        }
    }
    if let Some(inner) = s.strip_prefix("fixed_size_binary[").and_then(|r| r.strip_suffix(']')) {
        return Ok(DataType::FixedSizeBinary(inner.trim().parse().map_err(|_| bad())?));
    }
    DataType::from_str(s).map_err(|_| bad())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use arrow::array::{
        FixedSizeListArray, Float32Array, Int64Array, TimestampMillisecondArray, UInt64Array,
    };
    use arrow::datatypes::Int32Type;

    fn schema(fields: Vec<Field>) -> Schema {
        Schema::new(fields)
    }

    fn err(s: &Schema, o: &IcebergOptions) -> IcebergError {
        prepare(s, o).unwrap_err()
    }

    #[test]
    fn supported_types_pass_unchanged_but_nullable() {
        let s = schema(vec![
            Field::new("i", DataType::Int64, false),
            Field::new("s", DataType::Utf8, true),
            Field::new("t", DataType::Timestamp(TimeUnit::Microsecond, None), false),
            Field::new("z", DataType::Timestamp(TimeUnit::Microsecond, Some("+00:00".into())), true),
            Field::new_list("l", Field::new("x", DataType::Float32, false), true),
        ]);
        let p = prepare(&s, &IcebergOptions::default()).unwrap();
        assert!(p.schema.fields().iter().all(|f| f.is_nullable()));
        assert_eq!(p.schema.field(0).data_type(), &DataType::Int64);
        let DataType::List(el) = p.schema.field(4).data_type() else { panic!() };
        assert!(el.is_nullable());
    }

    #[test]
    fn unknown_override_columns_are_listed_sorted() {
        let s = schema(vec![Field::new("x", DataType::Int64, true)]);
        let o = IcebergOptions::default()
            .with_schema_override("b", DataType::Int32)
            .with_schema_override("a", DataType::Int32);
        assert_eq!(
            err(&s, &o).to_string(),
            "export_iceberg(): some column(s) specified in `schema_overrides` are not present in the source: a, b"
        );
    }

    #[test]
    fn rejected_types_say_how_to_fix() {
        let s = schema(vec![
            Field::new("n", DataType::Null, true),
            Field::new("u", DataType::UInt64, true),
            Field::new_fixed_size_list("c", Field::new("item", DataType::Float32, true), 3, true),
            Field::new("h", DataType::Float16, true),
            Field::new("ms", DataType::Timestamp(TimeUnit::Millisecond, None), true),
            Field::new(
                "ny",
                DataType::Timestamp(TimeUnit::Microsecond, Some("America/New_York".into())),
                true,
            ),
            Field::new("d", DataType::Duration(TimeUnit::Second), true),
            Field::new_struct("st", vec![Field::new("a", DataType::Null, true)], true),
        ]);
        let e = err(&s, &IcebergOptions::default());
        assert_eq!(e.kind(), ErrorKind::UnsupportedType);
        let m = e.to_string();
        assert!(m.contains("cannot infer a concrete type for column(s) or field(s) ['n', 'st.a']"), "{m}");
        assert!(m.contains("cannot export fixed-shape tensor column(s) ['c']"), "{m}");
        assert!(m.contains("['u'] have type uint64") && m.contains("decimal(20, 0)"), "{m}");
        assert!(m.contains("['h'] have type float16"), "{m}");
        assert!(m.contains("['ms'] hold timestamps in seconds or milliseconds"), "{m}");
        assert!(m.contains("['ny'] hold timestamps in time zone(s) ['America/New_York']"), "{m}");
        assert!(m.contains("['d'] have type(s) ['duration[s]']"), "{m}");
        assert!(m.contains("convert_types=true"), "{m}");
    }

    #[test]
    fn convert_types_converts_everything_but_null() {
        let s = schema(vec![
            Field::new("u", DataType::UInt64, true),
            Field::new_fixed_size_list("c", Field::new("item", DataType::Float32, true), 3, true),
            Field::new("ny", DataType::Timestamp(TimeUnit::Second, Some("America/New_York".into())), true),
            Field::new("utc", DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())), true),
            Field::new("d64", DataType::Date64, true),
        ]);
        let p = prepare(&s, &IcebergOptions::default().with_convert_types(true)).unwrap();
        assert_eq!(p.schema.field(0).data_type(), &DataType::Decimal128(20, 0));
        assert!(matches!(p.schema.field(1).data_type(), DataType::List(_)));
        assert_eq!(
            p.schema.field(2).data_type(),
            &DataType::Timestamp(TimeUnit::Microsecond, Some("+00:00".into()))
        );
        assert_eq!(
            p.schema.field(3).data_type(),
            &DataType::Timestamp(TimeUnit::Microsecond, Some("+00:00".into()))
        );
        assert_eq!(p.schema.field(4).data_type(), &DataType::Date32);
        let s = schema(vec![Field::new("n", DataType::Null, true)]);
        assert!(prepare(&s, &IcebergOptions::default().with_convert_types(true)).is_err());
    }

    #[test]
    fn overrides_cast_and_report_data_that_does_not_fit() {
        let s = Arc::new(schema(vec![
            Field::new("a", DataType::Int64, false),
            Field::new("f", DataType::Float32, true),
        ]));
        let o = IcebergOptions::default()
            .with_schema_override("a", DataType::Int32)
            .with_schema_override("f", DataType::Float64);
        let p = prepare(&s, &o).unwrap();
        let caster = BatchCaster::new(p.clone(), p.schema.clone(), "ns.t");
        let b = RecordBatch::try_new(
            s.clone(),
            vec![Arc::new(Int64Array::from(vec![1, 2])), Arc::new(Float32Array::from(vec![0.5, 1.5]))],
        )
        .unwrap();
        let out = caster.cast(&b).unwrap();
        assert_eq!(out.schema().field(0).data_type(), &DataType::Int32);
        assert_eq!(out.schema().field(1).data_type(), &DataType::Float64);
        let big = RecordBatch::try_new(
            s,
            vec![Arc::new(Int64Array::from(vec![1, 1 << 40])), Arc::new(Float32Array::from(vec![0.5, 1.5]))],
        )
        .unwrap();
        let e = caster.cast(&big).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::TypeMismatch);
        assert!(e.to_string().starts_with(
            "export_iceberg(): schema_overrides type int32 does not fit the data for column 'a': "
        ));
        // no cast at all
        let s = schema(vec![Field::new("a", DataType::Boolean, true)]);
        let o = IcebergOptions::default().with_schema_override("a", DataType::Date32);
        assert_eq!(prepare(&s, &o).unwrap_err().kind(), ErrorKind::TypeMismatch);
    }

    #[test]
    fn conversions_cast_values() {
        let s = Arc::new(schema(vec![
            Field::new("u", DataType::UInt64, true),
            Field::new("t", DataType::Timestamp(TimeUnit::Millisecond, None), true),
            Field::new_fixed_size_list("c", Field::new("item", DataType::Int32, true), 2, true),
        ]));
        let p = prepare(&s, &IcebergOptions::default().with_convert_types(true)).unwrap();
        let caster = BatchCaster::new(p.clone(), p.schema.clone(), "ns.t");
        let fsl = FixedSizeListArray::from_iter_primitive::<Int32Type, _, _>(
            vec![Some(vec![Some(1), Some(2)]), None],
            2,
        );
        let b = RecordBatch::try_new(
            s,
            vec![
                Arc::new(UInt64Array::from(vec![u64::MAX, 0])),
                Arc::new(TimestampMillisecondArray::from(vec![1, 2])),
                Arc::new(fsl),
            ],
        )
        .unwrap();
        let out = caster.cast(&b).unwrap();
        let d = out.column(0).as_any().downcast_ref::<arrow::array::Decimal128Array>().unwrap();
        assert_eq!(d.value(0), u64::MAX as i128);
        let t = out.column(1).as_any().downcast_ref::<arrow::array::TimestampMicrosecondArray>().unwrap();
        assert_eq!(t.value(1), 2000);
        assert_eq!(out.column(2).null_count(), 1);
    }

    #[test]
    fn append_needs_names_order_and_lossless_types() {
        let t = schema(vec![Field::new("a", DataType::Int64, true), Field::new("b", DataType::Utf8, true)]);
        let ok =
            schema(vec![Field::new("a", DataType::Int32, true), Field::new("b", DataType::LargeUtf8, true)]);
        assert!(check_append(&ok, &t, "ns.t").is_ok());
        let missing = schema(vec![Field::new("a", DataType::Int64, true)]);
        let e = check_append(&missing, &t, "ns.t").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::TypeMismatch);
        let m = e.to_string();
        assert!(m.starts_with("export_iceberg(): source schema is not compatible with existing table 'ns.t': the source lacks column(s) ['b']"), "{m}");
        assert!(m.contains("\nSource schema:\na: int64\nTarget schema:\na: int64\nb: string"), "{m}");
        let order =
            schema(vec![Field::new("b", DataType::Utf8, true), Field::new("a", DataType::Int64, true)]);
        assert!(check_append(&order, &t, "ns.t").unwrap_err().to_string().contains("another order"));
        let narrow =
            schema(vec![Field::new("a", DataType::Float64, true), Field::new("b", DataType::Utf8, true)]);
        assert!(
            check_append(&narrow, &t, "ns.t")
                .unwrap_err()
                .to_string()
                .contains("column 'a' is float64 in the source but int64")
        );
    }

    #[test]
    fn parses_pyarrow_and_arrow_type_names() {
        assert_eq!(parse_data_type("float64").unwrap(), DataType::Float64);
        assert_eq!(parse_data_type(" large_string ").unwrap(), DataType::LargeUtf8);
        assert_eq!(parse_data_type("decimal128(20, 0)").unwrap(), DataType::Decimal128(20, 0));
        assert_eq!(
            parse_data_type("timestamp[ms]").unwrap(),
            DataType::Timestamp(TimeUnit::Millisecond, None)
        );
        assert_eq!(parse_data_type("time64[us]").unwrap(), DataType::Time64(TimeUnit::Microsecond));
        assert_eq!(
            parse_data_type("list<item: int64>").unwrap(),
            DataType::List(Arc::new(Field::new("item", DataType::Int64, true)))
        );
        assert_eq!(parse_data_type("Int16").unwrap(), DataType::Int16);
        let e = parse_data_type("timestamp[minutes]").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    }

    #[test]
    fn type_names_like_pyarrow() {
        assert_eq!(
            type_name(&DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))),
            "timestamp[us, tz=UTC]"
        );
        assert_eq!(
            type_name(&DataType::Struct(Fields::from(vec![Field::new("a", DataType::Int32, true)]))),
            "struct<a: int32>"
        );
    }
}
