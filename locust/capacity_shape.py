"""Stepped load for the `capacity` scenario (loaded next to locustfile.py with `-f a,b`).

Kept out of locustfile.py on purpose: Locust uses any LoadTestShape it finds, which would
override `-u/-r` for the light and heavy scenarios. Each step holds a fixed number of users
(with `--no-wait`, so they are closed-loop clients) for `--step-seconds`; the runner reads
the last 10 s of each step from the history CSV to find the highest request rate whose
p99 stays under the target.
"""

from locust import LoadTestShape, events


@events.init_command_line_parser.add_listener
def _add_arguments(parser) -> None:
    parser.add_argument("--capacity-steps", default="10,20,40,80,160", help="users per step")
    parser.add_argument("--step-seconds", type=float, default=20.0, help="duration of a step")


class SteppedUsers(LoadTestShape):
    """10 -> 20 -> 40 -> 80 -> 160 users by default; all of a step's users start at once."""

    def tick(self):
        options = self.runner.environment.parsed_options
        steps = [int(n) for n in options.capacity_steps.split(",") if n.strip()]
        index = int(self.get_run_time() // options.step_seconds)
        if index >= len(steps):
            return None
        return steps[index], float(max(steps[index], 1))
