"""Loading published `trust_remote_code` models under transformers 5: one small compatibility step.

Remote code written for transformers 4 (moondream2's revision 2025-06-21 among it) trips over two
changes of transformers 5, and this module fixes exactly those two, nothing else:

1. Its `PreTrainedModel.__init__` never calls `self.post_init()`. Transformers 5 reads what
   `post_init()` sets (`all_tied_weights_keys`) on every load, so loading fails with an
   `AttributeError`. The model class is subclassed so that `post_init()` runs when `__init__` did not.
2. Transformers 5 builds the model on the meta device and then loads only the state dict. Buffers
   that `__init__` computes and registers with `persistent=False` (an attention mask, a rotary
   table) are not in the state dict, so they are left as uninitialised memory: moondream2's rotary
   table is NaN and it then finds nothing, in silence. After loading they are computed again by
   building the model once more with its parameters on the meta device (free) and its buffers real.

`non_finite_buffers()` is the check that catches a model whose buffers are still wrong.
"""

import contextlib
import threading

import torch

# The reference model is built with torch.nn.Module.register_parameter patched: one build at a time.
_META_PARAMETERS_LOCK = threading.Lock()


def load_remote_model(model_id: str, *, revision: str | None, auto_class: str = "AutoModelForCausalLM"):
    """`<auto_class>.from_pretrained(model_id, revision=…, trust_remote_code=True)` with the compatibility step."""
    import transformers
    from transformers.dynamic_module_utils import get_class_from_dynamic_module

    config = transformers.AutoConfig.from_pretrained(model_id, revision=revision, trust_remote_code=True)
    class_reference = (getattr(config, "auto_map", None) or {}).get(auto_class)
    if class_reference is None:  # not remote code: transformers' own classes need no compatibility step
        return getattr(transformers, auto_class).from_pretrained(model_id, revision=revision, config=config)
    model_class = get_class_from_dynamic_module(class_reference, model_id, revision=revision)
    model = with_post_init(model_class).from_pretrained(
        model_id, revision=revision, config=config, trust_remote_code=True
    )
    restore_computed_buffers(model)
    return model


def with_post_init(model_class: type) -> type:
    """A subclass of `model_class` whose `__init__` ends with `post_init()` when the original did not call it."""
    if model_class.__dict__.get("_compat_post_init", False):
        return model_class

    def __init__(self, config, *args, **kwargs):
        self._post_init_called = False
        model_class.__init__(self, config, *args, **kwargs)
        if not self._post_init_called:
            self.post_init()

    def post_init(self):
        self._post_init_called = True
        return model_class.post_init(self)

    namespace = {
        "__init__": __init__, "post_init": post_init, "_compat_post_init": True,
        "__module__": model_class.__module__, "__qualname__": model_class.__qualname__, "__doc__": model_class.__doc__,
    }
    return type(model_class.__name__, (model_class,), namespace)


def non_persistent_buffers(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """Buffers registered with `persistent=False`: in no checkpoint, computed by `__init__`."""
    found = {}
    for prefix, module in model.named_modules():
        for name in module._non_persistent_buffers_set:
            buffer = module._buffers.get(name)
            if buffer is not None:
                found[f"{prefix}.{name}" if prefix else name] = buffer
    return found


def restore_computed_buffers(model: torch.nn.Module) -> list[str]:
    """Recompute every non-persistent buffer as `__init__` computes it; returns their names."""
    loaded = non_persistent_buffers(model)
    if not loaded:
        return []
    with _parameters_on_meta():
        reference = non_persistent_buffers(type(model)(model.config))
    for name, buffer in loaded.items():
        if name not in reference or reference[name].shape != buffer.shape:
            raise RuntimeError(f"Cannot recompute the buffer {name}: a fresh model has none of that shape.")
        module_name, _, attribute = name.rpartition(".")
        module = model.get_submodule(module_name)
        module._buffers[attribute] = reference[name].to(device=buffer.device, dtype=buffer.dtype)
    return sorted(loaded)


def non_finite_buffers(model: torch.nn.Module) -> list[str]:
    """Names of the floating-point non-persistent buffers holding NaN or infinity."""
    return sorted(
        name for name, buffer in non_persistent_buffers(model).items()
        if (buffer.is_floating_point() or buffer.is_complex()) and not bool(torch.isfinite(buffer).all())
    )


@contextlib.contextmanager
def _parameters_on_meta():
    """Build modules with their parameters on the meta device (no memory, no init) and their buffers real."""
    register = torch.nn.Module.register_parameter

    def register_on_meta(module, name, param):
        if param is not None and param.device.type != "meta":
            param = torch.nn.Parameter(param.to("meta"), requires_grad=param.requires_grad)
        register(module, name, param)

    with _META_PARAMETERS_LOCK:
        torch.nn.Module.register_parameter = register_on_meta
        try:
            yield
        finally:
            torch.nn.Module.register_parameter = register
