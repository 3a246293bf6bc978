"""Run by tests/test_ddp.py under torchrun (2 gloo ranks) and directly (1 process, accum 2)."""
import sys
import torch
from torch import nn
from cinder_lit.train import TrainConfig, Trainer, backprop, init_distributed


class Net(nn.Module):
    def __init__(self):
        super().__init__(); self.a = nn.Linear(6, 8); self.b = nn.Linear(8, 3)
    def forward(self, x): return self.b(torch.tanh(self.a(x)))


def loss_fn(model, batch):
    x, y = batch
    return nn.functional.cross_entropy(model(x), y)


if __name__ == "__main__":
    out, accum = sys.argv[1], int(sys.argv[2])
    g = torch.Generator().manual_seed(0)
    X, Y = torch.randn(4, 8, 6, generator=g), torch.randint(0, 3, (4, 8), generator=g)  # 4 half-batches
    rank, world = init_distributed()
    torch.manual_seed(123); model = Net()
    cfg = TrainConfig(steps=2, lr=0.1, optimizer="sgd", device="cpu", accum_steps=accum, grad_clip=0)
    Trainer(model, lambda i: (X[i % 4], Y[i % 4]), backprop(loss_fn), cfg).fit()
    sd = {k: v.detach() for k, v in model.state_dict().items()}
    torch.save(sd, out if rank == 0 else f"{out}.rank{rank}")   # every rank's parameters, for the equality check
    if world > 1:   # leave together: a rank exiting while gloo's threads still run aborts ("terminate called ...")
        import torch.distributed as dist
        dist.barrier(); dist.destroy_process_group()
