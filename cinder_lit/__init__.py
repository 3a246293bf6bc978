"""A notebook-first, literate research lab for the training dynamics of unusual sequence models

Modules:

- `cinder_lit.core`: Configuration, seeding, device and precision, run directories, atomic I/O, NDJSON telemetry, the divergence guard, progress bars and the figure theme: what every subsystem stands on.
- `cinder_lit.data`: Corpora (text files, folders, TinyStories-style files, token shards), tokenizers (raw bytes and a locally trained BPE), the embedded default corpus, exact bits-per-byte, LM batches and the synthetic tasks the subsystems study.
- `cinder_lit.ep.block`: A transformer block written as a vector field F(z; x) whose fixed point z* is the block's output: softmax attention + FFN, energy (Hopfield) attention + a Hopfield-energy FFN (F = −∇E, conservative), a monotone (monDEQ) variant, and spectral-norm limits on the attention weights.
- `cinder_lit.ep.controllers`: Hutchinson estimates of ‖J‖²_F (Bai et al. 2021) and of the non-normal part ‖J − Jᵀ‖²_F (the "homeostasis" term of generalised holomorphic EP), the adaptive jr controller of the seed, a frozen option, and the penalty-free structural arms (spectral norm, monotone, energy).
- `cinder_lit.ep.diagnostics`: cos(estimator, BPTT), self-cosine across resamples, magnitude ratio k, the non-normality ‖Jv − Jᵀv‖/‖Jv‖ at z*, per-parameter-group versions, the CE/penalty decomposition of an update, and validation CE against cumulative learning rate.
- `cinder_lit.ep.estimators`: Every estimator returns the parameter gradient of the same loss — the mean token cross-entropy of the readout at the block's equilibrium — so they can be compared coordinate by coordinate.
- `cinder_lit.ep.experiments`: Building the data + block of a profile, producing the "fixed checkpoint" a study starts from, and the estimator-vs-reference table (cos, k, self-cos, per group) that rounds A, B and D of the seed report.
- `cinder_lit.ep.solvers`: Explicit Euler z ← z + εF(z) (= damped Picard), and Anderson acceleration; the residual ‖F(z)‖ per step; a max-steps / tolerance stop; the free phase z*(x) of an `EqBlock`.
- `cinder_lit.ep.train`: Step functions that fill `.grad` with an estimator's gradient (+ jr × the Jacobian penalty, with the controller updated from the free-phase residual), the validation CE evaluated at the equilibrium, the cumulative-lr hook, and the small helpers the experiment templates share.
- `cinder_lit.train`: The one training loop every subsystem uses: the subsystem supplies the model, a batch function and a *step function* that fills the gradients (backprop, EP, BPTT, …); the loop owns the optimizer and schedule, telemetry, the divergence guard, checkpoints with exact resume, and the hooks where Raincatcher probes attach."""

__version__ = "0.0.1"
