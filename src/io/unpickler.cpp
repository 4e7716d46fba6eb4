#include "io/unpickler.h"

#include <cstring>
#include <limits>
#include <map>
#include <unordered_map>

#include "core/error.h"
#include "io/byte_reader.h"
#include "io/unpickler_calls.h"

namespace ad::io::pickle {

namespace {

// Opcode bytes (Lib/pickle.py).
enum Op : uint8_t {
  kMark = '(', kStop = '.', kPop = '0', kPopMark = '1', kDup = '2', kBinInt = 'J', kBinInt1 = 'K', kBinInt2 = 'M',
  kNone = 'N', kBinPersId = 'Q', kReduce = 'R', kBinString = 'T', kShortBinString = 'U', kBinUnicode = 'X',
  kAppend = 'a', kBuild = 'b', kGlobal = 'c', kDict = 'd', kEmptyDict = '}', kAppends = 'e', kBinGet = 'h',
  kLongBinGet = 'j', kList = 'l', kEmptyList = ']', kBinPut = 'q', kLongBinPut = 'r', kSetItem = 's',
  kTuple = 't', kEmptyTuple = ')', kSetItems = 'u', kBinFloat = 'G', kBinBytes = 'B', kShortBinBytes = 'C',
  kProto = 0x80, kNewObj = 0x81, kTuple1 = 0x85, kTuple2 = 0x86, kTuple3 = 0x87, kNewTrue = 0x88,
  kNewFalse = 0x89, kLong1 = 0x8a, kLong4 = 0x8b, kShortBinUnicode = 0x8c, kBinUnicode8 = 0x8d,
  kBinBytes8 = 0x8e, kStackGlobal = 0x93, kMemoize = 0x94, kFrame = 0x95, kByteArray8 = 0x96,
};

constexpr size_t kMaxGlobalLine = 256;

class Machine {
 public:
  Machine(std::span<const std::byte> data, const std::string& label)
      : reader_(data, label, "pickle"), label_(label), calls_(label) {}

  Pickle run() {
    for (;;) {
      op_pos_ = reader_.pos();
      if (reader_.at_end()) error("the pickle ends without a STOP opcode. Perhaps an incomplete download?");
      op_ = reader_.u8();
      if (op_ == kStop) break;
      step();
    }
    calls_.pickle().root = pop();
    return std::move(calls_.pickle());
  }

 private:
  [[noreturn]] void error(const std::string& message) const {
    fail("{}: pickle opcode 0x{:02x} at offset {}: {}", label_, op_, op_pos_, message);
  }

  Pickle& p() { return calls_.pickle(); }
  Value& at(ValueId id) { return p().values[id]; }

  ValueId add(Value v) { return calls_.add(std::move(v)); }
  ValueId add(Kind kind) {
    Value v;
    v.kind = kind;
    return add(std::move(v));
  }
  void push(ValueId id) { stack_.push_back(id); }
  size_t base() const { return marks_.empty() ? 0 : marks_.back(); }
  ValueId top() {
    if (stack_.size() <= base()) error("stack underflow");
    return stack_.back();
  }
  ValueId pop() {
    const ValueId id = top();
    stack_.pop_back();
    return id;
  }
  std::vector<ValueId> pop_mark() {
    if (marks_.empty()) error("no MARK to pop to");
    const size_t mark = marks_.back();
    marks_.pop_back();
    std::vector<ValueId> items(stack_.begin() + static_cast<std::ptrdiff_t>(mark), stack_.end());
    stack_.resize(mark);
    return items;
  }
  ValueId make_sequence(Kind kind, std::vector<ValueId> items) {
    Value v;
    v.kind = kind;
    v.items = std::move(items);
    return add(std::move(v));
  }
  ValueId make_text(Kind kind, std::span<const std::byte> bytes) {
    Value v;
    v.kind = kind;
    v.text.assign(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    return add(std::move(v));
  }
  ValueId make_int(int64_t value) {
    Value v;
    v.kind = Kind::Int;
    v.integer = value;
    return add(std::move(v));
  }
  ValueId make_bool(bool value) {
    Value v;
    v.kind = Kind::Bool;
    v.integer = value ? 1 : 0;
    return add(std::move(v));
  }

  // A little-endian two's-complement integer of n bytes (LONG1 / LONG4).
  int64_t read_long(uint64_t n) {
    if (n > 8) error(fmt::format("an integer of {} bytes does not fit 64 bits", n));
    auto bytes = reader_.bytes(n);
    uint64_t v = 0;
    for (size_t i = bytes.size(); i-- > 0;) v = (v << 8) | static_cast<uint64_t>(bytes[i]);
    if (n > 0 && n < 8 && (static_cast<uint8_t>(bytes[n - 1]) & 0x80u)) v |= ~uint64_t{0} << (8 * n);
    int64_t out;
    std::memcpy(&out, &v, sizeof out);
    return out;
  }
  std::string read_line() {
    std::string line;
    for (;;) {
      const char c = static_cast<char>(reader_.u8());
      if (c == '\n') return line;
      if (line.size() >= kMaxGlobalLine) error("GLOBAL name too long");
      line.push_back(c);
    }
  }
  void memo_put(uint64_t index) { memo_[index] = top(); }
  void memo_get(uint64_t index) {
    auto it = memo_.find(index);
    if (it == memo_.end()) error(fmt::format("memo index {} was never stored", index));
    push(it->second);
  }

  void set_items(ValueId dict, const std::vector<ValueId>& items) {
    if (items.size() % 2 != 0) error("SETITEMS with an odd number of items");
    if (at(dict).kind != Kind::Dict) error("SETITEM(S) on a value that is not a dict");
    auto& target = at(dict).items;
    target.insert(target.end(), items.begin(), items.end());
  }
  void append_items(ValueId list, const std::vector<ValueId>& items) {
    if (at(list).kind != Kind::List) error("APPEND(S) on a value that is not a list");
    auto& target = at(list).items;
    target.insert(target.end(), items.begin(), items.end());
  }

  void step() {
    switch (op_) {
      case kProto: {
        const uint8_t version = reader_.u8();
        if (version > 5) error(fmt::format("pickle protocol {} is newer than 5", version));
        break;
      }
      case kFrame: {
        const uint64_t size = reader_.u64();
        if (size > reader_.remaining()) error(fmt::format("frame of {} bytes runs past the end", size));
        break;
      }
      case kMark: marks_.push_back(stack_.size()); break;
      case kPop: pop(); break;
      case kPopMark: pop_mark(); break;
      case kDup: push(top()); break;
      case kNone: push(add(Kind::None)); break;
      case kNewTrue: push(make_bool(true)); break;
      case kNewFalse: push(make_bool(false)); break;
      case kBinInt: push(make_int(static_cast<int32_t>(reader_.u32()))); break;
      case kBinInt1: push(make_int(reader_.u8())); break;
      case kBinInt2: push(make_int(reader_.u16())); break;
      case kLong1: push(make_int(read_long(reader_.u8()))); break;
      case kLong4: push(make_int(read_long(reader_.u32()))); break;
      case kBinFloat: {
        const uint64_t bits_le = reader_.u64();
        const uint64_t bits = __builtin_bswap64(bits_le);  // BINFLOAT is big-endian
        Value v;
        v.kind = Kind::Float;
        std::memcpy(&v.number, &bits, sizeof bits);
        push(add(std::move(v)));
        break;
      }
      case kShortBinUnicode: push(make_text(Kind::String, reader_.bytes(reader_.u8()))); break;
      case kBinUnicode: push(make_text(Kind::String, reader_.bytes(reader_.u32()))); break;
      case kBinUnicode8: push(make_text(Kind::String, reader_.bytes(reader_.u64()))); break;
      case kShortBinString: push(make_text(Kind::String, reader_.bytes(reader_.u8()))); break;
      case kBinString: push(make_text(Kind::String, reader_.bytes(reader_.u32()))); break;
      case kShortBinBytes: push(make_text(Kind::Bytes, reader_.bytes(reader_.u8()))); break;
      case kBinBytes: push(make_text(Kind::Bytes, reader_.bytes(reader_.u32()))); break;
      case kBinBytes8:
      case kByteArray8: push(make_text(Kind::Bytes, reader_.bytes(reader_.u64()))); break;
      case kEmptyTuple: push(make_sequence(Kind::Tuple, {})); break;
      case kTuple: push(make_sequence(Kind::Tuple, pop_mark())); break;
      case kTuple1: {
        const ValueId a = pop();
        push(make_sequence(Kind::Tuple, {a}));
        break;
      }
      case kTuple2: {
        const ValueId b = pop(), a = pop();
        push(make_sequence(Kind::Tuple, {a, b}));
        break;
      }
      case kTuple3: {
        const ValueId c = pop(), b = pop(), a = pop();
        push(make_sequence(Kind::Tuple, {a, b, c}));
        break;
      }
      case kEmptyList: push(make_sequence(Kind::List, {})); break;
      case kList: push(make_sequence(Kind::List, pop_mark())); break;
      case kAppend: {
        const ValueId value = pop();
        append_items(top(), {value});
        break;
      }
      case kAppends: {
        auto items = pop_mark();
        append_items(top(), items);
        break;
      }
      case kEmptyDict: push(make_sequence(Kind::Dict, {})); break;
      case kDict: {
        auto items = pop_mark();
        const ValueId dict = make_sequence(Kind::Dict, {});
        set_items(dict, items);
        push(dict);
        break;
      }
      case kSetItem: {
        const ValueId value = pop(), key = pop();
        set_items(top(), {key, value});
        break;
      }
      case kSetItems: {
        auto items = pop_mark();
        set_items(top(), items);
        break;
      }
      case kBinPut: memo_put(reader_.u8()); break;
      case kLongBinPut: memo_put(reader_.u32()); break;
      case kMemoize: memo_put(memo_.size()); break;
      case kBinGet: memo_get(reader_.u8()); break;
      case kLongBinGet: memo_get(reader_.u32()); break;
      case kGlobal: {
        const std::string module = read_line();
        const std::string name = read_line();
        push(calls_.global(module, name));
        break;
      }
      case kStackGlobal: {
        const ValueId name = pop(), module = pop();
        if (at(name).kind != Kind::String || at(module).kind != Kind::String)
          error("STACK_GLOBAL needs two strings");
        push(calls_.global(at(module).text, at(name).text));
        break;
      }
      case kReduce:
      case kNewObj: {
        const ValueId args = pop(), callable = pop();
        push(calls_.call(callable, args));
        break;
      }
      case kBuild: {
        const ValueId state = pop();
        calls_.build(top(), state);
        break;
      }
      case kBinPersId: push(calls_.persistent_load(pop())); break;
      default:
        error(fmt::format("unsupported opcode '{}' (not used by torch.save state dicts)", printable_opcode(op_)));
    }
  }

  static std::string printable_opcode(uint8_t op) {
    if (op >= 0x20 && op < 0x7f) return std::string(1, static_cast<char>(op));
    return fmt::format("\\x{:02x}", op);
  }

  ByteReader reader_;
  const std::string& label_;
  CallInterpreter calls_;
  std::vector<ValueId> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, ValueId> memo_;
  size_t op_pos_ = 0;
  uint8_t op_ = 0;
};

void describe_into(const Pickle& pickle, ValueId id, int depth, size_t max_chars, std::string& out) {
  if (out.size() >= max_chars) return;
  if (depth > kPickleMaxDepth) {
    out += "...";
    return;
  }
  const Value& v = pickle.at(id);
  auto list = [&](const char* open, const char* close, bool pairs) {
    out += open;
    for (size_t i = 0; i < v.items.size() && out.size() < max_chars; ++i) {
      if (i > 0) out += (pairs && i % 2 == 1) ? ": " : ", ";
      describe_into(pickle, v.items[i], depth + 1, max_chars, out);
    }
    out += close;
  };
  switch (v.kind) {
    case Kind::None: out += "None"; break;
    case Kind::Bool: out += v.integer ? "True" : "False"; break;
    case Kind::Int: out += std::to_string(v.integer); break;
    case Kind::Float: out += fmt::format("{}", v.number); break;
    case Kind::String: out += fmt::format("'{}'", printable(v.text, max_chars)); break;
    case Kind::Bytes: out += fmt::format("<{} bytes>", v.text.size()); break;
    case Kind::Tuple: list("(", v.items.size() == 1 ? ",)" : ")", false); break;
    case Kind::List: list("[", "]", false); break;
    case Kind::Dict: list("{", "}", true); break;
    case Kind::Global: out += v.text; break;
    case Kind::NumpyDtype: out += fmt::format("dtype('{}')", v.text); break;
    case Kind::Storage: out += fmt::format("<storage '{}'>", printable(pickle.storages[v.ref].key, 64)); break;
    case Kind::Tensor: {
      const TensorRef& t = pickle.tensors[v.ref];
      out += fmt::format("<tensor {}{}>", dtype_name(t.dtype), t.shape.to_string());
      break;
    }
  }
}

}  // namespace

std::string printable(std::string_view text, size_t max_chars) {
  std::string out;
  for (char c : text) {
    if (out.size() >= max_chars) {
      out += "...";
      break;
    }
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u < 0x20 || u == 0x7f ? '?' : c);
  }
  return out;
}

Pickle unpickle(std::span<const std::byte> data, const std::string& label) { return Machine(data, label).run(); }

std::string describe(const Pickle& pickle, ValueId id, size_t max_chars) {
  std::string out;
  describe_into(pickle, id, 0, max_chars, out);
  if (out.size() > max_chars) out = out.substr(0, max_chars) + "...";
  return out;
}

}  // namespace ad::io::pickle
