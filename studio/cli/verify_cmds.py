"""`shotreel verify` and `shotreel identity`: Content Credentials from the command line."""
from __future__ import annotations

import argparse
from typing import Any

from .common import add_command, emit


def register(subparsers: Any) -> None:
    p = add_command(subparsers, "verify", "Check a file's Content Credentials (C2PA): what made it and "
                    "whether it is intact", run_verify)
    p.add_argument("file")
    p.add_argument("--anchors", metavar="PEM", help="trust anchors (a PEM file or PEM text), e.g. a studio's root")
    p.add_argument("--trust-own", action="store_true", help="trust this machine's own studio root certificate")
    p = add_command(subparsers, "identity", "Show the signing identity and the root certificate to share",
                    run_identity)
    p.add_argument("--name", help="name on a newly created identity (first use only)")
    p.add_argument("--organisation", help="organisation on a newly created identity (first use only)")
    p.add_argument("--chain", metavar="PEM", help="sign with your own certificate chain (leaf first) ...")
    p.add_argument("--key", metavar="PEM", help="... and its private key (checked against the C2PA profile)")
    p.add_argument("--anchor", metavar="PEM", help="the root that issued --chain (to verify your own files)")
    p.add_argument("--tsa", metavar="URL", help="a timestamp authority to use when signing")
    p.add_argument("--use-studio", action="store_true", help="go back to the identity Shotreel made")


def run_verify(args: argparse.Namespace) -> int:
    from ..provenance import verify, verify_exit_code
    identity = None
    if args.trust_own:
        from ..identity import load_or_create_identity
        identity = load_or_create_identity()
    report = verify(args.file, anchors_pem=args.anchors, identity=identity)
    emit(args, report.to_dict(), "\n".join(report.summary_lines()))
    # Exit codes a script can branch on (README table): 0 trusted, 3 tampered, 4 no credentials,
    # 5 not a media file, 6 intact but the signer is not a trust anchor (a failure, with or without --anchors).
    return verify_exit_code(report)


def run_identity(args: argparse.Namespace) -> int:
    from ..errors import UserError
    from ..identity import configure_user_identity, load_or_create_identity, use_studio_identity
    if bool(args.chain) != bool(args.key):
        raise UserError("give both --chain and --key to sign with your own certificate")
    if args.chain:
        identity = configure_user_identity(args.chain, args.key, tsa_url=args.tsa, trust_anchor=args.anchor)
    elif args.use_studio or args.tsa:
        identity = use_studio_identity(tsa_url=args.tsa)
    else:
        identity = load_or_create_identity(name=args.name, organisation=args.organisation)
    emit(args, identity.to_dict(), "\n".join(identity.summary_lines()))
    return 0
