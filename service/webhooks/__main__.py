"""Standard Webhooks CLI: ``python -m service.webhooks {sign,verify,gen-secret}``.

Bodies are read as raw bytes and never re-serialised, because the signature covers exact bytes.
Prefer the WEBHOOK_SECRET environment variable over --secret (argv is visible to other users).
"""

import argparse
import os
import shlex
import sys

from service.webhooks.signature import (
    WebhookSecretError,
    WebhookVerificationError,
    generate_secret,
    parse_secrets,
    sign_headers,
    verify,
)

EXIT_INVALID = 1
EXIT_USAGE = 2


class _CliError(Exception):
    """A usage/configuration problem: reported on stderr with exit code 2."""


def _secrets(args: argparse.Namespace) -> list[bytes]:
    value = args.secret if args.secret is not None else os.environ.get("WEBHOOK_SECRET")
    if not value:
        raise _CliError("no secret: pass --secret or set WEBHOOK_SECRET")
    return parse_secrets(value)


def _read_body(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise _CliError(f"cannot read {path}: {exc.strerror}") from None


def _curl(url: str, headers: dict[str, str], path: str, body: bytes) -> str:
    parts = ["curl", "-sS", "-X", "POST", shlex.quote(url)]
    for name, value in {"content-type": "application/json", **headers}.items():
        parts += ["-H", shlex.quote(f"{name}: {value}")]
    if path != "-":
        parts += ["--data-binary", shlex.quote("@" + path)]
    else:
        # --data-raw sends the literal text (no '@file' interpretation); a shell argument
        # cannot carry NUL bytes or arbitrary binary, so those need --file instead.
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is None or "\0" in text:
            raise _CliError("stdin body is not plain UTF-8 text; use --file for --curl")
        parts += ["--data-raw", shlex.quote(text)]
    return " ".join(parts)


def _cmd_sign(args: argparse.Namespace) -> int:
    key = _secrets(args)[0]  # sign with the current (first) secret only
    body = _read_body(args.file)
    headers = sign_headers(key, body, msg_id=args.id, timestamp=args.timestamp)
    if args.curl:
        print(_curl(args.curl, headers, args.file, body))
    else:
        for name, value in headers.items():
            print(f"{name}: {value}")
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    keys = _secrets(args)
    body = _read_body(args.file)
    headers = {
        "webhook-id": args.id,
        "webhook-timestamp": args.timestamp,
        "webhook-signature": args.signature,
    }
    try:
        verify(keys, headers, body, tolerance=args.tolerance)
    except WebhookVerificationError as exc:
        print(exc.code)
        print(f"reason: {exc.reason}", file=sys.stderr)
        return EXIT_INVALID
    print("valid")
    return 0


def _cmd_gen_secret(args: argparse.Namespace) -> int:
    print(generate_secret())
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m service.webhooks", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    def common(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--secret", help="secret(s), comma-separated; default $WEBHOOK_SECRET")
        sub.add_argument("--file", required=True, help="body file, or - for stdin")

    sign_cmd = commands.add_parser("sign", help="print Standard Webhooks headers for a body")
    common(sign_cmd)
    sign_cmd.add_argument("--id", help="webhook-id (default: random msg_...)")
    sign_cmd.add_argument("--timestamp", type=int, help="unix seconds (default: now)")
    sign_cmd.add_argument("--curl", metavar="URL", help="print a curl command posting to URL")
    sign_cmd.set_defaults(func=_cmd_sign)

    verify_cmd = commands.add_parser("verify", help="check a signature; exit 0 if valid")
    common(verify_cmd)
    verify_cmd.add_argument("--id", required=True)
    verify_cmd.add_argument("--timestamp", required=True)
    verify_cmd.add_argument("--signature", required=True)
    verify_cmd.add_argument("--tolerance", type=int, default=300, help="seconds (default 300)")
    verify_cmd.set_defaults(func=_cmd_verify)

    gen_cmd = commands.add_parser("gen-secret", help="print a new random whsec_ secret")
    gen_cmd.set_defaults(func=_cmd_gen_secret)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.func(args)
    except (WebhookSecretError, _CliError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
