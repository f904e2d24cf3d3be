#pragma once

#include "recrl/core/export.hpp"

namespace recrl::cluster {

// MPI in this process, from construction to destruction (MPI_Init_thread, MPI_Finalize). One
// thread at a time makes MPI calls (MPI_THREAD_SERIALIZED): on rank 0 the trainer's postman,
// on the others the main thread. At most one per process.
class RECRL_API MpiWorld {
 public:
  // Throws Error when MPI does not start or cannot serve threads this way.
  MpiWorld();
  ~MpiWorld();
  MpiWorld(const MpiWorld&) = delete;
  MpiWorld& operator=(const MpiWorld&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }

  // Rank 0: tells every other rank that there is nothing (more) to do, so that they end (and
  // whether to skip MPI_Finalize, see below). Also done on destruction; harmless twice.
  void dismiss_others();

  // A rank is gone: MPI_Finalize waits for every rank, the dead one too, so this process ends
  // without it (Open MPI's mpirun --enable-recovery lets the others end so).
  void forgo_finalize() { finalize_ = false; }
  bool finalizes() const { return finalize_; }

 private:
  int rank_ = 0;
  int size_ = 1;
  bool dismissed_ = false;
  bool finalize_ = true;
};

}  // namespace recrl::cluster
