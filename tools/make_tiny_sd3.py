#!/usr/bin/python3
"""Packs the SD3 fixture weights (tests/data/fixtures/sd3) into a tiny SD3.5 single-file
checkpoint with the layout of Stability's sd3_medium_incl_clips_t5xxlfp16.safetensors, for
end-to-end tests of `animatediff image`:

  model.diffusion_model.*                    the MMDiT of mmdit_sd35_medium (3 blocks, dual attention)
  first_stage_model.encoder.* / decoder.*    the SD3 VAE halves of vae_sd3_encoder / vae_sd3_decoder
  text_encoders.clip_l.transformer.*         clip_l (HF names)
  text_encoders.clip_g.transformer.*         clip_g (HF names)
  text_encoders.t5xxl.transformer.*          t5_xxl (HF T5EncoderModel names, shared.weight only)

The fixture text encoders know 1000 (CLIP) and 256 (T5) tokens; real prompts need CLIP's 49,408
and T5's 32,128. The token tables are extended (CLIP rows 998/999, the fixture's BOS/EOS, become
49406/49407; every other new row is a seeded random value of the table's scale), so any prompt
tokenised with the real vocabularies runs. The head counts the shapes cannot tell ride in the
safetensors metadata ("animatediff.config", see src/pipeline/sd3_loader.cpp).

Usage: tools/make_tiny_sd3.py [OUT_DIR]   (default tests/data/tiny_sd3)
Needs Debian's python3-numpy.
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_tiny_sd15 import read_safetensors, write_safetensors  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
FIX = os.path.join(ROOT, "tests", "data", "fixtures", "sd3")
CLIP_VOCAB = 49408
T5_VOCAB = 32128


def case(name):
    with open(os.path.join(FIX, name, "case.json")) as f:
        return json.load(f)["hyperparameters"]


def extend_table(small, rows, rng, moves):
    table = rng.normal(0.0, float(small.std()), size=(rows, small.shape[1])).astype(np.float32)
    table[: small.shape[0]] = small
    for src, dst in moves:
        table[dst] = small[src]
    return table


def clip_part(name, prefix, rng):
    hyper = case(name)
    tensors = read_safetensors(os.path.join(FIX, name, "weights.safetensors"))
    key = "text_model.embeddings.token_embedding.weight"
    tensors[key] = extend_table(tensors[key], CLIP_VOCAB, rng, [(hyper["bos_id"], 49406), (hyper["eos_id"], 49407)])
    hints = {"num_attention_heads": hyper["config"]["num_attention_heads"], "hidden_act": hyper["config"]["hidden_act"]}
    return {prefix + k: v for k, v in tensors.items()}, hints


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "tests", "data", "tiny_sd3")
    rng = np.random.default_rng(1234)
    tensors = {}
    tensors.update(read_safetensors(os.path.join(FIX, "mmdit_sd35_medium", "weights.safetensors")))
    tensors.update(read_safetensors(os.path.join(FIX, "vae_sd3_encoder", "weights.safetensors")))
    tensors.update(read_safetensors(os.path.join(FIX, "vae_sd3_decoder", "weights.safetensors")))
    clip_l, clip_l_hints = clip_part("clip_l", "text_encoders.clip_l.transformer.", rng)
    clip_g, clip_g_hints = clip_part("clip_g", "text_encoders.clip_g.transformer.", rng)
    tensors.update(clip_l)
    tensors.update(clip_g)
    t5 = read_safetensors(os.path.join(FIX, "t5_xxl", "weights.safetensors"))
    t5["shared.weight"] = extend_table(t5["shared.weight"], T5_VOCAB, rng, [])
    del t5["encoder.embed_tokens.weight"]  # the same table (tied); the loader takes shared.weight
    t5 = {"text_encoders.t5xxl.transformer." + k: v for k, v in t5.items()}
    hints = {
        "mmdit": {"num_heads": case("mmdit_sd35_medium")["num_heads"]},
        "clip_l": clip_l_hints,
        "clip_g": clip_g_hints,
    }
    metadata = {"animatediff.config": json.dumps(hints), "format": "pt"}
    os.makedirs(out_dir, exist_ok=True)
    # F16, as the released SD3.5 files store their weights.
    half = {k: (v.astype(np.float16) if v.dtype == np.float32 else v) for k, v in tensors.items()}
    half.update({k: v.astype(np.float16) for k, v in t5.items()})
    out = os.path.join(out_dir, "tiny_sd3.safetensors")
    write_safetensors(out, half, metadata)
    print(f"{out}: {len(half)} tensors, {os.path.getsize(out) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
