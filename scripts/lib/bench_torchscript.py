"""Times the detector's TorchScript file from Python torch: forward passes only.

The reference the worker's end-to-end figures are held against: the same file, batch
size, precision, device and (on the CPU) intra-op threads, with random images of the
model's input size already on the device. Prints one `BENCH {json}` line per batch size.

    python bench_torchscript.py --model M --like worker.log   # what the worker ran
    python bench_torchscript.py --model M --device cuda:0 --precision fp16 --batch-sizes 1,8,64
"""
import argparse
import json
import sys
import time
import warnings

warnings.filterwarnings("ignore", message="Failed to initialize NumPy")
import torch  # noqa: E402  (after the filter: torch warns on import without NumPy)

DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}


def worker_runs(path):
    """(device, precision) -> [batch sizes], threads and input size from the worker's BENCH lines."""
    plans, threads, size = {}, None, None
    with open(path, encoding="utf-8") as log:
        for line in log:
            if not line.startswith("BENCH "):
                continue
            row = json.loads(line[len("BENCH "):])
            if row.get("side") != "worker":
                continue
            plans.setdefault((row["device"], row["precision"]), []).append(row["batch"])
            threads, size = row["threads"], tuple(row["input"])
    return plans, threads, size


def synchronize(device):
    if device.startswith("cuda"):
        torch.cuda.synchronize(device)


def time_batch(module, device, dtype, batch, width, height, seconds):
    """Seconds per forward pass at `batch`, after warming up."""
    # Channels-last, as the worker feeds it: the layout this MobileNet runs fastest in
    # (about 20% faster than contiguous NCHW on the CPU), so the ratio measures the
    # worker's pipeline, not a layout choice.
    images = (torch.rand(batch, 3, height, width, device=device) * 255).to(dtype)
    images = images.contiguous(memory_format=torch.channels_last)
    with torch.inference_mode():
        # TorchScript's profiling executor optimises the graph over the first runs.
        for _ in range(5):
            module(images)
        synchronize(device)
        # On CUDA the clock is read every few passes, so that waiting for it does not
        # leave the device idle between launches.
        every = 5 if device.startswith("cuda") else 1
        runs, started = 0, time.perf_counter()
        while True:
            module(images)
            runs += 1
            if runs >= 3 and runs % every == 0:
                synchronize(device)
                if time.perf_counter() - started >= seconds:
                    break
        synchronize(device)
        return (time.perf_counter() - started) / runs


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--like", help="a worker bench log: repeat its device, precisions, batch sizes, threads, input size")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--precision", default="fp32", choices=sorted(DTYPES))
    parser.add_argument("--batch-sizes", default="1")
    parser.add_argument("--threads", type=int, help="intra-op threads on the CPU (the worker's)")
    parser.add_argument("--input-size", default="512x512", help="WIDTHxHEIGHT")
    parser.add_argument("--seconds", type=float, default=2.0, help="timed seconds per batch size")
    args = parser.parse_args()

    if args.like:
        plans, threads, size = worker_runs(args.like)
        if not plans:
            sys.exit(f"error: no worker BENCH lines in {args.like}")
        threads = args.threads or threads
    else:
        plans = {(args.device, args.precision): [int(b) for b in args.batch_sizes.split(",")]}
        threads = args.threads
        size = tuple(int(v) for v in args.input_size.split("x"))
    width, height = size

    for (device, precision), batches in plans.items():
        if device.startswith("cuda") and not torch.cuda.is_available():
            # Never quietly measure the CPU instead.
            sys.exit(f"error: {device} was asked for but this torch has no usable CUDA")
        if device == "cpu" and threads:
            torch.set_num_threads(threads)
        dtype = DTYPES[precision]
        module = torch.jit.load(args.model, map_location=device).eval()
        if dtype is torch.float16:
            module = module.half()
        elif dtype is torch.bfloat16:
            module = module.to(torch.bfloat16)
        print(f"python torch {torch.__version__} on {device}, {precision}, "
              f"intra-op threads {torch.get_num_threads()}, input {width}x{height}", flush=True)
        for batch in batches:
            per_batch = time_batch(module, device, dtype, batch, width, height, args.seconds)
            row = {
                "side": "python",
                "device": device,
                "precision": precision,
                "batch": batch,
                "images_per_s": batch / per_batch,
                "forward_ms_per_batch": per_batch * 1000,
                "threads": torch.get_num_threads(),
                "torch": torch.__version__,
            }
            print(f"  batch {batch}: {per_batch * 1000:.2f} ms per forward, "
                  f"{batch / per_batch:.1f} images/s", flush=True)
            print("BENCH " + json.dumps(row), flush=True)
        del module
        if device.startswith("cuda"):
            torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
