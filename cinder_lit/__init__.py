"""A notebook-first, literate research lab for the training dynamics of unusual sequence models

Modules:

- `cinder_lit.core`: Configuration, seeding, device and precision, run directories, atomic I/O, NDJSON telemetry, the divergence guard, progress bars and the figure theme: what every subsystem stands on.
- `cinder_lit.data`: Corpora (text files, folders, TinyStories-style files, token shards), tokenizers (raw bytes and a locally trained BPE), the embedded default corpus, exact bits-per-byte, LM batches and the synthetic tasks the subsystems study.
- `cinder_lit.nas.cerebros`: A Cerebros-style random-connectivity search in PyTorch (levels of dense units, vertical skips with a decaying predecessor affinity, laterals, repair), its sequence front end, and the head-to-head harness that trains CinderForge E and Cerebros under one budget for the four tracks of the seed's protocol.
- `cinder_lit.nas.kernels`: A Triton kernel for chunked causal linear attention, forward and backward, with the PyTorch chunked form (`nas.units.linear_attn_chunked`) as its reference. Used automatically on CUDA.
- `cinder_lit.nas.models`: A small language model and a sequence classifier assembled from the units, the `tokens.ndjson` telemetry hook that Raincatcher reads, and the RC penalty by mode (observe / gentle / hard / auto).
- `cinder_lit.nas.study`: The dynamics-first architecture search: an Optuna study whose objective is the task loss plus the Raincatcher term by mode, with per-trial artifacts, resume after a kill, failures recorded with their reason, and many workers on one storage. The `cfe-study` CLI.
- `cinder_lit.nas.units`: Sequence-mixing units with one interface, `[B, L, D] -> [B, L, D]`, causal: `mhla_rope`, `linear_attn`, `ssm_diag` and `softmax`. Every fast form is checked against its naive quadratic or recurrent form.
- `cinder_lit.rc.cli`: `raincatcher`: precise Raincatcher metrics of a logged token/embedding stream, with bands and a verdict, as JSON and Markdown — written atomically, with every malformed line accounted for.
- `cinder_lit.rc.lyapunov`: Lyapunov exponents the honest way: the largest exponent of a measured scalar series (Rosenstein's method, with KD-tree neighbours instead of an all-pairs distance matrix) and the full spectrum of any PyTorch map or recurrent step (Jacobian-vector products with periodic QR), checked against maps whose exponents are known.
- `cinder_lit.rc.metrics`: Raincatcher's three dynamics metrics on token/embedding streams: **PLV** (attractor strength), **sigma** (criticality) and the **lambda proxy** (expansion vs contraction), each in the seed's reading, beside the standard estimators a careful researcher would check it against (two-signal PLV and PPC, the multistep-regression branching ratio).
- `cinder_lit.rc.signals`: Test signals with known answers for calibrating Raincatcher: a pair of noisy, coupled phase oscillators (how much locking there really is) and embedding trajectories whose consecutive similarity is a noisy sinusoid at a chosen SNR.
- `cinder_lit.rc.stream`: Raincatcher inside a training step: PLV, sigma and the lambda proxy updated one token at a time with O(1) work per token (independent of how long the stream already is), equal to the batch forms of `rc.metrics` on the same stream.
- `cinder_lit.runner`: The experiment registry, the papermill runner, the reports index, the docs builder and the `cinder-lit` command line.
- `cinder_lit.train`: The one training loop every subsystem uses: the subsystem supplies the model, a batch function and a *step function* that fills the gradients (backprop, EP, BPTT, …); the loop owns the optimizer and schedule, telemetry, the divergence guard, checkpoints with exact resume, and the hooks where Raincatcher probes attach."""

__version__ = "0.0.1"
