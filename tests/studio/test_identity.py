"""Signing identity: made once, kept private, meets the C2PA certificate profile; user chains are checked."""
from __future__ import annotations

import datetime as dt
import json
import os
import stat
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from engine.fsio import ffmpeg_path
from studio.errors import UserError
from studio.identity import (
    CHAIN_FILE, IDENTITY_SUBDIR, KEY_FILE, ROOT_FILE, SETTINGS_FILE, check_certificate_profile,
    configure_user_identity, load_or_create_identity, load_user_identity, shotreel_config_dir, use_studio_identity,
)


@pytest.fixture
def cfg(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "config"
    monkeypatch.setenv("SHOTREEL_CONFIG_DIR", str(folder))
    return folder


def _certs(identity) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(identity.chain_pem.encode())


def _ext(cert, cls):
    return cert.extensions.get_extension_for_class(cls).value


# ---------------------------------------------------------------------------------------------- studio identity

def test_config_dir_follows_env(cfg):
    assert shotreel_config_dir() == cfg


def test_identity_created_once_and_reused(cfg):
    first = load_or_create_identity()
    folder = cfg / IDENTITY_SUBDIR
    mtimes = {name: (folder / name).stat().st_mtime_ns for name in (CHAIN_FILE, KEY_FILE, ROOT_FILE)}
    second = load_or_create_identity()
    assert second.fingerprint == first.fingerprint
    assert second.chain_pem == first.chain_pem
    assert {name: (folder / name).stat().st_mtime_ns for name in mtimes} == mtimes
    assert first.source == "studio" and first.alg == "es256"
    assert first.root_cert_path == folder / ROOT_FILE and first.root_cert_path.is_file()
    assert not list(folder.glob("*.partial-*"))


def test_private_key_is_owner_only(cfg):
    identity = load_or_create_identity()
    assert stat.S_IMODE(identity.key_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(identity.key_path.parent.stat().st_mode) == 0o700
    # only the leaf key is kept: the CA keys are not written anywhere
    pems = [p.read_text() for p in identity.key_path.parent.iterdir() if p.is_file()]
    assert sum("PRIVATE KEY" in text for text in pems) == 1


def test_studio_chain_meets_c2pa_profile(cfg):
    identity = load_or_create_identity(name="Ada Studio", organisation="Ada Films")
    leaf, inter = _certs(identity)
    root = x509.load_pem_x509_certificate(identity.root_cert_path.read_bytes())
    assert leaf.version == x509.Version.v3
    assert _ext(leaf, x509.BasicConstraints).ca is False
    ku = _ext(leaf, x509.KeyUsage)
    assert ku.digital_signature and not ku.key_cert_sign and not ku.crl_sign and not ku.key_encipherment
    assert ExtendedKeyUsageOID.EMAIL_PROTECTION in _ext(leaf, x509.ExtendedKeyUsage)
    assert _ext(leaf, x509.AuthorityKeyIdentifier).key_identifier == _ext(inter, x509.SubjectKeyIdentifier).digest
    assert _ext(inter, x509.BasicConstraints).ca and _ext(root, x509.BasicConstraints).ca
    leaf.verify_directly_issued_by(inter)
    inter.verify_directly_issued_by(root)
    assert leaf.not_valid_after_utc - dt.datetime.now(dt.timezone.utc) > dt.timedelta(days=365 * 15)
    assert isinstance(leaf.public_key(), ec.EllipticCurvePublicKey) and leaf.public_key().curve.name == "secp256r1"
    assert check_certificate_profile([leaf, inter], None, root) == []
    assert identity.name == "Ada Studio" and identity.organisation == "Ada Films"
    assert identity.fingerprint.replace(":", "").lower() == leaf.fingerprint(hashes.SHA256()).hex()
    summary = "\n".join(identity.summary_lines())
    assert str(identity.root_cert_path) in summary and identity.fingerprint in summary
    assert json.loads(json.dumps(identity.to_dict()))["root_certificate"] == str(identity.root_cert_path)


def test_group_readable_key_is_refused(cfg):
    identity = load_or_create_identity()
    os.chmod(identity.key_path, 0o644)
    with pytest.raises(UserError, match="chmod 600"):
        load_or_create_identity()


def test_missing_key_is_not_silently_replaced(cfg):
    identity = load_or_create_identity()
    identity.key_path.unlink()
    with pytest.raises(UserError, match="signing key .* is missing"):
        load_or_create_identity()
    assert not identity.key_path.exists()   # no new key was made behind the user's back


# ---------------------------------------------------------------------------------------------- user chains

def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "T")])


def _issue(subject, key, issuer_name, issuer_key, *, ca, eku=(ExtendedKeyUsageOID.EMAIL_PROTECTION,), aki=True,
           key_cert_sign=False):
    now = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)
    b = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(issuer_name).public_key(key.public_key())
         .serial_number(x509.random_serial_number()).not_valid_before(now)
         .not_valid_after(now + dt.timedelta(days=3650))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
         .add_extension(x509.KeyUsage(True, False, False, False, False, ca or key_cert_sign, ca, False, False),
                        critical=True))
    if aki:
        b = b.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                            critical=False)
    if eku and not ca:
        b = b.add_extension(x509.ExtendedKeyUsage(list(eku)), critical=False)
    return b.sign(issuer_key, hashes.SHA256())


def _pem(*certs) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def _user_chain(folder: Path, **leaf_options) -> tuple[Path, Path, Path]:
    """root -> intermediate -> leaf written as chain.pem (leaf, intermediate), key.pem, root.pem."""
    folder.mkdir(parents=True, exist_ok=True)
    rk, ik, lk = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    root = _issue("User Root", rk, _name("User Root"), rk, ca=True)
    inter = _issue("User CA", ik, root.subject, rk, ca=True)
    leaf = _issue("User Signer", lk, inter.subject, ik, ca=leaf_options.pop("ca", False), **leaf_options)
    (folder / "chain.pem").write_bytes(_pem(leaf, inter))
    (folder / "root.pem").write_bytes(_pem(root))
    (folder / "key.pem").write_bytes(lk.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                      serialization.NoEncryption()))
    os.chmod(folder / "key.pem", 0o600)
    return folder / "chain.pem", folder / "key.pem", folder / "root.pem"


@pytest.mark.parametrize("options, message", [
    ({"eku": (ExtendedKeyUsageOID.SERVER_AUTH,)}, "emailProtection"),
    ({"eku": (x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36"),)}, "emailProtection"),   # documentSigning alone
    ({"eku": ()}, "emailProtection"),
    ({"ca": True}, "is a CA certificate"),
    ({"aki": False}, "authority key identifier"),
    ({"key_cert_sign": True}, "keyCertSign"),
])
def test_user_chain_violating_profile_is_refused(cfg, tmp_path, options, message):
    chain, key, root = _user_chain(tmp_path / "mine", **options)
    with pytest.raises(UserError, match=message) as info:
        configure_user_identity(chain, key, trust_anchor=root)
    assert "cannot sign Content Credentials" in str(info.value)
    assert not (cfg / SETTINGS_FILE).exists()      # nothing recorded


def test_user_key_must_match_leaf(cfg, tmp_path):
    chain, _, root = _user_chain(tmp_path / "a")
    _, other_key, _ = _user_chain(tmp_path / "b")
    with pytest.raises(UserError, match="does not belong to the leaf"):
        load_user_identity(chain, other_key, trust_anchor=root)


def test_chain_in_wrong_order_is_refused(cfg, tmp_path):
    chain, key, root = _user_chain(tmp_path / "a")
    certs = x509.load_pem_x509_certificates(chain.read_bytes())
    chain.write_bytes(_pem(*reversed(certs)))
    with pytest.raises(UserError, match="is a CA certificate|not issued by"):
        load_user_identity(chain, key, trust_anchor=root)


def test_junk_files_get_clear_errors(cfg, tmp_path):
    chain, key, root = _user_chain(tmp_path / "a")
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate")
    with pytest.raises(UserError, match="holds no certificate|not a PEM certificate"):
        load_user_identity(junk, key)
    with pytest.raises(UserError, match="not a PEM private key"):
        load_user_identity(chain, junk)
    with pytest.raises(UserError, match="does not exist"):
        load_user_identity(tmp_path / "nope.pem", key)
    with pytest.raises(UserError, match="not an http"):
        load_user_identity(chain, key, trust_anchor=root, tsa_url="ftp://tsa.example")


def test_encrypted_user_key_is_refused(cfg, tmp_path):
    chain, key, root = _user_chain(tmp_path / "a")
    k = serialization.load_pem_private_key(key.read_bytes(), None)
    key.write_bytes(k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.BestAvailableEncryption(b"pw")))
    with pytest.raises(UserError, match="encrypted"):
        load_user_identity(chain, key, trust_anchor=root)


def _tiny_mp4(path: Path) -> Path:
    subprocess.run([ffmpeg_path(), "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=64x36:rate=12:duration=0.5",
                    "-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(path)], check=True)
    return path


def test_good_user_chain_is_recorded_and_signs_trusted(cfg, tmp_path):
    from studio.provenance import sign_take, verify

    chain, key, root = _user_chain(tmp_path / "mine")
    identity = configure_user_identity(chain, key, trust_anchor=root, tsa_url="http://timestamp.example/tsa")
    settings = json.loads((cfg / SETTINGS_FILE).read_text())
    assert settings["certificate_chain"] == str(chain.resolve()) and settings["tsa_url"].startswith("http://")
    loaded = load_or_create_identity()
    assert loaded.source == "user" and loaded.fingerprint == identity.fingerprint
    assert loaded.root_cert_path == root.resolve() and loaded.tsa_url == "http://timestamp.example/tsa"

    # sign without the (unreachable) TSA: the test machine is offline
    offline = use_studio_identity()
    assert offline.source == "studio"
    configure_user_identity(chain, key, trust_anchor=root)
    user = load_or_create_identity()
    assert user.source == "user" and user.tsa_url is None
    clip = _tiny_mp4(tmp_path / "clip.mp4")
    sign_take(user, clip, backend="previs", model_id=None, model_version=None, renderer="previs", prompt="a street",
              seed=1, parameters={}, is_ai_generated=False)
    assert verify(clip, anchors_pem=root.read_text()).state == "Trusted"
    assert verify(clip).state == "Valid"


def test_root_inside_user_chain_becomes_the_anchor(cfg, tmp_path):
    chain, key, root = _user_chain(tmp_path / "mine")
    chain.write_bytes(chain.read_bytes() + root.read_bytes())
    identity = load_user_identity(chain, key, base=cfg)
    assert identity.root_pem().strip() == root.read_text().strip()
    assert len(x509.load_pem_x509_certificates(identity.chain_pem.encode())) == 2   # root not sent in manifests


def test_tsa_url_setting_applies_to_studio_identity(cfg):
    identity = use_studio_identity(tsa_url="https://tsa.example/rfc3161")
    assert identity.source == "studio" and identity.tsa_url == "https://tsa.example/rfc3161"
    assert json.loads((cfg / SETTINGS_FILE).read_text()) == {"tsa_url": "https://tsa.example/rfc3161"}
    assert load_or_create_identity().tsa_url == "https://tsa.example/rfc3161"
    (cfg / SETTINGS_FILE).write_text('{"tsa": 1}')
    with pytest.raises(UserError, match="unknown keys: tsa"):
        load_or_create_identity()
