"""`scoreviz sample`: the checks every checkpoint shares, then points.sample_points or images.sample_images by the
checkpoint's kind."""
from __future__ import annotations

from scoreviz.commands.errors import UserError, positive
from scoreviz.commands.images import sample_images
from scoreviz.commands.points import open_checkpoint, sample_points

__all__ = ["sample"]


def sample(args):
    positive("n", args.n, allow_none=False)
    if not args.out.endswith(".npy"):
        raise UserError(f"--out must be a .npy file (got {args.out})")
    ckpt = open_checkpoint(args.checkpoint, args.device)
    if ckpt.meta.get("kind") == "images":
        return sample_images(args, ckpt)
    return sample_points(args, ckpt)
