"""CPU cost of the load generator and of the service, sampled from outside both processes.

On a 2-core machine Locust competes with the service it measures, so every summary says
what each side burnt: CPU seconds (user + system, children included) and the average and
peak share of one core. psutil comes with Locust.
"""

import threading
import time
from dataclasses import dataclass, field
from itertools import pairwise

import psutil


def cpu_seconds(process: psutil.Process) -> float:
    """User + system time of `process`, its reaped children and its live descendants."""
    total = 0.0
    with process.oneshot():
        times = process.cpu_times()
        total += times.user + times.system + times.children_user + times.children_system
        children = process.children(recursive=True)
    for child in children:
        try:
            times = child.cpu_times()
            total += times.user + times.system
        except psutil.Error:
            pass
    return total


def machine_cpu_seconds() -> float:
    """Busy CPU seconds of the whole machine, summed over cores (shows other load too)."""
    times = psutil.cpu_times()
    return (
        times.user
        + times.nice
        + times.system
        + getattr(times, "irq", 0.0)
        + getattr(times, "softirq", 0.0)
    )


@dataclass
class CpuSampler:
    """Background thread sampling `cpu_seconds` of named processes every `interval` s."""

    interval: float = 1.0
    samples: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    _processes: dict[str, psutil.Process | None] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def watch(self, name: str, pid: int | None) -> None:
        """Sample process `pid`; `None` samples the whole machine (all cores, all processes)."""
        with self._lock:
            self._processes[name] = psutil.Process(pid) if pid else None
            self.samples[name] = []
        self._sample_one(name)

    def __enter__(self) -> "CpuSampler":
        self._thread = threading.Thread(target=self._run, name="cpu-sampler", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def sample(self) -> None:
        with self._lock:
            names = list(self._processes)
        for name in names:
            self._sample_one(name)

    def _sample_one(self, name: str) -> None:
        process = self._processes[name]
        try:
            value = cpu_seconds(process) if process else machine_cpu_seconds()
        except psutil.Error:
            return  # exited: its last sample stands
        with self._lock:
            self.samples[name].append((time.time(), value))

    def usage(self, name: str, start: float | None = None, end: float | None = None) -> dict:
        """CPU seconds and % of one core between `start` and `end` (epoch seconds)."""
        points = [
            p
            for p in self.samples.get(name, [])
            if (start is None or p[0] >= start) and (end is None or p[0] <= end)
        ]
        if len(points) < 2:
            return {"cpu_seconds": None, "avg_percent_of_one_core": None, "peak_percent": None}
        (t0, c0), (t1, c1) = points[0], points[-1]
        rates = [(b[1] - a[1]) / (b[0] - a[0]) * 100 for a, b in pairwise(points) if b[0] > a[0]]
        return {
            "cpu_seconds": round(c1 - c0, 2),
            "wall_seconds": round(t1 - t0, 1),
            "avg_percent_of_one_core": round((c1 - c0) / (t1 - t0) * 100, 1),
            "peak_percent": round(max(rates), 1),
        }
