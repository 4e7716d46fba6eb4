#!/usr/bin/python3
"""Packs the SD1.5 fixture weights (tests/data/fixtures/animatediff) into a tiny single-file
SD1.5 checkpoint with the layout users download (model.diffusion_model.*, first_stage_model.*,
cond_stage_model.transformer.text_model.*), for end-to-end tests of `animatediff video`.

The fixture text encoder knows 1000 tokens; real prompts need CLIP's 49,408. The token table is
extended to 49,408 rows (rows 998/999, the fixture's BOS/EOS, become 49406/49407; the other new
rows are seeded random values of the same scale), so any prompt tokenised with the real CLIP
vocabulary runs. The head counts the shapes cannot tell ride in the safetensors metadata
("animatediff.config", see src/pipeline/sd15_loader.cpp).

Usage: tools/make_tiny_sd15.py [OUT]   (default tests/data/tiny_sd15/tiny_sd15.safetensors)
Needs Debian's python3-numpy.
"""
import json
import os
import struct
import sys

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
FIX = os.path.join(ROOT, "tests", "data", "fixtures", "animatediff")
DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        out[name] = np.frombuffer(data[b:e], dtype=DTYPES[info["dtype"]]).reshape(info["shape"])
    return out


def write_safetensors(path, tensors, metadata):
    header = {"__metadata__": metadata}
    offset = 0
    blobs = []
    for name, array in tensors.items():
        blob = np.ascontiguousarray(array).tobytes()
        dtype = {np.dtype(np.float32): "F32", np.dtype(np.float16): "F16", np.dtype(np.int64): "I64"}[array.dtype]
        header[name] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "tests", "data", "tiny_sd15", "tiny_sd15.safetensors")
    tensors = {}
    tensors.update(read_safetensors(os.path.join(FIX, "unet_sd15", "weights.safetensors")))
    tensors.update(read_safetensors(os.path.join(FIX, "vae_sd15", "weights.safetensors")))
    clip = read_safetensors(os.path.join(FIX, "clip_l_sd15", "weights.safetensors"))
    key = "cond_stage_model.transformer.text_model.embeddings.token_embedding.weight"
    small = clip[key]
    rng = np.random.default_rng(1234)
    table = rng.normal(0.0, float(small.std()), size=(49408, small.shape[1])).astype(np.float32)
    table[: small.shape[0] - 2] = small[:-2]
    table[49406] = small[998]  # BOS
    table[49407] = small[999]  # EOS
    clip[key] = table
    tensors.update(clip)
    with open(os.path.join(FIX, "clip_l_sd15", "config_diffusers.json")) as f:
        clip_config = json.load(f)
    with open(os.path.join(FIX, "unet_sd15", "config_diffusers.json")) as f:
        unet_config = json.load(f)
    hints = {
        "text_encoder": {"num_attention_heads": clip_config["num_attention_heads"], "hidden_act": clip_config["hidden_act"]},
        "unet": {"attention_head_dim": unet_config["attention_head_dim"]},
    }
    # Store the weights as F16, as most downloaded SD1.5 files are.
    tensors = {k: (v.astype(np.float16) if v.dtype == np.float32 else v) for k, v in tensors.items()}
    os.makedirs(os.path.dirname(out), exist_ok=True)
    write_safetensors(out, tensors, {"animatediff.config": json.dumps(hints), "format": "pt"})
    print(f"{out}: {len(tensors)} tensors, {os.path.getsize(out) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
