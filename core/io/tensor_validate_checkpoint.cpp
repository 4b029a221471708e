// Checkpoint overloads of the tensor-layout checks: a TensorCatalog built from the files' headers.
// Kept apart from tensor_validate.cpp so code that only checks hand-made catalogs does not pull in
// the safetensors reader.
#include "core/io/safetensors.h"
#include "core/io/tensor_layout.h"

#include <filesystem>

namespace moewb {

TensorCatalog catalogOf(const Checkpoint& checkpoint)
{
    TensorCatalog catalog;
    const auto& files = checkpoint.files();
    if (files.size() == 1)
        catalog.source = files.front()->path().string();
    else
        catalog.source = (checkpoint.directory() / "model.safetensors.index.json").string();
    for (const auto& file : files) {
        const std::string fileName = file->path().string(); // as given: "folder/model.safetensors"
        for (const auto& info : file->tensors())
            catalog.tensors[info.name] = CatalogTensor{info.shape, info.dtype, info.nbytes(), fileName};
    }
    return catalog;
}

ExpertLayout detectExpertLayout(const ModelSpec& spec, const Checkpoint& checkpoint)
{
    return detectExpertLayout(spec, catalogOf(checkpoint));
}

CheckpointValidation validateCheckpoint(const ModelSpec& spec, const Checkpoint& checkpoint)
{
    return validateCheckpoint(spec, catalogOf(checkpoint));
}

} // namespace moewb
