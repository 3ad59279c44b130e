"""Cross-format checks on what the dumper recorded."""
import pytest


def test_raw_encoders_are_always_registered(outputs):
    for names in (("application/octet-stream",), ("application/x-npy",)):
        assert outputs.registered("array", names), f"{names[0]} must always be registered"


def test_encoders_only_refuse_never_fail(outputs):
    """With default parameters and valid inputs, an encoder either writes or refuses
    (`Unsupported`); any other error (backend, I/O, invalid option) is a bug."""
    bad = [f"{o['family']} {o['media_type']} on {o['input']}: {o['error']['kind']}: {o['error']['message']}"
           for o in outputs.manifest["outputs"] if "error" in o and o["error"]["kind"] != "unsupported"]
    assert not bad, "\n".join(bad)


def test_every_registered_encoder_wrote_something(outputs):
    dumped = {(o["family"], o["media_type"]) for o in outputs.manifest["outputs"] if "file" in o}
    families = {"array", "table", "xarray_dataset"}  # containers have no fixture yet
    idle = [f"{r['family']} {r['media_type']}" for r in outputs.manifest["registered"]
            if r["family"] in families and (r["family"], r["media_type"]) not in dumped]
    assert not idle, f"registered but refused every input: {idle}"
