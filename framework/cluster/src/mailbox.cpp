#include "mailbox.hpp"

#define OMPI_SKIP_MPICXX 1
#include <mpi.h>

namespace recrl::cluster::detail {

void send(int rank, int tag, const std::string& bytes) {
  MPI_Send(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE, rank, tag, MPI_COMM_WORLD);
}

std::optional<Envelope> poll() {
  int arrived = 0;
  MPI_Status status;
  MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &arrived, &status);
  if (arrived == 0) return std::nullopt;
  int size = 0;
  MPI_Get_count(&status, MPI_BYTE, &size);
  Envelope e{status.MPI_SOURCE, status.MPI_TAG, std::string(static_cast<std::size_t>(size), '\0')};
  MPI_Recv(e.bytes.data(), size, MPI_BYTE, e.source, e.tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  return e;
}

}  // namespace recrl::cluster::detail
