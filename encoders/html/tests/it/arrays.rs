//! Arrays of 0, 1 and 2 dimensions; more is refused.

use arrow::buffer::Buffer;
use num_complex::Complex;
use tessera_core::dtype::Field;
use tessera_core::{ArrayEncoder, DataType, EncodeError, NdArray, Params, TimeUnit};
use tessera_html::HtmlArrayEncoder;

use crate::{Page, assert_balanced};

fn encode(a: &NdArray, params: &Params) -> Result<Vec<u8>, EncodeError> {
    HtmlArrayEncoder.check(a.data_type(), a.shape(), params)?;
    let mut out = Vec::new();
    HtmlArrayEncoder.encode(a, params, &mut out)?;
    assert_balanced(std::str::from_utf8(&out).unwrap());
    Ok(out)
}

fn page(a: &NdArray) -> Page {
    Page::parse(&encode(a, &Params::new()).unwrap())
}

#[test]
fn two_dimensions() {
    let a = NdArray::from_vec(vec![2, 3], vec![1.5f64, -0.0, f64::NAN, 4.0, 1e-7, f64::INFINITY]).unwrap();
    let p = page(&a);
    assert_eq!(p.texts("title"), ["Array"]);
    assert_eq!(p.texts("thead th"), ["", "0", "1", "2"]);
    assert_eq!(p.rows(), [["0", "1.5", "-0.0", "nan"], ["1", "4.0", "1e-7", "inf"]]);
    assert_eq!(p.select("tbody th").len(), 2);
}

#[test]
fn one_and_zero_dimensions() {
    let p = page(
        &NdArray::from_vec(
            vec![3],
            vec![true, false, true].into_iter().map(|b| tessera_core::Bool8(b.into())).collect(),
        )
        .unwrap(),
    );
    assert!(p.select("thead").is_empty());
    assert_eq!(p.rows(), [["0", "true"], ["1", "false"], ["2", "true"]]);
    let p = page(&NdArray::from_vec(vec![], vec![Complex::new(1.5f64, -2.0)]).unwrap());
    assert_eq!(p.rows(), [["1.5-2.0j"]]);
    assert!(p.select("tbody th").is_empty());
}

#[test]
fn zero_length_dimensions() {
    let p = page(&NdArray::zeros(DataType::Int32, vec![0, 3]).unwrap());
    assert_eq!(p.texts("thead th"), ["", "0", "1", "2"]);
    assert!(p.rows().is_empty());
    let p = page(&NdArray::zeros(DataType::Int32, vec![2, 0]).unwrap());
    assert_eq!(p.rows(), [["0"], ["1"]]);
    let p = page(&NdArray::zeros(DataType::Float64, vec![0]).unwrap());
    assert!(p.rows().is_empty());
}

#[test]
fn text_dates_and_records_are_escaped() {
    let mut b = Vec::new();
    for s in ["<b>", "a&'\""] {
        let mut chars: Vec<u32> = s.chars().map(u32::from).collect();
        chars.resize(4, 0);
        b.extend(chars.iter().flat_map(|c| c.to_le_bytes()));
    }
    let a = NdArray::new(DataType::Unicode(4), vec![2], Buffer::from_vec(b)).unwrap();
    let p = page(&a);
    assert_eq!(p.rows(), [["0", "<b>"], ["1", "a&'\""]]);
    assert!(p.select("tbody b").is_empty());

    let ts = NdArray::new(
        DataType::Datetime64(TimeUnit::Second),
        vec![2],
        Buffer::from_vec(
            [1_577_836_800i64, i64::MIN].iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>(),
        ),
    )
    .unwrap();
    assert_eq!(page(&ts).rows(), [["0", "2020-01-01T00:00:00"], ["1", ""]]);

    let rec = DataType::Record {
        fields: vec![
            Field { name: "n".into(), data_type: DataType::Bytes(3), offset: 0 },
            Field { name: "v".into(), data_type: DataType::Int16, offset: 3 },
        ],
        itemsize: 5,
    };
    let a = NdArray::new(rec, vec![1], Buffer::from_vec(b"<a>\x07\x00".to_vec())).unwrap();
    assert_eq!(page(&a).rows(), [["0", "[\"<a>\",7]"]]);
}

#[test]
fn limits_apply_to_both_axes() {
    let a = NdArray::from_vec(vec![5, 4], (0..20i64).collect()).unwrap();
    let p = Page::parse(&encode(&a, &Params::new().with("max_rows", "2").with("max_columns", "3")).unwrap());
    assert_eq!(p.texts("thead th"), ["", "0", "1", "2"]);
    assert_eq!(p.rows(), [["0", "0", "1", "2"], ["1", "4", "5", "6"]]);
    assert_eq!(
        p.notes(),
        [
            "Showing the first 2 of 5 rows; 3 rows omitted (limit max_rows=2).",
            "Showing the first 3 of 4 columns; 1 column omitted (limit max_columns=3).",
        ]
    );
    let p = Page::parse(
        &encode(&NdArray::from_vec(vec![], vec![1u8]).unwrap(), &Params::new().with("max_rows", "0"))
            .unwrap(),
    );
    assert!(p.rows().is_empty());
    assert_eq!(p.notes().len(), 1);
}

#[test]
fn large_arrays_read_in_slabs_up_to_the_limit() {
    // 16 kB rows: a 4 MiB slab holds 262 of them, so 1,000 rows take four slabs.
    let a = NdArray::from_vec(vec![1_000, 2_000], (0..2_000_000i64).collect()).unwrap();
    let params = Params::new().with("max_columns", "2");
    let rows = Page::parse(&encode(&a, &params).unwrap()).rows();
    assert_eq!(rows.len(), 1_000);
    for (r, row) in rows.iter().enumerate() {
        let first = (r * 2_000) as i64;
        assert_eq!(row, &[r.to_string(), first.to_string(), (first + 1).to_string()]);
    }
    let p = Page::parse(&encode(&a, &params.with("max_rows", "300")).unwrap());
    assert_eq!(p.rows().len(), 300);
    assert_eq!(p.rows()[299][1], "598000");
}

#[test]
fn more_than_two_dimensions_are_refused_before_writing() {
    let a = NdArray::zeros(DataType::UInt8, vec![2, 2, 2]).unwrap();
    let err = HtmlArrayEncoder.check(a.data_type(), a.shape(), &Params::new()).unwrap_err();
    assert!(matches!(err, EncodeError::Unsupported { .. }));
    assert!(err.to_string().contains("slice"), "{err}");
    let mut out = Vec::new();
    assert!(matches!(
        HtmlArrayEncoder.encode(&a, &Params::new(), &mut out),
        Err(EncodeError::Unsupported { .. })
    ));
    assert!(out.is_empty());
    let err =
        HtmlArrayEncoder.check(&DataType::Int8, &[2], &Params::new().with("max_rows", "x")).unwrap_err();
    assert!(matches!(err, EncodeError::InvalidOption { .. }));
}
