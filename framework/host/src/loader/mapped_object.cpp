#include "mapped_object.hpp"

#include <dlfcn.h>
#include <elf.h>
#include <link.h>

#include <cstring>

namespace recrl::plugin {

namespace {

struct Search {
  const link_map* map;
  std::vector<ElfW(Phdr)> headers;
  ElfW(Addr) base = 0;
  bool found = false;
};

int find_object(dl_phdr_info* info, std::size_t, void* data) {
  auto* search = static_cast<Search*>(data);
  // The object is the one loaded at the link map's base address with the same name.
  if (info->dlpi_addr != search->map->l_addr || info->dlpi_name == nullptr ||
      std::strcmp(info->dlpi_name, search->map->l_name) != 0) {
    return 0;
  }
  search->headers.assign(info->dlpi_phdr, info->dlpi_phdr + info->dlpi_phnum);
  search->base = info->dlpi_addr;
  search->found = true;
  return 1;
}

}  // namespace

MappedObject::MappedObject(void* handle) {
  link_map* map = nullptr;
  if (handle == nullptr || dlinfo(handle, RTLD_DI_LINKMAP, &map) != 0 || map == nullptr) return;
  Search search{map, {}, 0, false};
  dl_iterate_phdr(&find_object, &search);
  if (!search.found) return;
  for (const ElfW(Phdr) & header : search.headers) {
    if (header.p_type != PT_LOAD || (header.p_flags & PF_R) == 0) continue;
    const std::uintptr_t begin = search.base + header.p_vaddr;
    readable_.push_back({begin, begin + header.p_memsz, (header.p_flags & PF_X) != 0});
  }
}

const MappedObject::Segment* MappedObject::segment_of(std::uintptr_t address) const {
  for (const Segment& segment : readable_) {
    if (address >= segment.begin && address < segment.end) return &segment;
  }
  return nullptr;
}

bool MappedObject::holds(const void* p, std::size_t size) const {
  const auto address = reinterpret_cast<std::uintptr_t>(p);
  const Segment* segment = segment_of(address);
  return segment != nullptr && size <= segment->end - address;
}

bool MappedObject::holds_text(const char* s) const {
  const auto address = reinterpret_cast<std::uintptr_t>(s);
  const Segment* segment = segment_of(address);
  if (segment == nullptr) return false;
  return std::memchr(s, '\0', segment->end - address) != nullptr;
}

bool MappedObject::in_code(const void* address) const {
  const Segment* segment = segment_of(reinterpret_cast<std::uintptr_t>(address));
  return segment != nullptr && segment->executable;
}

std::string MappedObject::why_not_callable(const void* address) const {
  Dl_info info{};
  void* entry = nullptr;  // the symbol's ElfW(Sym) in the dynamic symbol table
  const bool found = dladdr1(address, &info, &entry, RTLD_DL_SYMENT) != 0 && entry != nullptr;
  const auto* symbol = static_cast<const ElfW(Sym)*>(entry);
  if (found && info.dli_saddr == address && ELF64_ST_TYPE(symbol->st_info) != STT_FUNC) {
    return "is data, not a function";
  }
  if (!in_code(address)) return "is not in the plugin's code";
  return "";
}

}  // namespace recrl::plugin
