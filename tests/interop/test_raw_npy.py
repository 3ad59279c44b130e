"""numpy reads the raw (`frombuffer`) and `.npy` (`numpy.load`) outputs back exactly:
same dtype, shape and bytes, for the workloads and every dtype of the zoo."""
import numpy as np
import pytest

import expected

ARRAYS = expected.arrays()


@pytest.mark.parametrize("name", sorted(ARRAYS))
def test_raw_is_c_order_bytes(outputs, name):
    want = ARRAYS[name]
    data = outputs.path("array", "application/octet-stream", name).read_bytes()
    assert len(data) == want.nbytes
    got = np.frombuffer(data, dtype=want.dtype).reshape(want.shape)
    expected.assert_exact(got, want, f"raw {name}")


@pytest.mark.parametrize("name", sorted(ARRAYS))
def test_npy_loads_with_exact_dtype(outputs, name):
    want = ARRAYS[name]
    path = outputs.path("array", "application/x-npy", name)
    header = path.read_bytes()[:10]
    assert header[:6] == b"\x93NUMPY" and header[6] in (1, 2)
    got = np.load(path, allow_pickle=False)
    expected.assert_exact(got, want, f"npy {name}")
