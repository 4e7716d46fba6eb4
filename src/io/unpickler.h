// A restricted pickle reader for the data.pkl of torch.save archives. It never calls anything:
// it runs the pickle opcodes over an inert value tree, and interprets a call (REDUCE, NEWOBJ) or
// a BUILD only for the few callables a state dict uses. Any other global, or an unknown opcode,
// is an error naming it and the file.
//
// Pickle format (Lib/pickletools.py): a byte stream of opcodes for a stack machine with a memo.
// Each opcode is one byte, followed by its inline argument (little-endian integers; strings are
// a length then bytes). Supported, protocols 0-5 as torch.save (protocol 2) and Python write them:
//
//   PROTO n  FRAME u64  STOP  MARK  POP  POP_MARK  DUP
//   NONE  NEWTRUE  NEWFALSE  BININT i32  BININT1 u8  BININT2 u16  LONG1/LONG4 (up to 8 bytes)
//   BINFLOAT (big-endian f64)  BINUNICODE u32  SHORT_BINUNICODE u8  BINUNICODE8 u64
//   BINSTRING / SHORT_BINSTRING  BINBYTES u32  SHORT_BINBYTES u8  BINBYTES8 u64  BYTEARRAY8 u64
//   EMPTY_TUPLE  TUPLE  TUPLE1-3  EMPTY_LIST  LIST  APPEND  APPENDS  EMPTY_DICT  DICT
//   SETITEM  SETITEMS  BINPUT u8  LONG_BINPUT u32  MEMOIZE  BINGET u8  LONG_BINGET u32
//   GLOBAL "module\nname\n"  STACK_GLOBAL  REDUCE  BUILD  NEWOBJ  BINPERSID
//
// The allow-list (why each is there: docs/formats.md):
//   torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, meta])
//   torch._utils._rebuild_parameter(tensor, requires_grad, hooks)
//   torch._utils._rebuild_parameter_with_state(tensor, requires_grad, hooks, state)
//   collections.OrderedDict() / OrderedDict([(k, v), ...]), and BUILD on it (state ignored)
//   torch.{Float,Half,BFloat16,Double,Long,Int,Short,Char,Byte,Bool}Storage: names only, in
//     BINPERSID ('storage', <class>, key, location, numel) -> a storage reference to data/<key>
//   _codecs.encode(text, 'latin1'): how protocol 2 spells a bytes object
//   numpy.dtype(...) + BUILD, numpy.core.multiarray.scalar(dtype, bytes) (also numpy._core):
//     numpy scalars some checkpoints store as global_step / epoch
//
// Hostile input is bounded: every length is checked against the remaining bytes before use,
// stack and memo accesses are checked, a tensor's (offset, size, stride) must stay inside its
// storage (overflow-safe), and readers of the tree cap their depth (cycles are possible: a list
// may contain itself).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/dtype.h"
#include "core/shape.h"

namespace ad::io::pickle {

using ValueId = uint32_t;

enum class Kind : uint8_t {
  None,
  Bool,
  Int,
  Float,
  String,
  Bytes,
  Tuple,
  List,
  Dict,
  Global,      // an allow-listed module.name, not called
  NumpyDtype,  // text holds the numpy type string ("<f8")
  Storage,     // ref indexes Pickle::storages
  Tensor,      // ref indexes Pickle::tensors
};

struct Value {
  Kind kind = Kind::None;
  int64_t integer = 0;           // Int, Bool
  double number = 0;             // Float
  std::string text;              // String, Bytes, Global ("torch.FloatStorage"), NumpyDtype
  std::vector<ValueId> items;    // Tuple, List; Dict as key, value, key, value, ...
  uint32_t ref = 0;              // Storage, Tensor
};

struct StorageRef {
  DType dtype = DType::F32;
  std::string key;       // the archive entry is <archive>/data/<key>
  std::string location;  // "cpu", "cuda:0": where it was saved from; we always load to the host
  uint64_t numel = 0;    // elements; numel * dtype_size never overflows
};

struct TensorRef {
  uint32_t storage = 0;  // index into Pickle::storages
  int64_t offset = 0;    // in elements
  Shape shape;
  Strides strides;       // in elements, non-negative
  DType dtype = DType::F32;
};

struct Pickle {
  std::vector<Value> values;
  std::vector<StorageRef> storages;
  std::vector<TensorRef> tensors;
  ValueId root = 0;

  const Value& at(ValueId id) const { return values[id]; }
};

// Nesting cap for readers of the tree (flattening, describing).
inline constexpr int kPickleMaxDepth = 64;

// Runs the restricted VM over `data`; `label` names the file in errors.
Pickle unpickle(std::span<const std::byte> data, const std::string& label);

// A short Python-like rendering ("{'a': 1, 'b': [2, 3]}"), at most `max_chars` long, for
// non-tensor entries shown as metadata.
std::string describe(const Pickle& pickle, ValueId id, size_t max_chars = 200);

// `text` with control characters replaced and cut at `max_chars`, for one-line error messages
// that quote names taken from the file.
std::string printable(std::string_view text, size_t max_chars = 100);

}  // namespace ad::io::pickle
