"""Data: vocabularies, corpora and truncated-BPTT batching (NumPy only)."""

from .batching import batchify, eval_streams, get_batch, iterate, num_batches
from .corpora import NAMED, Corpus, load_corpus, resolve_data_dir
from .vocab import EOS, UNK, Vocab

__all__ = ["Vocab", "EOS", "UNK", "Corpus", "load_corpus", "resolve_data_dir", "NAMED",
           "batchify", "eval_streams", "get_batch", "iterate", "num_batches"]
