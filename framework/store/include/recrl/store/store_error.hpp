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

// A file that is not a result store this recrl can use: not a SQLite database, a corrupt one,
// another program's database, a recrl store with a table or column missing, or one written by
// a newer recrl. Bad input, not a fault of the store: commands report it with exit status 2.
class RECRL_API InvalidStoreError : public StoreError {
 public:
  using StoreError::StoreError;
};

}  // namespace recrl::store
