#!/usr/bin/env python3
"""packagefs boot proofs. Builds a package tree and signs it at test time with
`mkpkgfs build` and the build-time key (the kernel holds its public half), then
boots the image with it attached read-only as the disk with serial `pkgfs`:

  disk        legacy transport, 512-byte blocks: mounted with the right counts,
              the known files read back (SELFTEST: pkgfs virtio ro ok)
  disk4096    the same on the modern transport with 4096-byte blocks
  data        a byte of /data/victim's first page altered (file data is not
              under the root hash but under the signed hash tree): the mount
              succeeds, reading that page is CAIRN_EIO plus an integrity audit
              record naming the page, the file's third page and the other files
              still read
  tree        a byte of the hash tree's second level-0 page altered (the page
              holding the digests of /data/victim, /etc/motd and the README;
              /data/spacer puts them there): reads of /data/victim are CAIRN_EIO
              with a record naming the tree page, /bin/hello and /data/pattern
              (under the first level-0 page) still read
  meta        one byte of the node table flipped: refused (root hash)
  sig         one byte of the signature flipped: refused (signature)
  struct      /data/victim's extent set to /data/pattern's, then re-signed
              with the build key (a signing-side bug, not an attack): refused on
              structure, the reason naming both entries
  otherkey    a valid image signed by another key: refused (signature)
  fixture     no pkgfs disk: the built-in fixture is mounted and read

Every booting case also restarts packagefs (a handle from before is dead, the
image is mounted again) and checks that crypto, which is not granted packagefs,
is refused with a cap audit record.

A refused disk fails the packagefs component (fail closed: no fallback to the
fixture), the system still reaches `cairn: ready`, and since the selftest
component needs packagefs it is not started, so the selftest run exits 1.

  pkgfs_boots.py QEMU_PY KERNEL MKPKGFS KEYFILE LOGDIR NAME
"""
import hashlib
import os
import subprocess
import sys
import tempfile

DISK_HELLO = b"hello from a packagefs disk\n"
PATTERN_SIZE = 300001
VICTIM = b"packagefs victim file, altered on the disk by the data boot\n" * 300
# /data/spacer fills data pages 75..127 (after /bin/hello's page 0 and /data/pattern's
# 74), so /data/victim starts at data page 128, under the second level-0 tree page.
SPACER = b"s" * (53 * 4096)


def pattern(n):
    """/data/pattern: byte i = (i*131 + (i >> 12)) & 0xff (as in components/selftest/selftest_pkgfs.c)."""
    return bytes(((i * 131 + (i >> 12)) & 0xFF) for i in range(n))


def make_tree(root):
    """The package tree; returns (files, bytes)."""
    files = {
        "bin/hello": DISK_HELLO,
        "bin/true": b"",
        "data/pattern": pattern(PATTERN_SIZE),
        "data/spacer": SPACER,
        "data/victim": VICTIM,
        "etc/motd": b"Welcome to Cairn.\n",
        "share/doc/packagefs/README": b"packages are signed; see docs/packagefs.md\n",
    }
    for rel, data in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
    return len(files), sum(len(d) for d in files.values())


# --- Ed25519 signing (RFC 8032), only to re-sign a deliberately malformed image
# with the build key: the kernel must then refuse it on structure, naming the
# entry, even though its signature is valid. Plain integers, affine coordinates.
ED_P = 2**255 - 19
ED_L = 2**252 + 27742317777372353535851937790883648493
ED_D = (-121665 * pow(121666, ED_P - 2, ED_P)) % ED_P


def ed_add(a, b):
    (x1, y1), (x2, y2) = a, b
    t = ED_D * x1 * x2 * y1 * y2 % ED_P
    x3 = (x1 * y2 + x2 * y1) * pow(1 + t, ED_P - 2, ED_P)
    y3 = (y1 * y2 + x1 * x2) * pow(1 - t, ED_P - 2, ED_P)
    return x3 % ED_P, y3 % ED_P


def ed_mul(k, pt):
    acc = (0, 1)
    while k:
        if k & 1:
            acc = ed_add(acc, pt)
        pt = ed_add(pt, pt)
        k >>= 1
    return acc


def ed_base():
    y = 4 * pow(5, ED_P - 2, ED_P) % ED_P
    u = (y * y - 1) * pow(ED_D * y * y + 1, ED_P - 2, ED_P) % ED_P
    x = pow(u, (ED_P + 3) // 8, ED_P)
    if x * x % ED_P != u:
        x = x * pow(2, (ED_P - 1) // 4, ED_P) % ED_P
    return (ED_P - x if x & 1 else x), y


def ed_encode(pt):
    x, y = pt
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


def ed_sign(seed, msg):
    """(signature, public key) of msg under the 32-byte seed."""
    h = hashlib.sha512(seed).digest()
    a = int.from_bytes(h[:32], "little")
    a &= (1 << 254) - 8
    a |= 1 << 254
    base = ed_base()
    pub = ed_encode(ed_mul(a, base))
    r = int.from_bytes(hashlib.sha512(h[32:] + msg).digest(), "little") % ED_L
    big_r = ed_encode(ed_mul(r, base))
    k = int.from_bytes(hashlib.sha512(big_r + pub + msg).digest(), "little") % ED_L
    return big_r + ((r + k * a) % ED_L).to_bytes(32, "little"), pub


def overlapping(src, dst, key, pubfile, size_a, size_b):
    """Copy src to dst with the file of size_b given the extent of the file of
    size_a (an overlap), then fix the root hash and sign with key."""
    with open(src, "rb") as f:
        img = bytearray(f.read())
    count = int.from_bytes(img[24:28], "little")
    meta_size = int.from_bytes(img[40:48], "little")
    nodes = {}
    for i in range(count):
        off = 256 + 64 * i
        mode = int.from_bytes(img[off + 12:off + 16], "little")
        size = int.from_bytes(img[off + 16:off + 24], "little")
        if mode & 0o170000 == 0o100000:
            nodes[size] = off
    a, b = nodes[size_a], nodes[size_b]
    img[b + 24:b + 32] = img[a + 24:a + 32]
    root = hashlib.sha256(bytes(img[:128]) + bytes(img[256:256 + meta_size])).digest()
    with open(key, "rb") as f:
        sig, pub = ed_sign(f.read(), root)
    with open(pubfile, "rb") as f:
        if f.read() != pub:
            raise SystemExit("pkgfs_boots: own Ed25519 signer disagrees with mkpkgfs' key")
    img[128:160] = root
    img[160:224] = sig
    with open(dst, "wb") as f:
        f.write(img)


def mkpkgfs(tool, *args):
    subprocess.run([tool, *args], check=True)


def flipped(src, dst, offset):
    """Copy src to dst with the byte at offset inverted."""
    with open(src, "rb") as f:
        data = bytearray(f.read())
    data[offset] ^= 0xFF
    with open(dst, "wb") as f:
        f.write(data)


def main():
    qemu_py, kernel, tool, key, logdir, name = sys.argv[1:7]
    ready = r"cairn: ready t=\d+ harts=\d+ .*"
    with tempfile.TemporaryDirectory() as work:
        tree = os.path.join(work, "tree")
        nfiles, nbytes = make_tree(tree)
        good = os.path.join(work, "good.img")
        mkpkgfs(tool, "build", tree, good, "--key", key)
        with open(good, "rb") as f:
            img = f.read()
        # data: the victim's content lies in the data region, not under the root hash.
        data = os.path.join(work, "data.img")
        flipped(good, data, img.index(VICTIM[:40]) + 7)
        # tree: the victim's digest inside the second level-0 page of the hash tree.
        data_off = int.from_bytes(img[48:56], "little")
        tree_off = int.from_bytes(img[80:88], "little")
        vpage = (img.index(VICTIM[:40]) - data_off) // 4096
        if vpage != 128:
            raise SystemExit(f"pkgfs_boots: /data/victim at data page {vpage}, not under "
                             "level-0 page 1 alone")
        tree_img = os.path.join(work, "tree.img")
        flipped(good, tree_img, tree_off + 4096 * (vpage // 128) + 32 * (vpage % 128) + 3)
        meta = os.path.join(work, "meta.img")
        flipped(good, meta, 256 + 64 * 1 + 16)  # size field of entry 1
        sig = os.path.join(work, "sig.img")
        flipped(good, sig, 160 + 5)  # inside the Ed25519 signature
        struct = os.path.join(work, "struct.img")
        pub = os.path.splitext(key)[0] + ".pub"
        overlapping(good, struct, key, pub, PATTERN_SIZE, len(VICTIM))
        other = os.path.join(work, "other.img")
        mkpkgfs(tool, "keygen", os.path.join(work, "other.key"), os.path.join(work, "other.pub"))
        mkpkgfs(tool, "build", tree, other, "--key", os.path.join(work, "other.key"))

        mounted = f"pkgfs: mounted from virtio-blk ro files={nfiles} bytes={nbytes}"
        common_ok = ["--expect", "SELFTEST: done failed=0", "--expect-match", ready,
                     "--expect", "cairn: component packagefs up",
                     "--expect", "SELFTEST: pkgfs restart ok",
                     "--expect", "SELFTEST: pkgfs concurrent readers ok",
                     "--expect", "cairn: component packagefs restarted",
                     "--expect", "SELFTEST: pkgfs denied ungranted caller ok",
                     "--expect", "cap: denied caller=crypto callee=packagefs op=stat"]
        ok = ["--expect-count", f"{mounted}=2",  # boot and restart
              "--expect", "SELFTEST: pkgfs virtio ro ok"] + common_ok

        def refused(reason, regex=False):
            line = ["--expect-match" if regex else "--expect",
                    "pkgfs: refused image: virtio-blk serial=pkgfs: " + reason]
            return ["--exit", "1", "--expect-match", ready] + line + [
                    "--expect-match", r"cairn: component packagefs failed err=-74 \(.*\)",
                    "--expect", "cairn: component selftest not started (needs packagefs)",
                    "--forbid", "pkgfs: mounted"]

        boots = [
            ("disk", good, [], "selftest", ok + ["--forbid", "integrity error"]),
            ("disk4096", good, ["--modern", "4096"], "selftest",
             ok + ["--forbid", "integrity error"]),
            ("data", data, [], "selftest pkgfscorrupt=pkg:/data/victim pkgfsgoodoff=8192",
             ok + ["--expect", "SELFTEST: pkgfs integrity refused ok",
                   "--expect", "SELFTEST: pkgfs damaged page isolated ok",
                   "--expect-match", r"packagefs: integrity error entry \d+ '/data/victim': "
                   r"content hash mismatch at bytes 0\.\.4095, refusing "
                   r"\(caller=selftest op=read\)"]),
            ("tree", tree_img, [], "selftest pkgfscorrupt=pkg:/data/victim",
             ok + ["--expect", "SELFTEST: pkgfs integrity refused ok",
                   "--expect-match", r"packagefs: integrity error entry \d+ '/data/victim': "
                   r"hash tree mismatch \(level 0 page 1\) at bytes 0\.\.4095, refusing "
                   r"\(caller=selftest op=read\)"]),
            ("meta", meta, [], "selftest",
             refused("root hash mismatch: header or metadata corrupt")),
            ("sig", sig, [], "selftest",
             refused("signature invalid: not signed by the configured key")),
            ("struct", struct, [], "selftest",
             refused(r"entry \d+ '/data/victim': extent overlaps entry \d+ '/data/pattern'",
                     regex=True)),
            ("otherkey", other, [], "selftest",
             refused("signature invalid: not signed by the configured key")),
            ("fixture", None, [], "selftest", [
                "--expect", "pkgfs: no disk with serial pkgfs, using the built-in fixture",
                "--expect-count", r"pkgfs: mounted fixture files=3 bytes=190=2",
                "--expect", "SELFTEST: pkgfs fixture ok"] + common_ok),
        ]
        failed = []
        for tag, disk, opts, append, checks in boots:
            cmd = [sys.executable, qemu_py, "test", "--kernel", kernel, "--smp", "2",
                   "--timeout", "120", "--forbid", "PANIC|TRAP|FAILED", "--append", append,
                   "--log", os.path.join(logdir, f"{name}_{tag}.log"),
                   "--check-timeline"] + checks
            if disk:
                bs = opts[1] if len(opts) > 1 else "512"
                cmd += ["--disk", f"{disk}:pkgfs:ro:{bs}"]
            if "--modern" in opts:
                cmd.append("--modern")
            if subprocess.run(cmd).returncode != 0:
                print(f"{name}: boot '{tag}' failed")
                failed.append(tag)
    if failed:
        print(f"{name}: failed boots: {', '.join(failed)}")
        return 1
    print(f"{name}: all {len(boots)} boots ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
