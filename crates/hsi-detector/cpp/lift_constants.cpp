// Turns the tensor constants a trace bakes into a TorchScript graph into attributes of
// the module: float tensors become parameters, the rest buffers. Only then does
// `module.to(device, dtype)` move and convert the weights; a constant is neither moved
// nor converted, so a traced module could not run in half precision or on another device.
//
// tch exposes no call that registers attributes or edits a graph, hence this file. It is
// compiled against the same libtorch headers torch-sys uses and called through a C ABI.

#include <torch/script.h>
#include <torch/csrc/jit/ir/ir.h>
#include <torch/csrc/jit/ir/constants.h>

#include <cstring>
#include <sstream>
#include <string>
#include <vector>

namespace {

char *copy_message(const std::string &message) {
  char *out = static_cast<char *>(std::malloc(message.size() + 1));
  if (out != nullptr) {
    std::memcpy(out, message.c_str(), message.size() + 1);
  }
  return out;
}

// Every prim::Constant node holding a tensor, in this block and the blocks nested in it.
void collect(torch::jit::Block *block, std::vector<torch::jit::Node *> &found) {
  for (torch::jit::Node *node : block->nodes()) {
    if (node->kind() == c10::prim::Constant && node->outputs().size() == 1 &&
        node->output()->type()->cast<c10::TensorType>() != nullptr) {
      found.push_back(node);
    }
    for (torch::jit::Block *inner : node->blocks()) {
      collect(inner, found);
    }
  }
}

int64_t count_tensor_constants(torch::jit::script::Module &module) {
  std::vector<torch::jit::Node *> found;
  for (const auto &method : module.get_methods()) {
    collect(method.graph()->block(), found);
  }
  return static_cast<int64_t>(found.size());
}

}  // namespace

extern "C" {

// Loads `in_path`, lifts the tensor constants of its `forward` into attributes named
// `<prefix>N`, and saves it to `out_path`. Returns null on success (with the number lifted
// and the tensor constants left in any method), else an error to free with hsi_free_message.
char *hsi_lift_tensor_constants(const char *in_path, const char *out_path,
                                const char *prefix, int64_t *lifted,
                                int64_t *remaining) {
  try {
    torch::jit::script::Module module = torch::jit::load(in_path, c10::Device("cpu"));
    auto graph = module.get_method("forward").graph();
    torch::jit::Value *self = graph->inputs().at(0);
    std::vector<torch::jit::Node *> constants;
    collect(graph->block(), constants);
    int64_t index = 0;
    for (torch::jit::Node *node : constants) {
      at::Tensor tensor = torch::jit::toIValue(node->output())->toTensor();
      std::string name = std::string(prefix) + std::to_string(index++);
      if (tensor.is_floating_point()) {
        module.register_parameter(name, tensor.detach().clone(), /*is_buffer=*/false);
      } else {
        module.register_buffer(name, tensor.detach().clone());
      }
      // `self` is a graph input, visible in every nested block, so the read can take the
      // constant's place wherever it sits.
      torch::jit::WithInsertPoint guard(node);
      torch::jit::Value *read = graph->insertGetAttr(self, name);
      node->output()->replaceAllUsesWith(read);
      node->destroy();
    }
    *lifted = index;
    *remaining = count_tensor_constants(module);
    module.save(out_path);
    return nullptr;
  } catch (const std::exception &error) {
    return copy_message(error.what());
  }
}

// The tensor constants left in the methods of the module saved at `path`.
char *hsi_count_tensor_constants(const char *path, int64_t *count) {
  try {
    torch::jit::script::Module module = torch::jit::load(path, c10::Device("cpu"));
    *count = count_tensor_constants(module);
    return nullptr;
  } catch (const std::exception &error) {
    return copy_message(error.what());
  }
}

// Loads the module at `path`, converts every floating-point parameter and buffer to
// `dtype` (integer ones keep theirs, as Python's `module.half()` does; the C++
// `Module::to(dtype)` would convert index tensors too) and returns it serialised, for
// tch to load on its device. Refuses a module whose methods still hold float tensor
// constants: those would stay in float32 and break the forward pass.
char *hsi_convert_floats(const char *path, int dtype, char **bytes, size_t *size,
                         int64_t *converted) {
  try {
    torch::jit::script::Module module = torch::jit::load(path, c10::Device("cpu"));
    std::vector<torch::jit::Node *> constants;
    for (const auto &method : module.get_methods()) {
      collect(method.graph()->block(), constants);
    }
    for (torch::jit::Node *node : constants) {
      if (torch::jit::toIValue(node->output())->toTensor().is_floating_point()) {
        return copy_message(
            "its weights are baked into the graph as constants, which cannot change "
            "precision; convert it again (scripts/lib/prepare-models lifts them into "
            "parameters) or run it in fp32");
      }
    }
    auto target = static_cast<at::ScalarType>(dtype);
    int64_t count = 0;
    for (const auto &item : module.named_attributes(/*recurse=*/true)) {
      if (!item.value.isTensor()) {
        continue;
      }
      at::Tensor tensor = item.value.toTensor();
      if (tensor.is_floating_point() && tensor.scalar_type() != target) {
        tensor.set_data(tensor.to(target));
        count++;
      }
    }
    std::ostringstream out;
    module.save(out);
    std::string data = out.str();
    *bytes = static_cast<char *>(std::malloc(data.size()));
    if (*bytes == nullptr) {
      return copy_message("out of memory");
    }
    std::memcpy(*bytes, data.data(), data.size());
    *size = data.size();
    *converted = count;
    return nullptr;
  } catch (const std::exception &error) {
    return copy_message(error.what());
  }
}

void hsi_free_message(char *message) { std::free(message); }

}  // extern "C"
