"""A notebook-first, literate research lab for the training dynamics of unusual sequence models

Modules:

- `cinder_lit.core`: Configuration, seeding, device and precision, run directories, atomic I/O, NDJSON telemetry, the divergence guard, progress bars and the figure theme: what every subsystem stands on.
- `cinder_lit.crawler.arms`: The arm runner: an arm is a named set of overrides on a base config; a series runs its arms at equal iterations, re-pins the control first, and ends in a ranked table with deltas and a "clears" threshold.
- `cinder_lit.crawler.eval`: Exact bits per byte (plain and sliding-window), pre/post-quantisation BPB and the quant gap, and SLOT eval-time adaptation that can only see tokens already scored.
- `cinder_lit.crawler.model`: CrawlerGPT: a GPT with F unique "flat" blocks followed by one shared "crawler" block applied `crawler_loops` times, plus every architectural switch the Ouroboros research program ablates.
- `cinder_lit.crawler.quant`: Post-training quantization that survives weight sharing: per-row int6/int8 round-to-nearest with an MSE-searched clip, GPTQ, loop-aware GPTQ for the shared crawler block, a crawler-only int8 option, and the compressed artifact (zstd-22 or brotli-11) checked against the 16,000,000-byte cap.
- `cinder_lit.crawler.train`: Training CrawlerGPT with the foundation's one training loop: a fixed iteration budget (equal compute across arms), warmup/warmdown, AdamW or Muon, bf16 autocast on GPU, optional `torch.compile`, and `torchrun` DDP.
- `cinder_lit.data`: Corpora (text files, folders, TinyStories-style files, token shards), tokenizers (raw bytes and a locally trained BPE), the embedded default corpus, exact bits-per-byte, LM batches and the synthetic tasks the subsystems study.
- `cinder_lit.train`: The one training loop every subsystem uses: the subsystem supplies the model, a batch function and a *step function* that fills the gradients (backprop, EP, BPTT, …); the loop owns the optimizer and schedule, telemetry, the divergence guard, checkpoints with exact resume, and the hooks where Raincatcher probes attach."""

__version__ = "0.0.1"
