# Writes the torch.save fixtures of tests/core/test_checkpoint.cpp: one small state dict saved
# in the legacy (pre-1.6) format and in the zip format, so the test can check that both load to
# the same names, shapes and values, and that the values are those of the formulas below.
#
# Made with Debian's python3-torch 1.13.1 (torch.__version__ "1.13.0a0") and python3-numpy 1.24:
#   cd tests/data && /usr/bin/python3 make_checkpoint_fixtures.py
# The test repeats the formulas; keep the two in step.
import collections
import math

import torch


def pattern(shape, k):
    """float32 tensor whose flat element i is sin(0.1*(i+1) + k), computed in double."""
    n = math.prod(shape)
    values = [math.sin(0.1 * (i + 1) + k) for i in range(n)]
    return torch.tensor(values, dtype=torch.float64).to(torch.float32).reshape(shape)


def state_dict():
    sd = collections.OrderedDict()
    sd["conv.weight"] = pattern((2, 3, 2), 0)                 # contiguous
    sd["conv.bias"] = pattern((2,), 1)
    base = pattern((4, 5), 2)
    sd["shared.base"] = base
    # A non-contiguous view sharing base's storage: rows 1..3 of base transposed, [3, 4],
    # storage offset 1, stride (1, 5). Element (r, c) is base[c, r + 1].
    sd["shared.view"] = base.t()[1:4]
    # float16 values that float16 holds exactly: 0.5*i - 1.
    sd["half"] = torch.tensor([0.5 * i - 1 for i in range(4)], dtype=torch.float16)
    sd["bn.num_batches_tracked"] = torch.tensor(42, dtype=torch.int64)
    return sd


def main():
    assert not state_dict()["shared.view"].is_contiguous()
    checkpoint = {"epoch": 7, "state_dict": state_dict()}
    torch.save(checkpoint, "checkpoint_legacy.pt", _use_new_zipfile_serialization=False)
    torch.save(checkpoint, "checkpoint_zip.pt")
    # Both load back to the same tensors in Python too.
    for name in ("checkpoint_legacy.pt", "checkpoint_zip.pt"):
        loaded = torch.load(name)["state_dict"]
        for key, value in state_dict().items():
            assert torch.equal(loaded[key], value), (name, key)


if __name__ == "__main__":
    main()
