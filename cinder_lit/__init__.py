"""A notebook-first, literate research lab for the training dynamics of unusual sequence models

Modules:

- `cinder_lit.cms.chunkwise`: Exact chunkwise-parallel forms of the gated Delta rule and of Titans with momentum, equal to the per-token recurrence of `cms.rules` (the reference) to float64 round-off, forward and backward.
- `cinder_lit.cms.experiments`: Library side of the experiment templates `cms_stability_boundary`, `cms_levels` and `cms_rules`: each template only chooses parameters, calls these functions, plots and writes the summary.
- `cinder_lit.cms.levels`: A *level* wraps a memory rule with its learned projections and gates; the *conductor* says which levels fire at each step; frozen levels keep their outer-loop gradients in an *error buffer*; the *Continuum Memory System* (CMS) sums the levels, keeps their memory state across forward calls and normalises the sum by $1/\sqrt k$ for $k > 2$.
- `cinder_lit.cms.model`: One block = sliding-window attention + a Continuum Memory System, composed as memory-as-gate, memory-as-context or memory-as-layer (Titans, Behrouz et al. 2024, arXiv 2501.00663, §4); a step function that plugs the CMS error buffer into the foundation `Trainer`; float64 `gradcheck` of every rule × composition × k, across a level's firing boundary.
- `cinder_lit.cms.rules`: Delta, Titans LMM, Hebbian, MONETA and Lattice OSR as interchangeable *memory rules*: each says how a memory state is initialised, written with one (key, value) pair under per-dimension gates, and read with a query.
- `cinder_lit.cms.swa`: Causal sliding-window attention (SWA), the short-range branch of every Nested-Learning block: a PyTorch reference (masked SDPA) and a Triton forward + backward kernel pair, tested against the reference under the Triton interpreter on CPU.
- `cinder_lit.core`: Configuration, seeding, device and precision, run directories, atomic I/O, NDJSON telemetry, the divergence guard, progress bars and the figure theme: what every subsystem stands on.
- `cinder_lit.data`: Corpora (text files, folders, TinyStories-style files, token shards), tokenizers (raw bytes and a locally trained BPE), the embedded default corpus, exact bits-per-byte, LM batches and the synthetic tasks the subsystems study.
- `cinder_lit.train`: The one training loop every subsystem uses: the subsystem supplies the model, a batch function and a *step function* that fills the gradients (backprop, EP, BPTT, …); the loop owns the optimizer and schedule, telemetry, the divergence guard, checkpoints with exact resume, and the hooks where Raincatcher probes attach."""

__version__ = "0.0.1"
