#!/usr/bin/env python3
"""mkpkgfs end to end: keygen, pubheader, build, list, verify and their exit codes
(0 ok, 1 invalid image or input, 2 usage or I/O)."""
import hashlib
import os
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../qemu"))
import pkgfs_boots  # noqa: E402  (its Ed25519 signer, to re-sign a patched image)

MK = sys.argv[1]
BIN2C = sys.argv[2] if len(sys.argv) > 2 else None
failures = []


def run(*args):
    """Run mkpkgfs; return (exit code, stdout, stderr)."""
    p = subprocess.run([MK, *args], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def expect(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def make_tree(root):
    os.makedirs(os.path.join(root, "bin"))
    os.makedirs(os.path.join(root, "etc/empty"))
    with open(os.path.join(root, "bin/hello"), "wb") as f:
        f.write(bytes(range(256)) * 40)
    os.chmod(os.path.join(root, "bin/hello"), 0o755)
    with open(os.path.join(root, "etc/motd"), "w") as f:
        f.write("hello from pkg:/\n")


def expect_release(src, key, pub, d):
    """--release N lands in the signed header; bad numbers are usage errors."""
    img = os.path.join(d, "rel.img")
    top = str(2**64 - 1)
    for rel in ("7", top):
        rc, _, err = run("build", src, img, "--key", key, "--release", rel)
        expect(rc == 0, "build --release " + rel + ": " + err)
        rc, out, _ = run("list", img, "--pub", pub)
        expect(rc == 0 and "# release " + rel + "\n" in out, "list shows release " + rel)
        rc, out, _ = run("verify", img, "--pub", pub)
        expect(rc == 0 and out.startswith("ok: release " + rel + ","), "verify release: " + out)
        data = open(img, "rb").read()
        expect(int.from_bytes(data[72:80], "little") == int(rel), "release at header offset 72")
        expect(int.from_bytes(data[8:12], "little") == 3, "format version 3")
    # The release is hashed and signed: changing it without re-signing is refused.
    data = bytearray(open(img, "rb").read())
    data[72] ^= 1
    with open(img, "wb") as f:
        f.write(data)
    rc, _, err = run("verify", img, "--pub", pub)
    expect(rc == 1 and "root hash mismatch" in err, "edited release refused: " + err)
    for bad in ("", "-1", "+3", "1x", " 5", str(2**64), "99999999999999999999999"):
        rc, _, err = run("build", src, img, "--key", key, "--release", bad)
        expect(rc == 2, "--release '%s' refused as usage (rc %d)" % (bad, rc))
    rc, _, _ = run("build", src, img, "--key", key, "--release")
    expect(rc == 2, "--release without a value is usage")


def main():
    with tempfile.TemporaryDirectory(prefix="mkpkgfs_test_") as d:
        key, pub, hdr = (os.path.join(d, n) for n in ("k.key", "k.pub", "k.h"))
        rc, _, _ = run("keygen", key, pub, "--c-header", hdr)
        expect(rc == 0, "keygen exit 0")
        expect(stat.S_IMODE(os.stat(key).st_mode) == 0o600, "secret key mode 0600")
        expect(os.path.getsize(pub) == 32 and os.path.getsize(key) == 32, "key sizes")
        expect("static const uint8_t pkgfs_signing_pubkey[32]" in open(hdr).read(), "c header")
        rc, _, _ = run("keygen", key, pub)
        expect(rc == 2, "keygen refuses to overwrite without --force")
        rc, _, _ = run("pubheader", pub, hdr, "--name", "my_key")
        expect(rc == 0 and "my_key[32]" in open(hdr).read(), "pubheader --name")

        src, img, img2 = os.path.join(d, "src"), os.path.join(d, "a.img"), os.path.join(d, "b.img")
        make_tree(src)
        expect(run("build", src, img, "--key", key)[0] == 0, "build exit 0")
        expect(run("build", src, img2, "--key", key)[0] == 0, "second build")
        expect(open(img, "rb").read() == open(img2, "rb").read(), "builds are byte-identical")
        rc, out, _ = run("list", img, "--pub", pub)
        expect(rc == 0 and "/bin/hello" in out and "/etc/empty" in out, "list")
        expect("f 0755        10240" in out, "list shows mode and size: " + out)
        rc, out, _ = run("verify", img, "--pub", pub)
        expect(rc == 0 and out.startswith("ok: release 0, 2 files, 3 directories"),
               "verify ok: " + out)
        expect_release(src, key, pub, d)

        # issue 13 finding 11: unknown options, missing values, repeated options and
        # wrong argument counts are usage errors (exit 2), never silently ignored
        img3 = os.path.join(d, "c.img")
        bad = [
            ("build", src, img3, "--key", key, "--bogus"),
            ("build", src, img3, "--key"),
            ("build", src, img3),
            ("build", src, img3, "--key", key, "--key", key),
            ("build", src, "--key", key),
            ("build", src, img3, "extra", "--key", key),
            ("list", img, "--wat"),
            ("list", img, "--pub"),
            ("list", img, img),
            ("verify", img),
            ("verify", img, "--pub", pub, "-x"),
            ("keygen", key + "2", pub + "2", "--forc"),
            ("keygen", key + "2", pub + "2", "--c-header"),
            ("keygen", key + "2"),
            ("pubheader", pub, hdr, "--nam", "x"),
            ("pubheader", pub, hdr, "--name"),
            ("pubheader", pub),
            ("frobnicate", img),
        ]
        for args in bad:
            rc, _, err = run(*args)
            expect(rc == 2 and "usage" in err, f"mkpkgfs {' '.join(args[:1] + args[3:])}: rc {rc} {err[:80]!r}")
        expect(not os.path.exists(img3), "a refused build wrote no image")
        expect(not os.path.exists(key + "2"), "a refused keygen wrote no key")
        if BIN2C:
            for args in ([img, os.path.join(d, "x.c"), "sym", "--x"], [img, os.path.join(d, "x.c")],
                         ["--help", os.path.join(d, "x.c"), "sym"]):
                p = subprocess.run([sys.executable, BIN2C, *args], capture_output=True, text=True)
                expect(p.returncode == 2, f"pkgfs_bin2c {args[-1]}: rc {p.returncode}")
            p = subprocess.run([sys.executable, BIN2C, img, os.path.join(d, "x.c"), "sym"],
                               capture_output=True, text=True)
            expect(p.returncode == 0, "pkgfs_bin2c ok")

        # --test-seed: the pair of a given seed (RFC 8032 section 7.1, test 1), the
        # same in every build; malformed seeds are refused and write nothing
        tkey, tpub = os.path.join(d, "t.key"), os.path.join(d, "t.pub")
        seed = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
        rc, _, _ = run("keygen", tkey, tpub, "--test-seed", seed)
        expect(rc == 0 and open(tkey, "rb").read().hex() == seed, "keygen --test-seed key")
        expect(open(tpub, "rb").read().hex() ==
               "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
               "keygen --test-seed derives RFC 8032's public key")
        for bad_seed in (seed[:-1], seed + "0", seed[:-1] + "g", ""):
            rc, _, err = run("keygen", tkey + "x", tpub + "x", "--test-seed", bad_seed)
            expect(rc == 2 and "hex digits" in err, f"--test-seed {bad_seed!r} refused: {err!r}")
        expect(not os.path.exists(tkey + "x"), "a refused --test-seed wrote no key")

        key2, pub2 = os.path.join(d, "o.key"), os.path.join(d, "o.pub")
        run("keygen", key2, pub2)
        rc, _, err = run("verify", img, "--pub", pub2)
        expect(rc == 1 and "signature invalid" in err, "wrong key refused: " + err)

        data = bytearray(open(img, "rb").read())
        data[4096] ^= 1  # first byte of the first file's data
        with open(img2, "wb") as f:
            f.write(data)
        rc, _, err = run("verify", img2, "--pub", pub)
        expect(rc == 1 and "/bin/hello" in err, "corrupt data detected: " + err)

        # A recorded content hash that disagrees with tree-verified data (a signing-
        # side bug): re-signed with the key by the QEMU driver's RFC 8032 signer.
        data = bytearray(open(img, "rb").read())
        count = int.from_bytes(data[24:28], "little")
        meta_size = int.from_bytes(data[40:48], "little")
        for i in range(count):
            off = 256 + 64 * i
            mode = int.from_bytes(data[off + 12:off + 16], "little")
            size = int.from_bytes(data[off + 16:off + 24], "little")
            if mode & 0o170000 == 0o100000 and size:
                data[off + 32] ^= 1  # the node's recorded SHA-256
                break
        root = hashlib.sha256(bytes(data[:128]) + bytes(data[256:256 + meta_size])).digest()
        sig, _ = pkgfs_boots.ed_sign(open(key, "rb").read(), root)
        data[128:160] = root
        data[160:224] = sig
        with open(img2, "wb") as f:
            f.write(data)
        rc, _, err = run("verify", img2, "--pub", pub)
        expect(rc == 1 and "does not match its recorded SHA-256" in err,
               "recorded hash checked against the read content: " + err)

        os.symlink("motd", os.path.join(src, "etc/link"))
        rc, _, err = run("build", src, img2, "--key", key)
        expect(rc == 1 and "etc/link" in err and "symlink" in err, "symlink refused: " + err)

        expect(run()[0] == 2, "no args is usage")
        expect(run("build", src, img2)[0] == 2, "build without --key is usage")
        expect(run("verify", os.path.join(d, "missing.img"), "--pub", pub)[0] == 2, "missing image")
        with open(img2, "wb") as f:
            f.write(b"\0" * 4096)
        rc, _, err = run("verify", img2, "--pub", pub)
        expect(rc == 1 and "bad magic" in err, "zero image refused: " + err)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
