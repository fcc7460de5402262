"""Entry point of the stand-in, shaped like moondream2's `hf_moondream.py` (revision 2025-06-21).

What matters is what can break a loader, not what moondream computes: a `PreTrainedModel` whose
`__init__` never calls `post_init()`, a model that builds its non-persistent buffers in
`__init__`, relative imports nested across several files, a tokenizer read by repo id.
"""

from transformers import PretrainedConfig, PreTrainedModel

from .standin import StandinModel


class HfStandinConfig(PretrainedConfig):
    _auto_class = "AutoConfig"
    model_type = "hitl_moondream_standin"

    def __init__(self, hidden=8, vocab=16, slots=4, rotary_base=10000.0, **kwargs):
        super().__init__(**kwargs)
        self.hidden, self.vocab, self.slots, self.rotary_base = hidden, vocab, slots, rotary_base


class HfStandin(PreTrainedModel):
    _auto_class = "AutoModelForCausalLM"
    config_class = HfStandinConfig

    def __init__(self, config):
        super().__init__(config)
        self.model = StandinModel(config)
        # No self.post_init(): the published moondream2 code does not call it either.

    @property
    def encode_image(self):
        return self.model.encode_image

    @property
    def detect(self):
        return self.model.detect
