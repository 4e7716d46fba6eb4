#!/usr/bin/python3
"""Writes the small checkpoint files the io tests and the fuzzers read.

Debian's /usr/bin/python3 standard library only (no torch, no numpy): the torch-like pickles
are made by pickling stand-in objects whose __reduce__ names the real torch / numpy globals
(the same opcodes torch.save emits, protocol 2), or by writing the opcodes directly for the
hostile cases. Output is deterministic; rerun after changing this script and commit the result:

    /usr/bin/python3 tools/make_test_checkpoints.py

Outputs:
    tests/data/checkpoints/valid/     tiny.safetensors and the same tensors as .ckpt archives in
                                      several ZIP flavours (torch-like aligned, deflated,
                                      misaligned, ZIP64, no wrapper)
    tests/data/checkpoints/hostile/   files that must be refused with an ad::Error
    fuzz/corpus/<target>/             seeds for the libFuzzer targets
"""

import collections
import io
import json
import os
import pickle
import struct
import sys
import types
import zipfile
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "data", "checkpoints")
CORPUS = os.path.join(ROOT, "fuzz", "corpus")

# --- Stand-ins for the torch / numpy globals, registered as fake modules so that pickle writes
# --- GLOBAL 'torch._utils _rebuild_tensor_v2' etc. exactly as torch.save does.


def fake_module(name):
    module = sys.modules.get(name) or types.ModuleType(name)
    sys.modules[name] = module
    return module


def fake_function(module, name):
    def f(*args):
        raise RuntimeError("stand-in, never called")

    f.__module__ = module
    f.__qualname__ = f.__name__ = name
    setattr(fake_module(module), name, f)
    return f


def fake_class(module, name):
    cls = type(name, (), {})
    cls.__module__ = module
    cls.__qualname__ = name
    setattr(fake_module(module), name, cls)
    return cls


fake_module("torch")
rebuild_tensor_v2 = fake_function("torch._utils", "_rebuild_tensor_v2")
rebuild_parameter = fake_function("torch._utils", "_rebuild_parameter")
np_dtype = fake_class("numpy", "dtype")
np_scalar = fake_function("numpy.core.multiarray", "scalar")

# (storage class name, struct format, element size, safetensors dtype)
DTYPES = {
    "F32": ("FloatStorage", "f", 4),
    "F16": ("HalfStorage", "e", 2),
    "BF16": ("BFloat16Storage", None, 2),
    "F64": ("DoubleStorage", "d", 8),
    "I64": ("LongStorage", "q", 8),
    "I32": ("IntStorage", "i", 4),
    "I16": ("ShortStorage", "h", 2),
    "I8": ("CharStorage", "b", 1),
    "U8": ("ByteStorage", "B", 1),
    "BOOL": ("BoolStorage", "?", 1),
}
STORAGE_CLASSES = {dt: fake_class("torch", cls) for dt, (cls, _, _) in DTYPES.items()}


def pack(dtype, values):
    _, fmt, _ = DTYPES[dtype]
    if dtype == "BF16":  # exact: the test values are bf16-representable
        return b"".join(struct.pack("<f", v)[2:] for v in values)
    return struct.pack("<%d%s" % (len(values), fmt), *values)


class Storage:
    def __init__(self, key, dtype, values):
        self.key, self.dtype, self.values = key, dtype, list(values)
        self.data = pack(dtype, self.values)


class Tensor:
    """A strided view of a Storage; pickles as torch does."""

    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, tuple(size), tuple(stride)

    def __reduce__(self):
        return (rebuild_tensor_v2, (self.storage, self.offset, self.size, self.stride, False, collections.OrderedDict()))

    def dense_values(self):
        out = []

        def walk(dim, base):
            if dim == len(self.size):
                out.append(self.storage.values[base])
                return
            for i in range(self.size[dim]):
                walk(dim + 1, base + i * self.stride[dim])

        walk(0, self.offset)
        return out


class Parameter:
    def __init__(self, tensor):
        self.tensor = tensor

    def __reduce__(self):
        return (rebuild_parameter, (self.tensor, True, collections.OrderedDict()))


class NumpyDtype:
    def __init__(self, code):
        self.code = code

    def __reduce__(self):
        return (np_dtype, (self.code, False, True), (3, "<", None, None, None, -1, -1, 0))


class NumpyScalar:
    def __init__(self, code, raw):
        self.code, self.raw = code, raw

    def __reduce__(self):
        return (np_scalar, (NumpyDtype(self.code), self.raw))


class TorchPickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            return ("storage", STORAGE_CLASSES[obj.dtype], obj.key, "cpu", len(obj.values))
        return None


def torch_pickle(obj):
    buffer = io.BytesIO()
    TorchPickler(buffer, protocol=2).dump(obj)
    return buffer.getvalue()


def contiguous(storage, shape):
    stride, acc = [], 1
    for d in reversed(shape):
        stride.insert(0, acc)
        acc *= d
    return Tensor(storage, 0, shape, stride)


# --- The tiny valid state dict: every dtype, a transposed view, an offset view, a parameter.


def tiny_state():
    w = Storage("0", "F32", [i * 0.5 - 2.0 for i in range(12)])
    b = Storage("1", "F32", [0.25, -0.75, 1.5, 3.0])
    sd = collections.OrderedDict()
    sd["model.weight"] = contiguous(w, (4, 3))
    sd["model.bias"] = contiguous(b, (4,))
    sd["model.weight_t"] = Tensor(w, 0, (3, 4), (1, 3))
    sd["model.bias_tail"] = Tensor(b, 2, (2,), (1,))
    sd["half.w"] = contiguous(Storage("2", "F16", [0.5, -1.25, 2.0, 1024.0]), (2, 2))
    sd["bf16.w"] = contiguous(Storage("3", "BF16", [1.0, -2.5, 0.15625]), (3,))
    sd["f64.w"] = contiguous(Storage("4", "F64", [1e-300, 2.5]), (2,))
    sd["ids.position_ids"] = contiguous(Storage("5", "I64", [0, 1, 2, 3, 4]), (1, 5))
    sd["i32.w"] = contiguous(Storage("6", "I32", [-7, 8]), (2,))
    sd["i16.w"] = contiguous(Storage("7", "I16", [-300, 300]), (2,))
    sd["i8.w"] = contiguous(Storage("8", "I8", [-5, 6, 7]), (3,))
    sd["u8.w"] = contiguous(Storage("9", "U8", [0, 255]), (2,))
    sd["bool.mask"] = contiguous(Storage("10", "BOOL", [True, False, True]), (3,))
    sd["param.scale"] = Parameter(contiguous(Storage("11", "F32", [1.5, -2.5]), (2,)))
    sd["scalar.w"] = Tensor(Storage("12", "F32", [42.0]), 0, (), ())
    sd["empty.w"] = Tensor(Storage("13", "F32", []), 0, (0, 3), (3, 1))
    # nn.Module.state_dict() carries per-module versions as an attribute (pickled via BUILD).
    sd._metadata = collections.OrderedDict([("", {"version": 1})])
    return sd


def dense(t):
    return t.tensor.dense_values() if isinstance(t, Parameter) else t.dense_values()


def tensor_of(t):
    return t.tensor if isinstance(t, Parameter) else t


def storages_of(sd):
    seen = collections.OrderedDict()
    for t in sd.values():
        s = tensor_of(t).storage
        seen[s.key] = s
    return list(seen.values())


def safetensors_bytes(tensors, metadata=None):
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, (dtype, shape, data) in tensors.items():
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def tiny_safetensors():
    sd = tiny_state()
    tensors = collections.OrderedDict()
    for name, t in sd.items():
        tt = tensor_of(t)
        tensors[name] = (tt.storage.dtype, tt.size, pack(tt.storage.dtype, dense(t)))
    return safetensors_bytes(tensors, {"format": "pt"})


# --- ZIP writers. `write_torch_zip` imitates PyTorchStreamWriter (miniz): 64-byte aligned data,
# --- flag bit 3 with a data descriptor, optionally ZIP64 records everywhere.


def write_torch_zip(entries, align=64, zip64=False, method=0, declared_sizes=None):
    out = bytearray()
    central = []
    for name, data in entries:
        raw_name = name.encode()
        crc = zlib.crc32(data)
        stored = data
        if method == 8:
            c = zlib.compressobj(9, zlib.DEFLATED, -15)
            stored = c.compress(data) + c.flush()
        usize = (declared_sizes or {}).get(name, len(data))
        offset = len(out)
        extra = b""
        if zip64:
            extra = struct.pack("<HHQQ", 1, 16, usize, len(stored))
        pad = 0
        if align:
            pad = (-(offset + 30 + len(raw_name) + len(extra) + 4)) % align
            extra += struct.pack("<HH", 0x4246, pad) + b"Z" * pad  # miniz's "FB" padding field
        flags = 0x0808
        sizes = (0xFFFFFFFF, 0xFFFFFFFF) if zip64 else (0, 0)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 45 if zip64 else 20, flags, method, 0, 0x21, 0, sizes[0],
                           sizes[1], len(raw_name), len(extra))
        out += raw_name + extra + stored
        if zip64:
            out += struct.pack("<IIQQ", 0x08074B50, crc, len(stored), usize)
        else:
            out += struct.pack("<IIII", 0x08074B50, crc, len(stored), usize)
        central.append((raw_name, crc, len(stored), usize, offset))
    cd_offset = len(out)
    for raw_name, crc, csize, usize, offset in central:
        if zip64:
            extra = struct.pack("<HHQQQ", 1, 24, usize, csize, offset)
            fields = (0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF)
        else:
            extra = b""
            fields = (csize, usize, offset)
        out += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45 if zip64 else 20, 45 if zip64 else 20, 0x0808, method,
                           0, 0x21, crc, fields[0], fields[1], len(raw_name), len(extra), 0, 0, 0, 0, fields[2])
        out += raw_name + extra
    cd_size = len(out) - cd_offset
    if zip64:
        record = len(out)
        out += struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, len(central), len(central), cd_size, cd_offset)
        out += struct.pack("<IIQI", 0x07064B50, 0, record, 1)
        out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    else:
        out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), cd_size, cd_offset, 0)
    return bytes(out)


def write_python_zip(entries, compression):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as z:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = compression
            z.writestr(info, data)
    return buffer.getvalue()


def archive_entries(top, pkl, storages, byteorder=b"little", extra=()):
    entries = [(top + "/data.pkl", pkl), (top + "/byteorder", byteorder)]
    entries += [(top + "/data/" + s.key, s.data) for s in storages]
    entries += list(extra)
    entries.append((top + "/version", b"3\n"))
    return entries


def tiny_wrapped():
    sd = tiny_state()
    obj = collections.OrderedDict()
    obj["state_dict"] = sd
    obj["global_step"] = NumpyScalar("i8", struct.pack("<q", 1234))
    obj["epoch"] = 7
    obj["animatediff_config"] = {"use_inflated_groupnorm": True, "name": "tiny"}
    return obj, storages_of(sd)


# --- Hand-written opcodes for hostile pickles.


def op_str(s):
    raw = s.encode()
    return b"X" + struct.pack("<I", len(raw)) + raw


def op_int(n):
    return b"J" + struct.pack("<i", n)


def op_long(n):
    return b"\x8a\x08" + struct.pack("<q", n)


def op_global(module, name):
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def op_storage(key, dtype, numel):
    return (b"(" + op_str("storage") + op_global("torch", DTYPES[dtype][0]) + op_str(key) + op_str("cpu") +
            op_int(numel) + b"tQ")


def op_tuple(items):
    return b"(" + b"".join(items) + b"t"


def op_tensor(key, dtype, numel, offset, size, stride):
    args = op_tuple([op_storage(key, dtype, numel), op_int(offset), op_tuple([op_long(s) for s in size]),
                     op_tuple([op_long(s) for s in stride]), b"\x89", b"}"])
    return op_global("torch._utils", "_rebuild_tensor_v2") + args + b"R"


def one_tensor_dict(name, tensor_ops):
    return b"\x80\x02}" + op_str(name) + tensor_ops + b"s."


def call_global(module, name, arg="true"):
    return b"\x80\x02" + op_global(module, name) + op_tuple([op_str(arg)]) + b"R."


F32_12 = Storage("0", "F32", [float(i) for i in range(12)])


def hostile_pickles():
    """name -> (data.pkl bytes, storages); the tests know what each must say."""
    ok_tensor = op_tensor("0", "F32", 12, 0, (3, 4), (4, 1))
    deep = b"\x80\x02" + b"}" + b"".join(op_str("d%d" % i) + b"}" for i in range(200))
    deep += op_str("w") + ok_tensor + b"s" + b"s" * 200 + b"."
    cases = {
        "global_os_system": call_global("os", "system"),
        "global_posix_system": call_global("posix", "system"),
        "global_builtins_eval": call_global("builtins", "eval", "1+1"),
        "global_builtins_exec": call_global("builtins", "exec", "import os"),
        "global_subprocess_popen": call_global("subprocess", "Popen", "true"),
        "global_builtin_eval": call_global("__builtin__", "eval", "1+1"),
        "stack_global_os_system": b"\x80\x04" + b"\x8c\x02os\x8c\x06system\x93" + op_tuple([op_str("true")]) + b"R.",
        "reduce_storage_class": b"\x80\x02" + op_global("torch", "FloatStorage") + b")R.",
        "reduce_on_string": b"\x80\x02" + op_str("os.system") + b")R.",
        "stride_outside_storage": one_tensor_dict("w", op_tensor("0", "F32", 12, 0, (4, 4), (4, 1))),
        "offset_outside_storage": one_tensor_dict("w", op_tensor("0", "F32", 12, 10, (4,), (1,))),
        "stride_overflow": one_tensor_dict("w", op_tensor("0", "F32", 12, 0, (4,), (1 << 62,))),
        "negative_stride": one_tensor_dict("w", op_tensor("0", "F32", 12, 11, (4,), (-1,))),
        "storage_size_mismatch": one_tensor_dict("w", op_tensor("0", "F32", 11, 0, (11,), (1,))),
        "missing_storage": one_tensor_dict("w", op_tensor("7", "F32", 12, 0, (12,), (1,))),
        "deep_nesting": deep,
        "self_reference": b"\x80\x02}q\x00" + op_str("w") + ok_tensor + b"s" + op_str("self") + b"h\x00s.",
        "memo_out_of_range": b"\x80\x02h\x05.",
        "stack_underflow": b"\x80\x02(\x85.",
        "unknown_opcode": b"\x80\x02\x82\x01.",
        "huge_string_length": b"\x80\x04\x8d" + struct.pack("<Q", 1 << 62) + b"abc.",
        "no_stop": b"\x80\x02}" + op_str("w") + ok_tensor + b"s",
        "not_a_dict": b"\x80\x02]" + ok_tensor + b"a.",
        "mark_then_setitems_on_list": b"\x80\x02](" + op_str("k") + op_str("v") + b"u.",
    }
    return {name: (pkl, [F32_12]) for name, pkl in cases.items()}


def hostile_safetensors():
    f32 = pack("F32", [1.0, 2.0, 3.0, 4.0])

    def header(obj, data=f32, length=None):
        text = json.dumps(obj).encode()
        return struct.pack("<Q", len(text) if length is None else length) + text + data

    entry = lambda b, e, shape=(2,): {"dtype": "F32", "shape": list(shape), "data_offsets": [b, e]}
    return {
        "overlapping": header({"a": entry(0, 8), "b": entry(4, 12)}),
        "offsets_beyond_file": header({"a": entry(8, 24, (4,))}),
        "dtype_shape_mismatch": header({"a": entry(0, 12, (4,))}),
        "header_larger_than_file": header({"a": entry(0, 8)}, length=4096),
        "huge_header_length": header({"a": entry(0, 8)}, length=1 << 63),
        "non_json_header": struct.pack("<Q", 16) + b"{not json at al}" + f32,
        "header_not_object": header([1, 2, 3]),
        "negative_shape": header({"a": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}),
        "unknown_dtype": header({"a": {"dtype": "Q7", "shape": [2], "data_offsets": [0, 8]}}),
        "too_short": b"\x10\x00\x00",
        # nlohmann's dump recurses: deep nesting must be refused at parse time, not overflow the stack.
        "deep_json_header": header({"__metadata__": {"k": json.loads("[" * 100 + "]" * 100)}, "a": entry(0, 8)}),
    }


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def main():
    valid = os.path.join(OUT, "valid")
    hostile = os.path.join(OUT, "hostile")
    write(os.path.join(valid, "tiny.safetensors"), tiny_safetensors())

    obj, storages = tiny_wrapped()
    pkl = torch_pickle(obj)
    entries = archive_entries("tiny", pkl, storages, extra=[("tiny/.data/serialization_id", b"0123456789")])
    write(os.path.join(valid, "tiny.ckpt"), write_torch_zip(entries))
    write(os.path.join(valid, "tiny_zip64.ckpt"), write_torch_zip(entries, zip64=True))
    write(os.path.join(valid, "tiny_deflated.ckpt"), write_python_zip(entries, zipfile.ZIP_DEFLATED))
    write(os.path.join(valid, "tiny_misaligned.ckpt"), write_python_zip(entries, zipfile.ZIP_STORED))
    plain = tiny_state()
    plain["animatediff_config"] = {"pe_len": 32}
    write(os.path.join(valid, "tiny_plain.pt"),
          write_torch_zip(archive_entries("archive", torch_pickle(plain), storages_of(tiny_state()))))

    for name, (hpkl, hstorages) in hostile_pickles().items():
        if name == "storage_size_mismatch":
            hstorages = [Storage("0", "F32", [float(i) for i in range(10)])]
        write(os.path.join(hostile, name + ".ckpt"), write_torch_zip(archive_entries("archive", hpkl, hstorages)))
        write(os.path.join(CORPUS, "fuzz_unpickler", name + ".pkl"), hpkl)
    write(os.path.join(hostile, "big_endian.ckpt"),
          write_torch_zip(archive_entries("archive", pkl, storages, byteorder=b"big")))
    bad_crc = bytearray(write_torch_zip(entries))
    bad_crc[64 + 40] ^= 0x01  # inside data.pkl (its data starts at offset 64)
    write(os.path.join(hostile, "bad_crc.ckpt"), bytes(bad_crc))
    write(os.path.join(hostile, "deflate_bomb.ckpt"),
          write_torch_zip(entries, method=8, declared_sizes={"tiny/data.pkl": 200 << 20}))
    write(os.path.join(hostile, "no_data_pkl.ckpt"), write_torch_zip([("archive/version", b"3\n")]))
    legacy = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.\x80\x02M\xe9\x03."
    write(os.path.join(hostile, "legacy.pt"), legacy)
    for name, data in hostile_safetensors().items():
        write(os.path.join(hostile, name + ".safetensors"), data)
        write(os.path.join(CORPUS, "fuzz_safetensors", name + ".safetensors"), data)

    # Seeds: the valid files and their pickle.
    write(os.path.join(CORPUS, "fuzz_safetensors", "tiny.safetensors"), tiny_safetensors())
    write(os.path.join(CORPUS, "fuzz_unpickler", "tiny_data.pkl"), pkl)
    write(os.path.join(CORPUS, "fuzz_unpickler", "plain_data.pkl"), torch_pickle(plain))
    for name in ("tiny.ckpt", "tiny_zip64.ckpt", "tiny_deflated.ckpt", "tiny_misaligned.ckpt", "tiny_plain.pt"):
        with open(os.path.join(valid, name), "rb") as f:
            write(os.path.join(CORPUS, "fuzz_pytorch_zip", name), f.read())
    for name in ("stride_outside_storage", "self_reference", "global_posix_system"):
        with open(os.path.join(hostile, name + ".ckpt"), "rb") as f:
            write(os.path.join(CORPUS, "fuzz_pytorch_zip", name + ".ckpt"), f.read())


if __name__ == "__main__":
    main()
