// The allow-list of the restricted unpickler (unpickler.h): which globals a pickle may name,
// and what a call, a BUILD or a persistent id of each means as an inert value. Nothing here runs
// code from the file; every other global is refused where it is named.
#pragma once

#include <map>
#include <string>

#include "io/unpickler.h"

namespace ad::io::pickle {

class CallInterpreter {
 public:
  explicit CallInterpreter(const std::string& label) : label_(label) {}

  Pickle& pickle() { return pickle_; }
  // Appends a value; throws past the value cap.
  ValueId add(Value value);

  // GLOBAL / STACK_GLOBAL: a Global value for an allow-listed name, else an error.
  ValueId global(const std::string& module, const std::string& name);
  // REDUCE / NEWOBJ: `callable` applied to the tuple `args`, as a value.
  ValueId call(ValueId callable, ValueId args);
  // BUILD: applies `state` to `target` (only where the state is harmless to drop or understood).
  void build(ValueId target, ValueId state);
  // BINPERSID with ('storage', <storage class>, key, location, numel): a storage reference.
  ValueId persistent_load(ValueId pid);

 private:
  const Value& at(ValueId id) const { return pickle_.values[id]; }
  [[noreturn]] void error(const std::string& message) const;
  int64_t int_arg(ValueId id, const char* what) const;
  ValueId ordered_dict(const Value& args);
  ValueId rebuild_tensor(const Value& args);
  ValueId codecs_encode(const Value& args);
  ValueId numpy_scalar(const Value& args);

  const std::string& label_;
  Pickle pickle_;
  std::map<std::string, uint32_t> storage_by_key_;
};

}  // namespace ad::io::pickle
