# Writes the syncnet_v2 fixtures of tests/lipsync/test_networks.cpp from the public SyncNet
# evaluation model (joonson/syncnet_python, SyncNetModel.py, class S; checked with commit 6efbb1c):
#   syncnet_v2_keys.txt              every state-dict entry of S(): name<TAB>[shape], in order
#   syncnet_v2_pattern_io.safetensors  mfcc [2,1,13,20] (the audio input), audio_emb and
#                                    face_emb [2,1024] (forward_aud, forward_lip), audio_feat and
#                                    face_feat [2,512] (netcnnaud's output flattened,
#                                    forward_lipfeat): S() in eval mode with the PATTERN weights
#                                    of ../shared/fixtures/reference/README.md
# The lips input [2,3,5,224,224] is not stored (6 MB); the test computes it from lips_input().
#
# The public file is imported from the path given, never copied into this repository:
#   git -C <mirror of joonson/syncnet_python> show 6efbb1c:SyncNetModel.py > /tmp/SyncNetModel.py
#   cd tests/data && /usr/bin/python3 make_syncnet_v2_fixture.py /tmp/SyncNetModel.py
# Made with Debian's python3-torch 1.13.1 (torch.__version__ "1.13.0a0"), CPU, float32.
# The test repeats the input formulas and the PATTERN weights; keep them in step.
import importlib.util
import json
import math
import struct
import sys

import torch


def load_public_model(path):
    spec = importlib.util.spec_from_file_location("SyncNetModel", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.S(num_layers_in_fc_layers=1024)


def pattern_weights(state):
    """The PATTERN weights of ../shared/fixtures/reference/README.md, in state-dict order."""
    out = {}
    for k, (name, t) in enumerate(state.items()):
        if not t.is_floating_point():
            out[name] = torch.zeros_like(t)
            continue
        n = t.numel()
        base = [math.sin(0.1 * (i + 1) + 0.7 * k) for i in range(n)]
        if name.endswith("running_var"):
            v = [1 + 0.5 * b * b for b in base]
        elif t.dim() >= 2:
            v = [b / math.sqrt(n / t.shape[0]) for b in base]
        elif name.endswith(".weight"):
            v = [1 + 0.3 * b for b in base]
        else:
            v = [0.05 * b for b in base]
        out[name] = torch.tensor(v, dtype=torch.float64).to(torch.float32).reshape(t.shape)
    return out


def formula(shape, batch, f):
    """[batch, *shape] float32; sample b, flat element i (row-major within the sample) = f(i, b),
    computed in double."""
    n = math.prod(shape)
    i = torch.arange(n, dtype=torch.float64)
    return torch.stack([f(i, b) for b in range(batch)]).to(torch.float32).reshape((batch,) + shape)


def mfcc_input():
    return formula((1, 13, 20), 2, lambda i, b: 10 * torch.sin(0.37 * i + b))


def lips_input():
    return formula((3, 5, 224, 224), 2, lambda i, b: 127.5 + 127.5 * torch.sin(0.013 * i + b))


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        data = t.contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the data starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_syncnet_v2_fixture.py /path/to/SyncNetModel.py")
    torch.set_num_threads(1)
    model = load_public_model(sys.argv[1])
    state = model.state_dict()
    with open("syncnet_v2_keys.txt", "w") as f:
        for name, t in state.items():
            f.write(f"{name}\t[{', '.join(str(d) for d in t.shape)}]\n")
    model.load_state_dict(pattern_weights(state))
    model.eval()
    mfcc = mfcc_input()
    lips = lips_input()
    with torch.no_grad():
        audio = model.forward_aud(mfcc)
        face = model.forward_lip(lips)
        audio_feat = model.netcnnaud(mfcc).view(2, -1)  # what forward_aud feeds netfcaud
        face_feat = model.forward_lipfeat(lips)
    write_safetensors("syncnet_v2_pattern_io.safetensors", {"mfcc": mfcc, "audio_feat": audio_feat, "face_feat": face_feat,
                                                           "audio_emb": audio, "face_emb": face})
    print("audio_emb", audio.abs().max().item(), audio.std().item())
    print("face_emb", face.abs().max().item(), face.std().item())


if __name__ == "__main__":
    main()
