"""PNG read by Pillow and TIFF read by tifffile (and Pillow): exact pixels and dtype for the
integer workloads; Tiled's percentile scaling for a float array in PNG."""
import numpy as np
import pytest
import tifffile
from PIL import Image

import expected

PNG = ("image/png", "png")
TIFF = ("image/tiff", "tiff", "tif")
ARRAYS = expected.arrays()


@pytest.mark.parametrize("name,mode", [("A1", "I;16"), ("A3", "L")])
def test_png_integer_pixels_exact(outputs, name, mode):
    want = ARRAYS[name]
    with Image.open(outputs.path("array", PNG, name)) as im:
        assert im.format == "PNG"
        assert im.mode == mode, f"{name}: mode {im.mode}"
        got = np.asarray(im)
    expected.assert_exact(got.astype(want.dtype), want, f"png {name}")


def test_png_float_is_percentile_scaled(outputs):
    """Tiled's rule: float32 cast, 1st-99th percentile → 0..255, rounded and clipped."""
    a = ARRAYS["A2s"].astype(np.float32)
    lo, hi = np.percentile(a, [1, 99])
    want = np.clip(np.round(255 * (a.astype(np.float64) - lo) / (hi - lo)), 0, 255).astype(np.uint8)
    with Image.open(outputs.path("array", PNG, "A2s")) as im:
        assert im.mode == "L"
        got = np.asarray(im)
    assert got.shape == want.shape
    diff = np.abs(got.astype(int) - want.astype(int))
    assert diff.max() <= 1 and np.count_nonzero(diff) <= want.size // 1000, \
        f"max diff {diff.max()}, {np.count_nonzero(diff)} pixels differ"


TIFF_CASES = sorted(n for n, a in ARRAYS.items() if a.dtype.kind in "biuf" and a.ndim >= 1 and a.size)


@pytest.mark.parametrize("name", TIFF_CASES)
def test_tiff_exact(outputs, name):
    want = ARRAYS[name]
    got = tifffile.imread(outputs.path("array", TIFF, name, may_refuse=name not in {"A1", "A2s", "A3"}))
    if want.dtype == np.bool_:
        want = want.astype(np.uint8)   # stored as uint8 0/1
    if want.ndim == 1 and got.shape == (1,) + want.shape:
        got = got[0]                   # one row, as Tiled (`numpy.atleast_2d`) writes it
    expected.assert_exact(got, want, f"tiff {name}")


@pytest.mark.parametrize("name", sorted(n for n, a in ARRAYS.items() if a.ndim == 3 and a.dtype.kind in "iuf"))
def test_tiff_pages_exact(outputs, name):
    """Page by page, every page holds its slice of the array."""
    want = ARRAYS[name]
    with tifffile.TiffFile(outputs.path("array", TIFF, name)) as tif:
        assert len(tif.pages) == want.shape[0]
        for n, page in enumerate(tif.pages):
            expected.assert_exact(page.asarray(), want[n], f"tiff {name} page {n}")


@pytest.mark.parametrize("name", ["A1", "A3"])
def test_tiff_pillow(outputs, name):
    with Image.open(outputs.path("array", TIFF, name)) as im:
        got = np.asarray(im)
    np.testing.assert_array_equal(got, ARRAYS[name])
