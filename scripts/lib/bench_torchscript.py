"""Times the same TorchScript detector from Python, for comparison with the Rust run.

Measures only the forward pass (what the Rust figures call "forward"), on random
images of the model's input size, per batch size.
"""
import argparse
import time

import torch


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--batch-sizes", default="1")
    parser.add_argument("--iterations", type=int, default=50)
    args = parser.parse_args()
    device = args.device
    if device == "auto":
        device = "cuda:0" if torch.cuda.is_available() else "cpu"
    half = device.startswith("cuda")
    module = torch.jit.load(args.model, map_location=device).eval()
    if half:
        module = module.half()
    for batch in [int(b) for b in args.batch_sizes.split(",")]:
        images = torch.rand(batch, 3, 512, 512, device=device) * 255
        if half:
            images = images.half()
        with torch.no_grad():
            for _ in range(3):
                module(images)
            if half:
                torch.cuda.synchronize()
            start = time.perf_counter()
            for _ in range(args.iterations):
                module(images)
            if half:
                torch.cuda.synchronize()
        per_batch = (time.perf_counter() - start) / args.iterations
        print(f"python torch {torch.__version__} on {device} (half: {half}), batch {batch}: "
              f"{per_batch * 1000:.2f} ms per forward, {per_batch * 1000 / batch:.2f} ms per image, "
              f"{batch / per_batch:.1f} images/s")


if __name__ == "__main__":
    main()
