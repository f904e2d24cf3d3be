#include "recrl/cluster/mpi_world.hpp"

#define OMPI_SKIP_MPICXX 1
#include <mpi.h>

#include "mailbox.hpp"
#include "messages.hpp"
#include "recrl/core/errors.hpp"

namespace recrl::cluster {

MpiWorld::MpiWorld() {
  int provided = 0;
  if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided) != MPI_SUCCESS)
    throw Error("error: --mpi: MPI did not start (run recrl under mpirun or srun)");
  if (provided < MPI_THREAD_SERIALIZED) {
    MPI_Finalize();
    throw Error(
        "error: --mpi: this MPI library cannot serve calls from several threads in turn "
        "(MPI_THREAD_SERIALIZED)");
  }
  // A rank that went away must not end the others' calls with an abort: sends to it are
  // eager and its silence is noticed by time (docs/cluster.md).
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

MpiWorld::~MpiWorld() {
  dismiss_others();
  if (finalize_) MPI_Finalize();
}

void MpiWorld::dismiss_others() {
  if (rank_ != 0 || dismissed_) return;
  dismissed_ = true;
  const std::string done = detail::Writer().u8(finalize_).bytes();
  for (int r = 1; r < size_; ++r) detail::send(r, detail::kDone, done);
}

}  // namespace recrl::cluster
