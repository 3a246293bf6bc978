"""Run by tests/test_ddp.py under torchrun (2 gloo ranks): train a tiny CrawlerGPT with `train_crawler(ddp=True)` and
save every rank's parameters, so the test can check that all ranks hold one model."""
import sys
import torch
from cinder_lit.crawler.model import CrawlerConfig, CrawlerGPT
from cinder_lit.crawler.train import ddp_cleanup, ddp_setup, train_crawler
from cinder_lit.data import load_token_data
from cinder_lit.train import TrainConfig

if __name__ == "__main__":
    out = sys.argv[1]
    rank, world, device = ddp_setup()
    data = load_token_data("default", "bytes", max_train_tokens=20_000, max_val_tokens=2_000)
    torch.manual_seed(rank)          # different initialisations per rank: DDP must make them one model
    model = CrawlerGPT(CrawlerConfig(vocab_size=256, d_model=32, n_heads=2, n_kv_heads=1, n_flat=1, crawler_loops=2))
    tcfg = TrainConfig(steps=3, lr=1e-2, device="cpu", seed=0, optimizer="adamw")
    o = train_crawler(model, data, tcfg, batch_size=2, seq_len=16, ddp=world > 1)
    torch.save({k: v.detach().cpu() for k, v in o.model.state_dict().items()}, f"{out}.rank{rank}")
    ddp_cleanup()
