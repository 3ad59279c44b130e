"""The Python regeneration of the inputs matches the published digests, and the dumper's
inputs declare the dtypes and shapes this suite expects (so both sides still agree)."""
import ast
import hashlib

import numpy as np

import expected

# From ../shared/bench/peer-encoders.md (also testkit/src/workloads.rs ALL_DIGESTS).
DIGESTS = {
    "T2.id": "baa5f49fbad78af4964d9ec7eaf2d6327b2d2ca1f4dcf54e2394dfff2e36d58e",
    "T2.sin": "b5c3587bc42a2037152786389957bd965ba1b92593409e3f2c1ce013450a2c19",
    "T2.name": "5b294fb4ad5c5dd825562cdcdd0c51b36ed6b4e5b5c0c943a084077f3d12cdee",
    "T2.flag": "1ad6a9af5f581862b585a8795e286abcb96a05dcbdf258735b2427c80e8d661c",
    "T2.ts": "895506faf708d1e3562ff3b0fe472f68069e847237f079bb6affb857754d5a13",
    "T2.half": "a33391075ee59459e8567af41b3155c8be3c6bf2e22e8ce07c808494569e5d11",
    "A1": "f258d23891b39999fdb99d02fe64b40b6f752e857573a90e87c345316eb79e95",
    "A2s": "7879840932bcbe8e951ca6aa6c5c50f6433bf5a38c6216b5255eba896444bb93",
    "A3": "c95d67e7910456a963c03c5b925c307e02d1df40887245951cd65ff10ceb78af",
    "D1.a": "68738ac37c6acf8989351a339a68c90d85930cef4b8180d3d3d04cef09ae1ed8",
    "D1.b": "5e146b94752e01e551ca1964eaf0f09f3c76fef2f063cc75c125ee304a14d5da",
    "D1.time": "702746827e553786bb026ac120cb58745fef3d3f554c33891809001cc37639f0",
}


def sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def test_workloads_match_published_digests():
    t = expected.t2()
    got = {
        "T2.id": sha(t["id"].astype("<i8").tobytes()),
        "T2.sin": sha(t["sin"].astype("<f8").tobytes()),
        "T2.name": sha("".join(s + "\n" for s in t["name"]).encode()),
        "T2.flag": sha(t["flag"].astype(np.uint8).tobytes()),
        "T2.ts": sha(t["ts"].astype("<i8").tobytes()),
        "T2.half": sha(t["half"].astype("<f4").tobytes()),
        "A1": sha(expected.a1().tobytes()),
        "A2s": sha(expected.a2s().tobytes()),
        "A3": sha(expected.a3().tobytes()),
        **{f"D1.{k}": sha(v.tobytes()) for k, v in expected.d1().items()},
    }
    assert got == DIGESTS


def test_dumped_arrays_declare_expected_dtypes_and_shapes(outputs):
    declared = outputs.manifest["arrays"]
    arrays = expected.arrays()
    assert sorted(declared) == sorted(arrays), "the Rust and Python input lists differ"
    for name, want in arrays.items():
        d = declared[name]
        # records come as the dict form of a dtype (a Python literal)
        spec = ast.literal_eval(d["dtype"]) if d["dtype"].startswith("{") else d["dtype"]
        dtype = np.dtype(spec)
        assert dtype == want.dtype, f"{name}: Rust says {dtype}, Python {want.dtype}"
        assert tuple(d["shape"]) == want.shape, f"{name}: Rust says {d['shape']}, Python {want.shape}"
