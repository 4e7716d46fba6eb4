#include "io/unpickler_calls.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "core/error.h"

namespace ad::io::pickle {

namespace {

enum class Callable : uint8_t {
  OrderedDict,
  RebuildTensorV2,
  RebuildParameter,
  RebuildParameterWithState,
  CodecsEncode,
  NumpyDtype,
  NumpyScalar,
  StorageClass,
};

struct AllowedGlobal {
  std::string_view module;
  std::string_view name;
  Callable callable;
  DType dtype;  // StorageClass only
};

// Everything a torch.save'd state dict names (docs/formats.md says why each is here).
constexpr AllowedGlobal kAllowedGlobals[] = {
    {"collections", "OrderedDict", Callable::OrderedDict, DType::F32},
    {"torch._utils", "_rebuild_tensor_v2", Callable::RebuildTensorV2, DType::F32},
    {"torch._utils", "_rebuild_parameter", Callable::RebuildParameter, DType::F32},
    {"torch._utils", "_rebuild_parameter_with_state", Callable::RebuildParameterWithState, DType::F32},
    {"_codecs", "encode", Callable::CodecsEncode, DType::F32},
    {"numpy", "dtype", Callable::NumpyDtype, DType::F32},
    {"numpy.core.multiarray", "scalar", Callable::NumpyScalar, DType::F32},
    {"numpy._core.multiarray", "scalar", Callable::NumpyScalar, DType::F32},
    {"torch", "FloatStorage", Callable::StorageClass, DType::F32},
    {"torch", "HalfStorage", Callable::StorageClass, DType::F16},
    {"torch", "BFloat16Storage", Callable::StorageClass, DType::BF16},
    {"torch", "DoubleStorage", Callable::StorageClass, DType::F64},
    {"torch", "LongStorage", Callable::StorageClass, DType::I64},
    {"torch", "IntStorage", Callable::StorageClass, DType::I32},
    {"torch", "ShortStorage", Callable::StorageClass, DType::I16},
    {"torch", "CharStorage", Callable::StorageClass, DType::I8},
    {"torch", "ByteStorage", Callable::StorageClass, DType::U8},
    {"torch", "BoolStorage", Callable::StorageClass, DType::Bool},
};

// Values are bounded by the input size anyway (each opcode makes at most one); this keeps
// ValueId (32 bits) from wrapping on a multi-gigabyte pickle.
constexpr size_t kMaxValues = size_t{1} << 28;

const AllowedGlobal& allowed(const Value& global) { return kAllowedGlobals[global.ref]; }

bool is_sequence(const Value& v) { return v.kind == Kind::Tuple || v.kind == Kind::List; }

// Appends the Latin-1 byte of each code point of UTF-8 `text`; false if one is above U+00FF.
bool utf8_to_latin1(std::string_view text, std::string& out) {
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if ((c & 0xe0u) == 0xc0u && i + 1 < text.size()) {
      const auto c2 = static_cast<unsigned char>(text[++i]);
      const unsigned cp = ((c & 0x1fu) << 6) | (c2 & 0x3fu);
      if ((c2 & 0xc0u) != 0x80u || cp > 0xff || cp < 0x80) return false;
      out.push_back(static_cast<char>(cp));
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

void CallInterpreter::error(const std::string& message) const { fail("{}: pickle: {}", label_, message); }

ValueId CallInterpreter::add(Value value) {
  if (pickle_.values.size() >= kMaxValues) error("too many values");
  pickle_.values.push_back(std::move(value));
  return static_cast<ValueId>(pickle_.values.size() - 1);
}

int64_t CallInterpreter::int_arg(ValueId id, const char* what) const {
  const Value& v = at(id);
  if (v.kind != Kind::Int && v.kind != Kind::Bool) error(fmt::format("{} must be an integer", what));
  return v.integer;
}

ValueId CallInterpreter::global(const std::string& module, const std::string& name) {
  for (size_t i = 0; i < std::size(kAllowedGlobals); ++i) {
    if (kAllowedGlobals[i].module != module || kAllowedGlobals[i].name != name) continue;
    Value v;
    v.kind = Kind::Global;
    v.text = module + "." + name;
    v.ref = static_cast<uint32_t>(i);
    return add(std::move(v));
  }
  fail("{}: refused: global '{}.{}' is not allowed (pickles never execute code; only the tensors of a state dict "
       "are read)",
       label_, printable(module), printable(name));
}

ValueId CallInterpreter::call(ValueId callable_id, ValueId args_id) {
  const Value& callable = at(callable_id);
  if (callable.kind != Kind::Global) error("a call (REDUCE/NEWOBJ) on a value that is not a global");
  const Value& args = at(args_id);
  if (args.kind != Kind::Tuple) error(fmt::format("the arguments of {} are not a tuple", callable.text));
  const size_t n = args.items.size();
  switch (allowed(callable).callable) {
    case Callable::OrderedDict: return ordered_dict(args);
    case Callable::RebuildTensorV2: return rebuild_tensor(args);
    case Callable::RebuildParameter:
    case Callable::RebuildParameterWithState: {
      const size_t expected = allowed(callable).callable == Callable::RebuildParameter ? 3 : 4;
      if (n != expected || at(args.items[0]).kind != Kind::Tensor)
        error(fmt::format("{} expects (tensor, requires_grad, hooks{}), got {} arguments", callable.text,
                          expected == 4 ? ", state" : "", n));
      return args.items[0];
    }
    case Callable::CodecsEncode: return codecs_encode(args);
    case Callable::NumpyDtype: {
      if (n < 1 || at(args.items[0]).kind != Kind::String) error("numpy.dtype expects a type string");
      Value v;
      v.kind = Kind::NumpyDtype;
      v.text = printable(at(args.items[0]).text, 16);
      return add(std::move(v));
    }
    case Callable::NumpyScalar: return numpy_scalar(args);
    case Callable::StorageClass: break;
  }
  error(fmt::format("{} may be named but not called", callable.text));
}

void CallInterpreter::build(ValueId target_id, ValueId state_id) {
  const Kind kind = at(target_id).kind;
  // OrderedDict state is the module-version `_metadata` of nn.Module.state_dict(); a tensor's is
  // Python attributes. Neither affects the weights.
  if (kind == Kind::Dict || kind == Kind::Tensor) return;
  if (kind == Kind::NumpyDtype) {
    const Value& state = at(state_id);
    if (state.kind != Kind::Tuple || state.items.size() < 2 || at(state.items[1]).kind != Kind::String)
      error("numpy.dtype state must be a tuple (version, byte order, ...)");
    const std::string& order = at(state.items[1]).text;
    if (order.size() == 1 && std::string_view("<>|=").find(order[0]) != std::string_view::npos) {
      std::string& text = pickle_.values[target_id].text;
      if (!text.empty() && std::string_view("<>|=").find(text[0]) == std::string_view::npos) text = order + text;
    }
    return;
  }
  error("BUILD on a value that is not a dict, a tensor or a numpy dtype");
}

ValueId CallInterpreter::persistent_load(ValueId pid_id) {
  const Value& pid = at(pid_id);
  if (pid.kind != Kind::Tuple || pid.items.size() != 5 || at(pid.items[0]).kind != Kind::String ||
      at(pid.items[0]).text != "storage")
    error("persistent id is not ('storage', type, key, location, numel)");
  const Value& type = at(pid.items[1]);
  if (type.kind != Kind::Global || allowed(type).callable != Callable::StorageClass)
    error("persistent id names no storage class");
  const Value& key = at(pid.items[2]);
  const Value& location = at(pid.items[3]);
  if (key.kind != Kind::String || location.kind != Kind::String) error("storage key and location must be strings");
  const int64_t numel = int_arg(pid.items[4], "storage numel");
  const DType dtype = allowed(type).dtype;
  if (numel < 0 || static_cast<uint64_t>(numel) > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / dtype_size(dtype))
    error(fmt::format("storage '{}' has an impossible size of {} elements", printable(key.text), numel));
  auto [it, inserted] = storage_by_key_.emplace(key.text, static_cast<uint32_t>(pickle_.storages.size()));
  if (inserted) {
    pickle_.storages.push_back(StorageRef{dtype, key.text, location.text, static_cast<uint64_t>(numel)});
  } else {
    const StorageRef& seen = pickle_.storages[it->second];
    if (seen.dtype != dtype || seen.numel != static_cast<uint64_t>(numel))
      error(fmt::format("storage '{}' is referenced as {} x {} and as {} x {}", printable(key.text), seen.numel,
                        dtype_name(seen.dtype), numel, dtype_name(dtype)));
  }
  Value v;
  v.kind = Kind::Storage;
  v.ref = it->second;
  return add(std::move(v));
}

ValueId CallInterpreter::ordered_dict(const Value& args) {
  Value dict;
  dict.kind = Kind::Dict;
  if (args.items.size() == 1 && is_sequence(at(args.items[0]))) {
    for (ValueId pair_id : at(args.items[0]).items) {
      const Value& pair = at(pair_id);
      if (!is_sequence(pair) || pair.items.size() != 2) error("OrderedDict items must be (key, value) pairs");
      dict.items.push_back(pair.items[0]);
      dict.items.push_back(pair.items[1]);
    }
  } else if (!args.items.empty()) {
    error("OrderedDict expects no arguments or a list of pairs");
  }
  return add(std::move(dict));
}

// _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]):
// a strided view of a storage. The view must stay inside the storage.
ValueId CallInterpreter::rebuild_tensor(const Value& args) {
  if (args.items.size() != 6 && args.items.size() != 7)
    error(fmt::format("_rebuild_tensor_v2 expects 6 or 7 arguments, got {}", args.items.size()));
  const Value& storage = at(args.items[0]);
  if (storage.kind != Kind::Storage) error("_rebuild_tensor_v2: the first argument is not a storage");
  const StorageRef& ref = pickle_.storages[storage.ref];
  const Value& size = at(args.items[2]);
  const Value& stride = at(args.items[3]);
  if (!is_sequence(size) || !is_sequence(stride) || size.items.size() != stride.items.size())
    error("_rebuild_tensor_v2: size and stride must be sequences of the same length");
  if (size.items.size() > static_cast<size_t>(kMaxDims))
    error(fmt::format("_rebuild_tensor_v2: {} dimensions (at most {})", size.items.size(), kMaxDims));
  TensorRef t;
  t.storage = storage.ref;
  t.dtype = ref.dtype;
  t.offset = int_arg(args.items[1], "storage offset");
  // Last element touched: offset + sum((size_i - 1) * stride_i), with every step overflow-checked.
  bool ok = t.offset >= 0;
  int64_t last = t.offset, numel = 1;
  bool empty = false;
  for (size_t i = 0; i < size.items.size(); ++i) {
    const int64_t d = int_arg(size.items[i], "size");
    const int64_t s = int_arg(stride.items[i], "stride");
    t.shape.push_back(d);
    t.strides.push_back(s);
    ok = ok && d >= 0 && s >= 0 && !__builtin_mul_overflow(numel, d, &numel);
    if (d == 0) empty = true;
    int64_t step = 0;
    if (ok && d > 0) ok = !__builtin_mul_overflow(d - 1, s, &step) && !__builtin_add_overflow(last, step, &last);
  }
  ok = ok && numel <= std::numeric_limits<int64_t>::max() / static_cast<int64_t>(dtype_size(ref.dtype));
  if (!ok || (!empty && static_cast<uint64_t>(last) >= ref.numel) || static_cast<uint64_t>(t.offset) > ref.numel)
    error(fmt::format("tensor of size {} stride {} at offset {} reaches outside its storage '{}' of {} elements",
                      t.shape.to_string(), t.strides.to_string(), t.offset, printable(ref.key), ref.numel));
  pickle_.tensors.push_back(t);
  Value v;
  v.kind = Kind::Tensor;
  v.ref = static_cast<uint32_t>(pickle_.tensors.size() - 1);
  return add(std::move(v));
}

// Protocol 2 has no bytes opcode; Python 3 writes bytes as _codecs.encode(text, 'latin1').
ValueId CallInterpreter::codecs_encode(const Value& args) {
  if (args.items.size() != 2 || at(args.items[0]).kind != Kind::String || at(args.items[1]).kind != Kind::String)
    error("_codecs.encode expects (text, encoding)");
  const std::string& encoding = at(args.items[1]).text;
  if (encoding != "latin1" && encoding != "latin-1")
    error(fmt::format("_codecs.encode with encoding '{}' (only latin1 is understood)", printable(encoding)));
  Value v;
  v.kind = Kind::Bytes;
  if (!utf8_to_latin1(at(args.items[0]).text, v.text)) error("_codecs.encode: text is not Latin-1");
  return add(std::move(v));
}

// numpy.core.multiarray.scalar(dtype, bytes): a numpy scalar, decoded to an int, float or bool.
ValueId CallInterpreter::numpy_scalar(const Value& args) {
  if (args.items.size() != 2 || at(args.items[0]).kind != Kind::NumpyDtype || at(args.items[1]).kind != Kind::Bytes)
    error("numpy scalar expects (dtype, bytes)");
  std::string_view type = at(args.items[0]).text;
  bool big_endian = false;
  if (!type.empty() && std::string_view("<>|=").find(type[0]) != std::string_view::npos) {
    big_endian = type[0] == '>';
    type.remove_prefix(1);
  }
  std::string bytes = at(args.items[1]).text;
  const char kind = type.empty() ? '?' : type[0];
  const std::string_view width = type.empty() ? type : type.substr(1);
  const size_t n = bytes.size();
  if (std::to_string(n) != width || n > 8) error(fmt::format("numpy scalar of type '{}' with {} bytes", type, n));
  if (big_endian) std::reverse(bytes.begin(), bytes.end());
  uint64_t raw = 0;
  for (size_t i = n; i-- > 0;) raw = (raw << 8) | static_cast<unsigned char>(bytes[i]);
  Value v;
  if (kind == 'f' && (n == 2 || n == 4 || n == 8)) {
    v.kind = Kind::Float;
    if (n == 2) v.number = f16_to_f32(static_cast<uint16_t>(raw));
    if (n == 4) {
      float f;
      const auto bits = static_cast<uint32_t>(raw);
      std::memcpy(&f, &bits, sizeof f);
      v.number = f;
    }
    if (n == 8) std::memcpy(&v.number, &raw, sizeof raw);
  } else if (kind == 'i' && (n == 1 || n == 2 || n == 4 || n == 8)) {
    v.kind = Kind::Int;
    if (n < 8 && (raw >> (8 * n - 1)) & 1u) raw |= ~uint64_t{0} << (8 * n);
    std::memcpy(&v.integer, &raw, sizeof raw);
  } else if (kind == 'u' && (n == 1 || n == 2 || n == 4 || n == 8) && raw <= static_cast<uint64_t>(INT64_MAX)) {
    v.kind = Kind::Int;
    v.integer = static_cast<int64_t>(raw);
  } else if (kind == 'b' && n == 1) {
    v.kind = Kind::Bool;
    v.integer = raw != 0;
  } else {
    error(fmt::format("numpy scalar of type '{}' is not understood", type));
  }
  return add(std::move(v));
}

}  // namespace ad::io::pickle
