#pragma once

#include "recrl/core/errors.hpp"
#include "recrl/core/export.hpp"

namespace recrl::store {

// A result store that cannot be opened, read or written: a corrupt file, a store written by a
// newer recrl, a store locked for longer than the busy timeout, a write that failed (a full
// disk, say) and was rolled back. what() is one line that names the store's file.
class RECRL_API StoreError : public Error {
 public:
  using Error::Error;
};

}  // namespace recrl::store
