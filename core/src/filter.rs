//! Row filters for tables: `where=` in SQL expression syntax, evaluated with Arrow kernels.
//!
//! The text is parsed by `sqlparser` (a real SQL parser) and checked against the table's
//! schema when the filter is built — unknown columns and literals that do not fit their
//! column's type are errors before any row is read. Supported:
//!
//! - comparisons `= != <> < <= > >=` between a column and a literal or two columns;
//! - `AND`, `OR`, `NOT`, parentheses; a boolean column on its own;
//! - `IS [NOT] NULL`, `IS [NOT] TRUE|FALSE`, `[NOT] IN (...)`, `[NOT] BETWEEN a AND b`,
//!   `[NOT] LIKE`, `[NOT] ILIKE` (SQL `%` and `_` wildcards);
//! - literals: numbers, `'strings'`, `TRUE`, `FALSE`, `NULL`; a string literal compared with
//!   a timestamp or date column is parsed as one (`ts >= '2020-01-01T00:00:10'`).
//!
//! Identifiers are column names, bare or double-quoted (`"my col"`). SQL's three-valued
//! logic applies and a row whose condition is NULL is dropped.
//!
//! ```
//! use std::sync::Arc;
//! use arrow::array::{Int64Array, RecordBatch};
//! use arrow::datatypes::{DataType, Field, Schema};
//! use tessera_core::filter::RowFilter;
//!
//! let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Int64, false)]));
//! let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(Int64Array::from(vec![1, 5, 9]))]).unwrap();
//! let f = RowFilter::parse("x > 2 AND NOT x IN (9)", &schema).unwrap();
//! assert_eq!(f.apply(&batch).unwrap().num_rows(), 1);
//! assert!(RowFilter::parse("y > 2", &schema).is_err());
//! ```

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BooleanArray, Datum, RecordBatch, Scalar, StringArray, new_null_array};
use arrow::compute::kernels::{boolean, cmp, comparison};
use arrow::compute::{CastOptions, cast_with_options, filter_record_batch, is_not_null, is_null};
use arrow::datatypes::{DataType, Schema};
use arrow::error::ArrowError;
use sqlparser::ast::{BinaryOperator, Expr as SqlExpr, UnaryOperator, Value};
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::Token;

use crate::error::FilterError;

#[derive(Debug, Clone)]
enum Lit {
    Null,
    Bool(bool),
    Number(String),
    Str(String),
}

#[derive(Debug, Clone, Copy)]
enum CmpOp {
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
}

impl CmpOp {
    fn flip(self) -> Self {
        match self {
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::LtEq => CmpOp::GtEq,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::GtEq => CmpOp::LtEq,
            other => other,
        }
    }
}

#[derive(Debug, Clone)]
enum Expr {
    Column(usize),
    Literal(Lit),
    Cmp(Box<Expr>, CmpOp, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    IsNull(Box<Expr>, bool),
    Like { expr: Box<Expr>, pattern: String, negated: bool, insensitive: bool },
}

/// A parsed, schema-checked row filter.
#[derive(Debug, Clone)]
pub struct RowFilter {
    expr: Expr,
    text: String,
}

const MAX_FILTER_LEN: usize = 16 * 1024;

impl RowFilter {
    /// Parses `text` and checks it against `schema` (by evaluating it on an empty batch).
    ///
    /// # Errors
    /// [`FilterError`] for bad syntax, unknown columns, unsupported constructs, literals
    /// that do not fit their column, or a condition that is not boolean.
    pub fn parse(text: &str, schema: &Schema) -> Result<Self, FilterError> {
        if text.len() > MAX_FILTER_LEN {
            return Err(FilterError::Parse(format!("longer than {MAX_FILTER_LEN} bytes")));
        }
        let dialect = GenericDialect {};
        let mut parser = Parser::new(&dialect)
            .with_recursion_limit(64)
            .try_with_sql(text)
            .map_err(|e| FilterError::Parse(e.to_string()))?;
        let sql = parser.parse_expr().map_err(|e| FilterError::Parse(e.to_string()))?;
        if parser.peek_token().token != Token::EOF {
            return Err(FilterError::Parse(format!(
                "unexpected {} after the expression",
                parser.peek_token().token
            )));
        }
        let expr = convert(&sql, schema, 0)?;
        let filter = RowFilter { expr, text: text.to_owned() };
        // A dry run on no rows type-checks every comparison and literal cast.
        let empty = RecordBatch::new_empty(Arc::new(schema.clone()));
        filter.mask(&empty)?;
        Ok(filter)
    }

    /// The filter as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The rows of `batch` where the condition holds.
    ///
    /// # Errors
    /// An Arrow error if the batch does not have the schema the filter was built for.
    pub fn apply(&self, batch: &RecordBatch) -> Result<RecordBatch, ArrowError> {
        let mask = self.mask(batch).map_err(|e| ArrowError::InvalidArgumentError(e.to_string()))?;
        filter_record_batch(batch, &mask)
    }

    fn mask(&self, batch: &RecordBatch) -> Result<BooleanArray, FilterError> {
        match eval(&self.expr, batch)? {
            Evaluated::Array(a) => as_bool(&a, &self.text),
            Evaluated::Literal(Lit::Bool(b)) => Ok(BooleanArray::from(vec![b; batch.num_rows()])),
            Evaluated::Literal(Lit::Null) => Ok(BooleanArray::from(vec![false; batch.num_rows()])),
            Evaluated::Literal(l) => Err(FilterError::NotBoolean(format!("{l:?}"))),
        }
    }
}

fn as_bool(a: &ArrayRef, what: &str) -> Result<BooleanArray, FilterError> {
    a.as_any()
        .downcast_ref::<BooleanArray>()
        .cloned()
        .ok_or_else(|| FilterError::NotBoolean(format!("{what} (of type {})", a.data_type())))
}

fn column_index(name: &str, schema: &Schema) -> Result<usize, FilterError> {
    schema.index_of(name).map_err(|_| FilterError::UnknownColumn {
        name: name.to_owned(),
        available: schema.fields().iter().map(|f| f.name().as_str()).collect::<Vec<_>>().join(", "),
    })
}

fn literal(v: &Value, negate: bool) -> Result<Lit, FilterError> {
    Ok(match v {
        Value::Number(n, _) if negate => Lit::Number(format!("-{n}")),
        Value::Number(n, _) => Lit::Number(n.clone()),
        _ if negate => return Err(FilterError::Unsupported("unary minus on a non-number".into())),
        Value::SingleQuotedString(s) => Lit::Str(s.clone()),
        Value::Boolean(b) => Lit::Bool(*b),
        Value::Null => Lit::Null,
        other => return Err(FilterError::Unsupported(format!("the literal {other}"))),
    })
}

fn convert(e: &SqlExpr, schema: &Schema, depth: usize) -> Result<Expr, FilterError> {
    if depth > 64 {
        return Err(FilterError::Unsupported("expressions nested deeper than 64 levels".into()));
    }
    let rec = |e: &SqlExpr| convert(e, schema, depth + 1).map(Box::new);
    Ok(match e {
        SqlExpr::Identifier(id) => Expr::Column(column_index(&id.value, schema)?),
        SqlExpr::CompoundIdentifier(ids) => {
            let name = ids.iter().map(|i| i.value.as_str()).collect::<Vec<_>>().join(".");
            Expr::Column(column_index(&name, schema)?)
        }
        SqlExpr::Value(v) => Expr::Literal(literal(&v.value, false)?),
        SqlExpr::Nested(inner) => return convert(inner, schema, depth + 1),
        SqlExpr::UnaryOp { op: UnaryOperator::Not, expr } => Expr::Not(rec(expr)?),
        SqlExpr::UnaryOp { op: UnaryOperator::Minus, expr } => match expr.as_ref() {
            SqlExpr::Value(v) => Expr::Literal(literal(&v.value, true)?),
            _ => return Err(FilterError::Unsupported("unary minus on a non-literal".into())),
        },
        SqlExpr::UnaryOp { op: UnaryOperator::Plus, expr } => return convert(expr, schema, depth + 1),
        SqlExpr::BinaryOp { left, op, right } => {
            let (l, r) = (rec(left)?, rec(right)?);
            let cmp = |op| Expr::Cmp(l.clone(), op, r.clone());
            match op {
                BinaryOperator::And => Expr::And(l, r),
                BinaryOperator::Or => Expr::Or(l, r),
                BinaryOperator::Eq => cmp(CmpOp::Eq),
                BinaryOperator::NotEq => cmp(CmpOp::NotEq),
                BinaryOperator::Lt => cmp(CmpOp::Lt),
                BinaryOperator::LtEq => cmp(CmpOp::LtEq),
                BinaryOperator::Gt => cmp(CmpOp::Gt),
                BinaryOperator::GtEq => cmp(CmpOp::GtEq),
                other => return Err(FilterError::Unsupported(format!("the operator {other}"))),
            }
        }
        SqlExpr::IsNull(e) => Expr::IsNull(rec(e)?, false),
        SqlExpr::IsNotNull(e) => Expr::IsNull(rec(e)?, true),
        SqlExpr::IsTrue(e) => Expr::Cmp(rec(e)?, CmpOp::Eq, Box::new(Expr::Literal(Lit::Bool(true)))),
        SqlExpr::IsFalse(e) => Expr::Cmp(rec(e)?, CmpOp::Eq, Box::new(Expr::Literal(Lit::Bool(false)))),
        SqlExpr::IsNotTrue(e) => {
            let x = rec(e)?;
            Expr::Or(
                Box::new(Expr::IsNull(x.clone(), false)),
                Box::new(Expr::Cmp(x, CmpOp::Eq, Box::new(Expr::Literal(Lit::Bool(false))))),
            )
        }
        SqlExpr::IsNotFalse(e) => {
            let x = rec(e)?;
            Expr::Or(
                Box::new(Expr::IsNull(x.clone(), false)),
                Box::new(Expr::Cmp(x, CmpOp::Eq, Box::new(Expr::Literal(Lit::Bool(true))))),
            )
        }
        SqlExpr::InList { expr, list, negated } => {
            let x = rec(expr)?;
            if list.is_empty() {
                return Err(FilterError::Unsupported("an empty IN list".into()));
            }
            let mut acc: Option<Expr> = None;
            for item in list {
                let eq = Expr::Cmp(x.clone(), CmpOp::Eq, rec(item)?);
                acc = Some(match acc {
                    None => eq,
                    Some(a) => Expr::Or(Box::new(a), Box::new(eq)),
                });
            }
            let e = acc.unwrap_or(Expr::Literal(Lit::Bool(false)));
            if *negated { Expr::Not(Box::new(e)) } else { e }
        }
        SqlExpr::Between { expr, negated, low, high } => {
            let x = rec(expr)?;
            let e = Expr::And(
                Box::new(Expr::Cmp(x.clone(), CmpOp::GtEq, rec(low)?)),
                Box::new(Expr::Cmp(x, CmpOp::LtEq, rec(high)?)),
            );
            if *negated { Expr::Not(Box::new(e)) } else { e }
        }
        SqlExpr::Like { negated, any: false, expr, pattern, escape_char: None }
        | SqlExpr::ILike { negated, any: false, expr, pattern, escape_char: None } => {
            let SqlExpr::Value(v) = pattern.as_ref() else {
                return Err(FilterError::Unsupported("LIKE with a non-literal pattern".into()));
            };
            let Value::SingleQuotedString(p) = &v.value else {
                return Err(FilterError::Unsupported("LIKE with a non-string pattern".into()));
            };
            Expr::Like {
                expr: rec(expr)?,
                pattern: p.clone(),
                negated: *negated,
                insensitive: matches!(e, SqlExpr::ILike { .. }),
            }
        }
        other => {
            let kind = format!("{other}");
            let kind: String = kind.chars().take(60).collect();
            return Err(FilterError::Unsupported(format!("`{kind}`")));
        }
    })
}

enum Evaluated {
    Array(ArrayRef),
    Literal(Lit),
}

fn strict() -> CastOptions<'static> {
    CastOptions { safe: false, ..Default::default() }
}

/// A literal as a one-element array of `target` type, for comparison with a column.
fn literal_scalar(lit: &Lit, target: &DataType) -> Result<Scalar<ArrayRef>, FilterError> {
    let arr: ArrayRef = match lit {
        Lit::Null => new_null_array(target, 1),
        Lit::Bool(b) => Arc::new(BooleanArray::from(vec![*b])),
        Lit::Number(n) | Lit::Str(n) => Arc::new(StringArray::from(vec![n.as_str()])),
    };
    if arr.data_type() == target {
        return Ok(Scalar::new(arr));
    }
    if matches!(lit, Lit::Str(_)) && (target.is_numeric() || *target == DataType::Boolean) {
        return Err(FilterError::Type(format!("a comparison of a {target} column with the string {lit:?}")));
    }
    cast_with_options(&arr, target, &strict())
        .map(Scalar::new)
        .map_err(|e| FilterError::Type(format!("{lit:?} as {target}: {e}")))
}

fn compare(op: CmpOp, l: &dyn Datum, r: &dyn Datum) -> Result<BooleanArray, ArrowError> {
    match op {
        CmpOp::Eq => cmp::eq(l, r),
        CmpOp::NotEq => cmp::neq(l, r),
        CmpOp::Lt => cmp::lt(l, r),
        CmpOp::LtEq => cmp::lt_eq(l, r),
        CmpOp::Gt => cmp::gt(l, r),
        CmpOp::GtEq => cmp::gt_eq(l, r),
    }
}

fn column_vs_literal(col: &ArrayRef, op: CmpOp, lit: &Lit) -> Result<BooleanArray, FilterError> {
    let ty = col.data_type();
    // A number that does not fit an integer column (2.5, 300 for uint8) compares as float64.
    if let Lit::Number(n) = lit {
        if ty.is_integer() && literal_scalar(lit, ty).is_err() {
            if n.parse::<f64>().is_err() {
                return Err(FilterError::Type(format!("{n:?} is not a number")));
            }
            let c = cast_with_options(col, &DataType::Float64, &strict())
                .map_err(|e| FilterError::Type(e.to_string()))?;
            let s = literal_scalar(lit, &DataType::Float64)?;
            return compare(op, &c, &s).map_err(|e| FilterError::Type(e.to_string()));
        }
    }
    let s = literal_scalar(lit, ty)?;
    compare(op, col, &s).map_err(|e| FilterError::Type(format!("{ty} {op:?} {lit:?}: {e}")))
}

fn eval(e: &Expr, batch: &RecordBatch) -> Result<Evaluated, FilterError> {
    let arr = |b: BooleanArray| Ok(Evaluated::Array(Arc::new(b)));
    let bool_of = |e: &Expr| -> Result<BooleanArray, FilterError> {
        match eval(e, batch)? {
            Evaluated::Array(a) => as_bool(&a, "an operand of AND/OR/NOT"),
            Evaluated::Literal(Lit::Bool(b)) => Ok(BooleanArray::from(vec![b; batch.num_rows()])),
            Evaluated::Literal(Lit::Null) => Ok(BooleanArray::from(vec![None; batch.num_rows()])),
            Evaluated::Literal(l) => Err(FilterError::NotBoolean(format!("{l:?}"))),
        }
    };
    match e {
        Expr::Column(i) => Ok(Evaluated::Array(batch.column(*i).clone())),
        Expr::Literal(l) => Ok(Evaluated::Literal(l.clone())),
        Expr::And(a, b) => arr(boolean::and_kleene(&bool_of(a)?, &bool_of(b)?).map_err(type_err)?),
        Expr::Or(a, b) => arr(boolean::or_kleene(&bool_of(a)?, &bool_of(b)?).map_err(type_err)?),
        Expr::Not(a) => arr(boolean::not(&bool_of(a)?).map_err(type_err)?),
        Expr::IsNull(x, negated) => match eval(x, batch)? {
            Evaluated::Array(a) => {
                arr(if *negated { is_not_null(&a) } else { is_null(&a) }.map_err(type_err)?)
            }
            Evaluated::Literal(l) => {
                let null = matches!(l, Lit::Null);
                Ok(Evaluated::Literal(Lit::Bool(null != *negated)))
            }
        },
        Expr::Cmp(l, op, r) => match (eval(l, batch)?, eval(r, batch)?) {
            (Evaluated::Array(a), Evaluated::Literal(lit)) => arr(column_vs_literal(&a, *op, &lit)?),
            (Evaluated::Literal(lit), Evaluated::Array(a)) => arr(column_vs_literal(&a, op.flip(), &lit)?),
            (Evaluated::Array(a), Evaluated::Array(b)) => {
                let b = if a.data_type() == b.data_type() {
                    b
                } else {
                    cast_with_options(&b, a.data_type(), &strict()).map_err(|e| {
                        FilterError::Type(format!("comparing {} with {}: {e}", a.data_type(), b.data_type()))
                    })?
                };
                arr(compare(*op, &a, &b).map_err(type_err)?)
            }
            (Evaluated::Literal(_), Evaluated::Literal(_)) => {
                Err(FilterError::Unsupported("a comparison between two literals".into()))
            }
        },
        Expr::Like { expr, pattern, negated, insensitive } => {
            let Evaluated::Array(a) = eval(expr, batch)? else {
                return Err(FilterError::Unsupported("LIKE on a literal".into()));
            };
            if !matches!(a.data_type(), DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View) {
                return Err(FilterError::Type(format!("LIKE on a {} column", a.data_type())));
            }
            let p = literal_scalar(&Lit::Str(pattern.clone()), a.data_type())?;
            let r = match (negated, insensitive) {
                (false, false) => comparison::like(&a, &p),
                (true, false) => comparison::nlike(&a, &p),
                (false, true) => comparison::ilike(&a, &p),
                (true, true) => comparison::nilike(&a, &p),
            };
            arr(r.map_err(type_err)?)
        }
    }
}

fn type_err(e: ArrowError) -> FilterError {
    FilterError::Type(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Float64Array, Int64Array, TimestampMicrosecondArray, UInt8Array};
    use arrow::datatypes::{Field, TimeUnit};

    fn batch() -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("x", DataType::Float64, true),
            Field::new("name", DataType::Utf8, true),
            Field::new("flag", DataType::Boolean, true),
            Field::new("ts", DataType::Timestamp(TimeUnit::Microsecond, None), false),
            Field::new("small", DataType::UInt8, false),
            Field::new("my col", DataType::Int64, false),
        ]));
        RecordBatch::try_new(
            schema,
            vec![
                Arc::new(Int64Array::from(vec![0, 1, 2, 3, 4])),
                Arc::new(Float64Array::from(vec![Some(0.5), None, Some(2.5), Some(-1.0), Some(4.0)])),
                Arc::new(StringArray::from(vec![Some("ab"), Some("b"), None, Some("Abc"), Some("x")])),
                Arc::new(BooleanArray::from(vec![Some(true), Some(false), None, Some(true), Some(false)])),
                Arc::new(TimestampMicrosecondArray::from(
                    (0..5).map(|i| 1_577_836_800_000_000 + i * 1_000_000).collect::<Vec<_>>(),
                )),
                Arc::new(UInt8Array::from(vec![1, 2, 3, 200, 255])),
                Arc::new(Int64Array::from(vec![5, 4, 3, 2, 1])),
            ],
        )
        .unwrap()
    }

    fn ids(f: &str) -> Vec<i64> {
        let b = batch();
        let out = RowFilter::parse(f, &b.schema()).unwrap_or_else(|e| panic!("{f}: {e}")).apply(&b).unwrap();
        out.column(0).as_any().downcast_ref::<Int64Array>().unwrap().values().to_vec()
    }

    #[test]
    fn evaluates_sql() {
        assert_eq!(ids("id >= 2"), vec![2, 3, 4]);
        assert_eq!(ids("2 < id"), vec![3, 4]);
        assert_eq!(ids("x > 0 AND x < 3"), vec![0, 2]);
        assert_eq!(ids("x IS NULL OR id = 4"), vec![1, 4]);
        assert_eq!(ids("NOT (id = 1 OR id = 2)"), vec![0, 3, 4]);
        assert_eq!(ids("name LIKE 'a%'"), vec![0]);
        assert_eq!(ids("name ILIKE 'a%'"), vec![0, 3]);
        assert_eq!(ids("name NOT LIKE '%b%'"), vec![4]);
        assert_eq!(ids("flag"), vec![0, 3]);
        assert_eq!(ids("flag IS NOT TRUE"), vec![1, 2, 4]);
        assert_eq!(ids("id IN (1, 3, 99)"), vec![1, 3]);
        assert_eq!(ids("id NOT IN (1, 3)"), vec![0, 2, 4]);
        assert_eq!(ids("id BETWEEN 1 AND 3"), vec![1, 2, 3]);
        assert_eq!(ids("ts >= '2020-01-01T00:00:03'"), vec![3, 4]);
        assert_eq!(ids("small > 199"), vec![3, 4]);
        assert_eq!(ids("small < 300"), vec![0, 1, 2, 3, 4]);
        assert_eq!(ids("id > 1.5"), vec![2, 3, 4]);
        assert_eq!(ids("x = -1"), vec![3]);
        assert_eq!(ids("\"my col\" < id"), vec![3, 4]);
        assert_eq!(ids("id = NULL"), Vec::<i64>::new());
        assert_eq!(ids("TRUE"), vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn rejects_bad_filters_up_front() {
        let s = batch().schema();
        for bad in [
            "",
            "id >",
            "id > 1 garbage",
            "nope = 1",
            "id = 'abc'",
            "ts > 'not a date'",
            "id",
            "name LIKE id",
            "id + 1 > 2",
            "1 = 1",
            "upper(name) = 'A'",
            "id > 1; DROP TABLE t",
            &"(".repeat(500),
        ] {
            assert!(RowFilter::parse(bad, &s).is_err(), "{bad:?} should fail");
        }
        let e = RowFilter::parse("nope = 1", &s).unwrap_err().to_string();
        assert!(e.contains("nope") && e.contains("id, x"), "{e}");
    }
}
