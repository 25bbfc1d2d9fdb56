"""Who signs Shotreel's Content Credentials.

A studio identity is made on first use: a self-made root CA -> intermediate CA -> leaf chain (EC P-256)
whose leaf meets the C2PA signing-certificate profile. Recipients who want "Trusted" instead of "Valid"
add the root certificate (`SigningIdentity.root_cert_path`) as a trust anchor. The CA private keys are
not kept: nothing needs them after the leaf is issued, and a stolen CA key could mint more leaves. The
leaf is long-lived (20 years) because without a timestamp authority C2PA judges validity at read time.

Alternatively the user brings a certificate chain + private key (PEM) and optionally a timestamp
authority URL, set in `identity.json` in the config folder (see `configure_user_identity`). Such a
chain is checked against the profile before it is accepted, with a message naming what is wrong.

Callers: `studio.provenance` (signing, verify against the studio root), `studio.cli` (`shotreel identity`),
the settings dialog in ui/.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import io
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator
from urllib.parse import urlparse

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from engine.fsio import atomic_path, atomic_write_text

from .errors import UserError

ENV_CONFIG_DIR = "SHOTREEL_CONFIG_DIR"
IDENTITY_SUBDIR = "identity"
SETTINGS_FILE = "identity.json"
ROOT_FILE = "studio-root.pem"
CHAIN_FILE = "signing-chain.pem"      # leaf then intermediate; written last, so it marks a complete identity
KEY_FILE = "signing-key.pem"
USER_ROOT_FILE = "user-root.pem"

LEAF_YEARS = 20
CA_YEARS = 30
_ANY_EKU = x509.ObjectIdentifier("2.5.29.37.0")


def shotreel_config_dir() -> Path:
    """Shotreel's per-user config folder: $SHOTREEL_CONFIG_DIR, else the platform's (platformdirs)."""
    env = os.environ.get(ENV_CONFIG_DIR)
    if env:
        return Path(env).expanduser()
    import platformdirs
    return Path(platformdirs.user_config_dir("shotreel"))


@dataclass(frozen=True)
class SigningIdentity:
    """The certificate chain and key that sign manifests. Holds the key's path, never the key itself."""

    name: str                      # leaf common name
    organisation: str | None
    leaf_subject: str              # RFC 4514
    issuer: str
    fingerprint: str               # SHA-256 of the leaf certificate, colon-separated hex
    not_after: dt.datetime
    chain_pem: str                 # leaf then intermediates (no root)
    key_path: Path
    root_cert_path: Path | None    # the trust anchor recipients add; None if a user chain came without one
    alg: str                       # es256 / es384 / es512 / ps256 / ed25519
    tsa_url: str | None
    source: str                    # "studio" (made here) or "user" (brought by the user)

    def root_pem(self) -> str | None:
        if self.root_cert_path is None:
            return None
        try:
            return self.root_cert_path.read_text("ascii")
        except OSError as exc:
            raise UserError(f"cannot read the trust anchor {self.root_cert_path}: {exc.strerror or exc}") from exc

    def signer(self):
        """A fresh c2pa Signer (a Signer is consumed by use, so make one per signing)."""
        import c2pa
        key_pem = _read_bytes(self.key_path, "signing key")
        info = c2pa.C2paSignerInfo(self.alg.encode(), self.chain_pem.encode("ascii"), key_pem,
                                   self.tsa_url.encode() if self.tsa_url else None)
        try:
            return c2pa.Signer.from_info(info)
        except c2pa.C2paError as exc:
            raise UserError(f"the signing identity cannot sign: {exc}") from exc

    def to_dict(self) -> dict:
        return {
            "name": self.name, "organisation": self.organisation, "subject": self.leaf_subject,
            "issuer": self.issuer, "fingerprint_sha256": self.fingerprint,
            "not_after": self.not_after.isoformat(), "alg": self.alg, "tsa_url": self.tsa_url,
            "source": self.source, "key_path": str(self.key_path),
            "root_certificate": str(self.root_cert_path) if self.root_cert_path else None,
        }

    def summary_lines(self) -> list[str]:
        lines = [f"Signer:       {self.name}" + (f" ({self.organisation})" if self.organisation else ""),
                 f"Subject:      {self.leaf_subject}",
                 f"Fingerprint:  {self.fingerprint}",
                 f"Valid until:  {self.not_after:%Y-%m-%d}",
                 f"Algorithm:    {self.alg}",
                 f"Timestamps:   {self.tsa_url or 'none (validity is judged when a file is read)'}",
                 f"Source:       {'made by Shotreel' if self.source == 'studio' else 'your certificate'}"]
        if self.root_cert_path:
            lines.append(f"Root certificate (give it to recipients as a trust anchor): {self.root_cert_path}")
        else:
            lines.append("No root certificate known: recipients need your CA's root to see 'Trusted'.")
        return lines


# ---------------------------------------------------------------------------------------------- loading

def load_or_create_identity(config_dir: str | os.PathLike | None = None, *, name: str | None = None,
                            organisation: str | None = None) -> SigningIdentity:
    """The identity to sign with: the user's chain if `identity.json` names one, else the studio identity,
    created on first use. `name`/`organisation` only matter when the studio identity is created."""
    base = Path(config_dir) if config_dir is not None else shotreel_config_dir()
    settings = _read_settings(base)
    tsa_url = settings.get("tsa_url")
    if settings.get("certificate_chain") or settings.get("private_key"):
        if not (settings.get("certificate_chain") and settings.get("private_key")):
            raise UserError(f"{base / SETTINGS_FILE} must name both certificate_chain and private_key")
        return load_user_identity(settings["certificate_chain"], settings["private_key"], tsa_url=tsa_url,
                                  trust_anchor=settings.get("trust_anchor"), base=base)
    folder = base / IDENTITY_SUBDIR
    with _creation_lock(folder):
        if not (folder / CHAIN_FILE).exists():
            _create_studio_identity(folder, name or _default_name(), organisation or "Shotreel")
        return _load_studio_identity(folder, tsa_url)


def load_user_identity(chain_path: str | os.PathLike, key_path: str | os.PathLike, *,
                       tsa_url: str | None = None, trust_anchor: str | os.PathLike | None = None,
                       base: Path | None = None) -> SigningIdentity:
    """Check the user's own chain + key against the C2PA profile and wrap them. Raises UserError naming
    every problem found."""
    def resolve(p):
        p = Path(p).expanduser()
        return p if p.is_absolute() or base is None else base / p

    chain_path, key_path = resolve(chain_path), resolve(key_path)
    certs = _parse_chain(_read_bytes(chain_path, "certificate chain"), chain_path)
    key = _parse_key(_read_bytes(key_path, "private key"), key_path)
    anchor_path = resolve(trust_anchor) if trust_anchor else None
    anchor = None
    if anchor_path is not None:
        anchors = _parse_chain(_read_bytes(anchor_path, "trust anchor"), anchor_path)
        anchor = anchors[0]
    if _is_self_signed(certs[-1]) and len(certs) > 1:
        anchor = anchor or certs[-1]
        certs = certs[:-1]                      # the anchor is not sent in the manifest
    tsa_url = _check_tsa_url(tsa_url)
    problems = check_certificate_profile(certs, key, anchor)
    if problems:
        raise UserError(f"{chain_path.name} cannot sign Content Credentials: " + "; ".join(problems))
    chain_pem = "".join(c.public_bytes(serialization.Encoding.PEM).decode("ascii") for c in certs)
    alg = _alg_for(key)
    _trial_sign(chain_pem, key_path, alg, anchor)
    if anchor is not None and anchor_path is None:
        # the root came inside the chain file: keep it where recipients can be pointed at it
        anchor_path = (base or shotreel_config_dir()) / IDENTITY_SUBDIR / USER_ROOT_FILE
        pem = anchor.public_bytes(serialization.Encoding.PEM).decode("ascii")
        if not anchor_path.exists() or anchor_path.read_text("ascii") != pem:
            _make_private_dir(anchor_path.parent)
            atomic_write_text(anchor_path, pem)
    return _identity(certs, key_path, anchor_path, alg, tsa_url, "user")


def configure_user_identity(chain_path: str | os.PathLike, key_path: str | os.PathLike, *,
                            tsa_url: str | None = None, trust_anchor: str | os.PathLike | None = None,
                            config_dir: str | os.PathLike | None = None) -> SigningIdentity:
    """Validate the user's chain + key and, only if they pass, record them in identity.json."""
    base = Path(config_dir) if config_dir is not None else shotreel_config_dir()
    chain_path, key_path = Path(chain_path).expanduser().resolve(), Path(key_path).expanduser().resolve()
    anchor = str(Path(trust_anchor).expanduser().resolve()) if trust_anchor else None
    identity = load_user_identity(chain_path, key_path, tsa_url=tsa_url, trust_anchor=anchor, base=base)
    settings = _read_settings(base)
    settings.update({"certificate_chain": str(chain_path), "private_key": str(key_path),
                     "trust_anchor": anchor, "tsa_url": identity.tsa_url})
    _write_settings(base, settings)
    return identity


def use_studio_identity(config_dir: str | os.PathLike | None = None, *,
                        tsa_url: str | None = None) -> SigningIdentity:
    """Forget the user's chain (the files stay where they are) and sign with the studio identity."""
    base = Path(config_dir) if config_dir is not None else shotreel_config_dir()
    settings = {k: v for k, v in _read_settings(base).items()
                if k not in ("certificate_chain", "private_key", "trust_anchor")}
    settings["tsa_url"] = _check_tsa_url(tsa_url)
    _write_settings(base, settings)
    return load_or_create_identity(base)


# ---------------------------------------------------------------------------------------------- profile

def check_certificate_profile(chain: list[x509.Certificate], key=None,
                              anchor: x509.Certificate | None = None) -> list[str]:
    """Problems (empty if none) that make C2PA refuse this chain as a signer: the leaf must be X.509 v3,
    not a CA, carry an authority key identifier, key usage digitalSignature (no keyCertSign) and the
    emailProtection extended key usage; every certificate must be issued by the next one."""
    problems: list[str] = []
    if not chain:
        return ["the chain holds no certificate"]
    leaf = chain[0]
    if leaf.version != x509.Version.v3:
        problems.append("the leaf certificate is not X.509 v3")
    bc = _ext(leaf, x509.BasicConstraints)
    if bc is not None and bc.ca:
        problems.append("the leaf certificate is a CA certificate (signing needs an end-entity certificate)")
    ku = _ext(leaf, x509.KeyUsage)
    if ku is None or not ku.digital_signature:
        problems.append("the leaf certificate lacks the digitalSignature key usage")
    elif ku.key_cert_sign:
        problems.append("the leaf certificate may sign certificates (keyCertSign), which C2PA forbids")
    eku = _ext(leaf, x509.ExtendedKeyUsage)
    if eku is None or ExtendedKeyUsageOID.EMAIL_PROTECTION not in eku:
        problems.append("the leaf certificate lacks the emailProtection extended key usage (1.3.6.1.5.5.7.3.4)")
    elif _ANY_EKU in eku:
        problems.append("the leaf certificate carries anyExtendedKeyUsage, which C2PA forbids")
    if _ext(leaf, x509.AuthorityKeyIdentifier) is None:
        problems.append("the leaf certificate has no authority key identifier")
    if _is_self_signed(leaf):
        problems.append("the leaf certificate is self-signed (C2PA needs one issued by a CA)")
    now = dt.datetime.now(dt.timezone.utc)
    for cert in chain:
        label = "the leaf certificate" if cert is leaf else f"the CA certificate {cert.subject.rfc4514_string()}"
        if cert.not_valid_after_utc < now:
            problems.append(f"{label} expired on {cert.not_valid_after_utc:%Y-%m-%d}")
        elif cert.not_valid_before_utc > now:
            problems.append(f"{label} is not valid before {cert.not_valid_before_utc:%Y-%m-%d}")
    for cert in chain[1:]:
        cbc = _ext(cert, x509.BasicConstraints)
        if cbc is None or not cbc.ca:
            problems.append(f"{cert.subject.rfc4514_string()} follows the leaf but is not a CA certificate")
    issuers = chain[1:] + ([anchor] if anchor is not None else [])
    for child, parent in zip(chain, issuers):
        if not _issued_by(child, parent):
            problems.append(f"{child.subject.rfc4514_string()} was not issued by {parent.subject.rfc4514_string()}"
                            " (order the chain leaf first, then its intermediates)")
    problems.extend(_key_problems(leaf, key))
    return problems


def _key_problems(leaf: x509.Certificate, key) -> list[str]:
    pub = leaf.public_key()
    problems = []
    if isinstance(pub, ec.EllipticCurvePublicKey):
        if pub.curve.name not in ("secp256r1", "secp384r1", "secp521r1"):
            problems.append(f"the leaf key uses curve {pub.curve.name}; C2PA needs P-256, P-384 or P-521")
    elif isinstance(pub, rsa.RSAPublicKey):
        if pub.key_size < 2048:
            problems.append(f"the leaf RSA key has {pub.key_size} bits; C2PA needs at least 2048")
    elif not isinstance(pub, ed25519.Ed25519PublicKey):
        problems.append(f"the leaf key type {type(pub).__name__} cannot sign C2PA manifests")
    if key is not None and key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) != pub.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo):
        problems.append("the private key does not belong to the leaf certificate")
    return problems


def _ext(cert: x509.Certificate, ext_type):
    try:
        return cert.extensions.get_extension_for_class(ext_type).value
    except x509.ExtensionNotFound:
        return None


def _is_self_signed(cert: x509.Certificate) -> bool:
    return cert.issuer == cert.subject and _issued_by(cert, cert)


def _issued_by(child: x509.Certificate, parent: x509.Certificate) -> bool:
    try:
        child.verify_directly_issued_by(parent)
        return True
    except (ValueError, TypeError, InvalidSignature):
        return False


def _alg_for(key) -> str:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return {"secp256r1": "es256", "secp384r1": "es384", "secp521r1": "es512"}[key.curve.name]
    if isinstance(key, rsa.RSAPrivateKey):
        return "ps256"
    return "ed25519"


def _trial_sign(chain_pem: str, key_path: Path, alg: str, anchor: x509.Certificate | None) -> None:
    """Sign a tiny image with c2pa itself and validate it: the last word on what c2pa accepts."""
    import c2pa
    from PIL import Image

    png = io.BytesIO()
    Image.new("RGB", (4, 4)).save(png, "PNG")
    png.seek(0)
    settings: dict = {"verify": {"verify_after_sign": True, "ocsp_fetch": False, "remote_manifest_fetch": False}}
    if anchor is not None:
        settings["trust"] = {"user_anchors": anchor.public_bytes(serialization.Encoding.PEM).decode("ascii")}
    manifest = {"claim_generator_info": [{"name": "Shotreel"}], "title": "identity check", "assertions": [
        {"label": "c2pa.actions.v2", "data": {"actions": [{
            "action": "c2pa.created",
            "digitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCreation"}]}}]}
    try:
        signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(alg.encode(), chain_pem.encode("ascii"),
                                                           _read_bytes(key_path, "private key"), None))
        builder = c2pa.Builder(manifest, c2pa.Context.from_dict(settings))
        builder.sign(signer, "image/png", png, io.BytesIO())
    except c2pa.C2paError as exc:
        raise UserError(f"the C2PA library refuses this certificate chain: {c2pa_message(exc)}") from exc


def c2pa_message(exc: Exception) -> str:
    """One line from a c2pa error, which comes as several lines with JUMBF URLs in parentheses."""
    parts = []
    for line in str(exc).splitlines():
        line = re.sub(r"\s*\(self#jumbf=[^)]*\)", "", line).strip()
        if line and not line.endswith("failures:"):
            parts.append(line)
    return "; ".join(parts) or type(exc).__name__


# ---------------------------------------------------------------------------------------------- studio identity

def _default_name() -> str:
    try:
        user = getpass.getuser()
    except Exception:  # no login name in some containers
        user = "user"
    return f"Shotreel studio ({user})"


def _create_studio_identity(folder: Path, name: str, organisation: str) -> None:
    _make_private_dir(folder)
    start = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)   # tolerate clock skew of the reader
    root_key = ec.generate_private_key(ec.SECP256R1())
    inter_key = ec.generate_private_key(ec.SECP256R1())
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    root_name = _name(f"{name} root CA", organisation)
    inter_name = _name(f"{name} signing CA", organisation)
    root = _issue(root_name, root_key.public_key(), root_name, root_key, start, CA_YEARS, ca_path_len=1)
    inter = _issue(inter_name, inter_key.public_key(), root_name, root_key, start, CA_YEARS, ca_path_len=0)
    leaf = _issue(_name(name, organisation), leaf_key.public_key(), inter_name, inter_key, start, LEAF_YEARS)
    key_pem = leaf_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption())
    _write_private(folder / KEY_FILE, key_pem)
    atomic_write_text(folder / ROOT_FILE, root.public_bytes(serialization.Encoding.PEM).decode("ascii"))
    chain = leaf.public_bytes(serialization.Encoding.PEM) + inter.public_bytes(serialization.Encoding.PEM)
    atomic_write_text(folder / CHAIN_FILE, chain.decode("ascii"))


def _name(common_name: str, organisation: str | None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organisation:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
    return x509.Name(attrs)


def _issue(subject: x509.Name, public_key, issuer: x509.Name, issuer_key, start: dt.datetime, years: int,
           ca_path_len: int | None = None) -> x509.Certificate:
    is_ca = ca_path_len is not None
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
               .serial_number(x509.random_serial_number()).not_valid_before(start)
               .not_valid_after(start + dt.timedelta(days=365 * years))
               .add_extension(x509.BasicConstraints(ca=is_ca, path_length=ca_path_len), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                              critical=False))
    if is_ca:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False),
            critical=True)
    else:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False),
            critical=True)
        builder = builder.add_extension(x509.ExtendedKeyUsage(
            [ExtendedKeyUsageOID.EMAIL_PROTECTION, x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")]),  # + documentSigning
            critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _load_studio_identity(folder: Path, tsa_url: str | None) -> SigningIdentity:
    key_path = folder / KEY_FILE
    chain_path = folder / CHAIN_FILE
    if not key_path.exists():
        raise UserError(f"the signing key {key_path} is missing while its certificate is there; restore it "
                        f"from a backup, or delete {chain_path} to make a new identity (recipients must then "
                        "trust the new root)")
    _check_private_mode(key_path)
    certs = _parse_chain(_read_bytes(chain_path, "certificate chain"), chain_path)
    key = _parse_key(_read_bytes(key_path, "signing key"), key_path)
    problems = _key_problems(certs[0], key)
    if problems:
        raise UserError(f"the studio identity in {folder} is damaged: " + "; ".join(problems))
    return _identity(certs, key_path, folder / ROOT_FILE, _alg_for(key), _check_tsa_url(tsa_url), "studio")


def _identity(certs: list[x509.Certificate], key_path: Path, root_path: Path | None, alg: str,
              tsa_url: str | None, source: str) -> SigningIdentity:
    leaf = certs[0]
    cn = leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    org = leaf.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    digest = leaf.fingerprint(hashes.SHA256()).hex().upper()
    return SigningIdentity(
        name=str(cn[0].value) if cn else leaf.subject.rfc4514_string(),
        organisation=str(org[0].value) if org else None,
        leaf_subject=leaf.subject.rfc4514_string(), issuer=leaf.issuer.rfc4514_string(),
        fingerprint=":".join(digest[i:i + 2] for i in range(0, len(digest), 2)),
        not_after=leaf.not_valid_after_utc,
        chain_pem="".join(c.public_bytes(serialization.Encoding.PEM).decode("ascii") for c in certs),
        key_path=key_path, root_cert_path=root_path, alg=alg, tsa_url=tsa_url, source=source)


# ---------------------------------------------------------------------------------------------- files

def _read_bytes(path: Path, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise UserError(f"the {what} {path} does not exist") from None
    except OSError as exc:
        raise UserError(f"cannot read the {what} {path}: {exc.strerror or exc}") from exc


def _parse_chain(data: bytes, path: Path) -> list[x509.Certificate]:
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise UserError(f"{path} is not a PEM certificate chain ({exc})") from exc
    if not certs:
        raise UserError(f"{path} holds no certificate")
    return certs


def _parse_key(data: bytes, path: Path):
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise UserError(f"the private key {path} is encrypted; give an unencrypted PEM key "
                        "(kept with owner-only permissions)") from None
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise UserError(f"{path} is not a PEM private key ({exc})") from exc
    if not isinstance(key, (ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey, ed25519.Ed25519PrivateKey)):
        raise UserError(f"the private key {path} is a {type(key).__name__}; C2PA signs with EC, RSA or Ed25519")
    return key


def _check_tsa_url(url: str | None) -> str | None:
    if not url:
        return None
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise UserError(f"the timestamp authority URL {url!r} is not an http(s) URL")
    return url


def _make_private_dir(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(OSError):   # not the owner, or a filesystem without modes
        os.chmod(folder, 0o700)


def _write_private(target: Path, data: bytes) -> None:
    """Atomic write of a secret: the temporary file is created 0600, so the key is never readable by others."""
    with atomic_path(target) as tmp:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)


def _check_private_mode(path: Path) -> None:
    if os.name != "posix":
        return
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise UserError(f"the signing key {path} is readable by other users (mode {mode:o}); "
                        f"run `chmod 600 {path}`")


def _read_settings(base: Path) -> dict:
    path = base / SETTINGS_FILE
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise UserError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise UserError(f"{path} must hold a JSON object")
    unknown = set(data) - {"certificate_chain", "private_key", "trust_anchor", "tsa_url"}
    if unknown:
        raise UserError(f"{path} has unknown keys: {', '.join(sorted(unknown))}")
    return data


def _write_settings(base: Path, settings: dict) -> None:
    base.mkdir(parents=True, exist_ok=True)
    clean = {k: v for k, v in settings.items() if v is not None}
    atomic_write_text(base / SETTINGS_FILE, json.dumps(clean, indent=2) + "\n")


@contextlib.contextmanager
def _creation_lock(folder: Path) -> Iterator[None]:
    """Two processes starting at once must not make two identities with crossed keys."""
    _make_private_dir(folder)
    try:
        import fcntl
    except ImportError:  # Windows: creation races are left to chance there
        yield
        return
    with open(folder / ".lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
